// Pre-encoded media for the non-browser peers: ffmpeg makes a short VP8 IVF
// and an Opus Ogg file at run time (no encoding while measuring); they are
// cut into RTP payloads once and looped by one clock for every peer.
//   VP8   640x480 30 fps, ~500 kbit/s CBR, keyframe every 2 s, RFC 7741
//         payload descriptor (1 byte), payloads <= 1100 bytes
//   Opus  48 kHz, 32 kbit/s, 20 ms frames
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RtpHeader, RtpPacket } from 'werift';

const MAX_PAYLOAD = 1100;

export function generateMedia(dir, seconds = 10) {
    const ivf = join(dir, 'bench.ivf');
    const ogg = join(dir, 'bench.ogg');
    const opts = { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 };
    execFileSync('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i',
        `testsrc2=size=640x480:rate=30,noise=alls=12:allf=t`, '-t', String(seconds),
        '-c:v', 'libvpx', '-b:v', '500k', '-minrate', '500k', '-maxrate', '500k', '-deadline', 'realtime',
        '-cpu-used', '8', '-g', '60', '-keyint_min', '60', '-auto-alt-ref', '0', '-threads', '1', '-f', 'ivf', ivf], opts);
    execFileSync('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i',
        'sine=frequency=440:sample_rate=48000', '-t', String(seconds), '-c:a', 'libopus', '-b:a', '32k',
        '-frame_duration', '20', '-page_duration', '20000', '-f', 'ogg', ogg], opts);
    return { ivf, ogg };
}

// IVF: 32-byte file header, then per frame a 12-byte header (size, pts).
export function readIvf(file) {
    const b = readFileSync(file);
    if (b.toString('latin1', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
    const frames = [];
    let off = b.readUInt16LE(6);
    while (off + 12 <= b.length) {
        const size = b.readUInt32LE(off);
        off += 12;
        if (off + size > b.length) break;
        frames.push(b.subarray(off, off + size));
        off += size;
    }
    return frames;
}

// Ogg pages → Opus packets (lacing values joined), OpusHead/OpusTags dropped.
export function readOggOpus(file) {
    const b = readFileSync(file);
    const packets = [];
    let off = 0;
    let partial = [];
    while (off + 27 <= b.length) {
        if (b.toString('latin1', off, off + 4) !== 'OggS') throw new Error('bad Ogg page');
        const nseg = b[off + 26];
        const table = b.subarray(off + 27, off + 27 + nseg);
        let p = off + 27 + nseg;
        for (const lace of table) {
            partial.push(b.subarray(p, p + lace));
            p += lace;
            if (lace < 255) {
                packets.push(Buffer.concat(partial));
                partial = [];
            }
        }
        off = p;
    }
    return packets.filter((pk) => !pk.subarray(0, 8).equals(Buffer.from('OpusHead')) &&
        !pk.subarray(0, 8).equals(Buffer.from('OpusTags')));
}

// A VP8 frame → RTP payloads (descriptor: S bit on the first, PID 0).
function vp8Payloads(frame) {
    const out = [];
    for (let off = 0; off < frame.length; off += MAX_PAYLOAD) {
        const chunk = frame.subarray(off, Math.min(off + MAX_PAYLOAD, frame.length));
        out.push(Buffer.concat([Buffer.from([off === 0 ? 0x10 : 0x00]), chunk]));
    }
    return out;
}

// One clock for every sender: every tick sends what is due (audio every
// 20 ms, video every 1/30 s) to all registered senders, the same serialized
// packet to each (werift rewrites SSRC, payload type and offsets per sender).
export class Looper {
    constructor({ ivf, ogg }) {
        this.video = readIvf(ivf).map(vp8Payloads);
        this.audio = readOggOpus(ogg);
        if (!this.video.length || !this.audio.length) throw new Error('empty media files');
        this.senders = { audio: new Set(), video: new Set() };
        this.seq = { audio: 0, video: 0 };
        this.sent = { audio: 0, video: 0 };   // frames, for the bitrate check
        this.bytes = 0;
        this.timer = null;
    }

    add(kind, sender) { this.senders[kind].add(sender); }
    remove(kind, sender) { this.senders[kind].delete(sender); }

    videoKbps() {
        const bytes = this.video.reduce((a, f) => a + f.reduce((x, p) => x + p.length, 0), 0);
        return (bytes * 8 / 1000) / (this.video.length / 30);
    }

    start() {
        if (this.timer) return;
        const t0 = performance.now();
        let nAudio = 0;
        let nVideo = 0;
        const tick = () => {
            const el = performance.now() - t0;
            while (nAudio * 20 <= el) {
                const payload = this.audio[nAudio % this.audio.length];
                this.emit('audio', [payload], nAudio * 960);
                nAudio += 1;
            }
            while (nVideo * (1000 / 30) <= el) {
                const payloads = this.video[nVideo % this.video.length];
                this.emit('video', payloads, nVideo * 3000);
                nVideo += 1;
            }
            this.timer = setTimeout(tick, 5);
        };
        tick();
    }

    stop() {
        clearTimeout(this.timer);
        this.timer = null;
    }

    emit(kind, payloads, timestamp) {
        this.sent[kind] += 1;
        if (!this.senders[kind].size) {
            this.seq[kind] = (this.seq[kind] + payloads.length) & 0xffff;
            return;
        }
        payloads.forEach((payload, i) => {
            this.seq[kind] = (this.seq[kind] + 1) & 0xffff;
            const header = new RtpHeader({
                payloadType: kind === 'audio' ? 111 : 96, sequenceNumber: this.seq[kind], timestamp: timestamp >>> 0,
                marker: kind === 'video' && i === payloads.length - 1, ssrc: 1,
            });
            const buf = new RtpPacket(header, payload).serialize();
            for (const s of this.senders[kind]) {
                this.bytes += buf.length;
                s.sendRtp(buf).catch(() => {});
            }
        });
    }
}
