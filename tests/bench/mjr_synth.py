#!/usr/bin/env python3
"""Synthesizes Janus .mjr recordings (MJR00002) of a test pattern and a tone,
for tests/bench/recording_postprocess.sh: ffmpeg encodes VP8 / Opus and sends
RTP to a local UDP port (paced with -readrate), this script captures the
packets and writes them in Janus's format (src/record.c):
  "MJR00002" | u16 BE length | JSON info {"t","c","s","u"}
  then per packet "MEET" | u32 BE ms since the first | u16 BE length | RTP packet

usage: mjr_synth.py OUT_DIR PARTICIPANT_UUID SECONDS [START_UNIX_US]
writes OUT_DIR/<participant>-audio-0.mjr and <participant>-video-0.mjr
"""
import json, os, socket, struct, subprocess, sys, threading, time

def capture(sock, packets, done):
    sock.settimeout(0.5)
    while not done.is_set():
        try:
            data = sock.recv(65535)
        except socket.timeout:
            continue
        if len(data) >= 12 and not 72 <= (data[1] & 0x7f) <= 76:  # not RTCP (200..204)
            packets.append(data)

def write_mjr(path, kind, codec, packets, start_us, clock):
    with open(path, 'wb') as f:
        f.write(b'MJR00002')
        info = json.dumps({"t": kind, "c": codec, "s": start_us, "u": start_us}, separators=(',', ':')).encode()
        f.write(struct.pack('>H', len(info)) + info)
        ts0 = None
        for p in packets:
            ts = struct.unpack('>I', p[4:8])[0]
            if ts0 is None:
                ts0 = ts
            ms = ((ts - ts0) & 0xffffffff) * 1000 // clock
            f.write(b'MEET' + struct.pack('>IH', ms, len(p)) + p)

def main():
    out, pid, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    start_us = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time() * 1e6)
    rate = os.environ.get('MJR_SYNTH_READRATE', '20')
    socks = {}
    for k in ('v', 'a'):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind(('127.0.0.1', 0))
        socks[k] = s
    pk = {'v': [], 'a': []}
    done = threading.Event()
    threads = [threading.Thread(target=capture, args=(socks[k], pk[k], done)) for k in ('v', 'a')]
    for t in threads: t.start()
    vport, aport = socks['v'].getsockname()[1], socks['a'].getsockname()[1]
    cmd = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
           '-readrate', rate, '-f', 'lavfi', '-i', f'testsrc2=s=640x480:r=30:d={secs}',
           '-readrate', rate, '-f', 'lavfi', '-i', f'sine=f=440:sample_rate=48000:d={secs}',
           '-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-g', '60',
           '-payload_type', '96', '-ssrc', '1111', '-f', 'rtp', f'rtp://127.0.0.1:{vport}?pkt_size=1200',
           '-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-ac', '2', '-payload_type', '111', '-ssrc', '2222',
           '-f', 'rtp', f'rtp://127.0.0.1:{aport}?pkt_size=1200']
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    time.sleep(0.7)
    done.set()
    for t in threads: t.join()
    os.makedirs(out, exist_ok=True)
    write_mjr(os.path.join(out, f'{pid}-video-0.mjr'), 'v', 'vp8', pk['v'], start_us, 90000)
    write_mjr(os.path.join(out, f'{pid}-audio-0.mjr'), 'a', 'opus', pk['a'], start_us, 48000)
    print(f'{pid}: {len(pk["v"])} video, {len(pk["a"])} audio packets', file=sys.stderr)

if __name__ == '__main__':
    main()
