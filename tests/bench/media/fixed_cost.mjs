#!/usr/bin/env node
// Per-participant fixed cost inside Janus: janus.plugin.telemed against the
// stock janus.plugin.videoroom loaded in the same Janus binary. Prints
// figures; asserts nothing.
//
// Load: 10 participants in 5 rooms (2 per room), each publishing audio+video
// and receiving the other's, from a non-browser peer (werift, in this Node
// process) that sends pre-encoded media (lib/media_source.mjs: VP8 ~500
// kbit/s 30 fps + Opus 32 kbit/s, made by ffmpeg at start, looped):
//   videoroom  per participant one Janus session with a publisher handle
//              (join ptype=publisher + publish: one sendonly PeerConnection)
//              and a subscriber handle (join ptype=subscriber streams=[{feed
//              of the other}]: one recvonly PeerConnection) — the usual way
//   echotest   (--floor) per participant one Janus session, one handle, one
//              PeerConnection with an audio and a video m-line, sendrecv,
//              that Janus's stock EchoTest plugin sends back: the least a
//              Janus plugin can cost per participant with one PeerConnection
//              and the same packets each way, i.e. the floor for telemed
//   telemed    per participant one Janus session, one handle, ONE
//              PeerConnection (join {token} + configure): an audio and a
//              video m-line, both sendrecv (--layout sendrecv, the SDK's
//              way), or audio+video sendonly and one recvonly audio and
//              video slot (--layout split)
// Each run restarts Janus (scripts/stackctl restart-janus: a fresh process,
// so memory freed by an earlier run cannot hide growth), then measures Janus
// (/proc/<pid>: Threads, VmRSS, smaps, the run time of each thread):
//   cold      idle Janus, no session                        (--base seconds)
//   warm      2 participants of the same plugin joined (they stay): with
//             media, then without                           (--base seconds each)
//   media     N more participants connected, media flowing  (--window seconds)
//   idle      the same PeerConnections, no media sent       (--window seconds)
// per participant = (run - warm) / N: one-time costs (first DTLS/SRTP use,
// library set-up) are in the warm baseline; the figures from the cold one
// are printed too. Runs alternate
// telemed/videoroom (--rounds pairs, order flipped every round); the summary
// shows the median over runs of each figure and the ratio telemed/videoroom.
//
// Usage (inside the stack's network namespace; tests/bench/media.sh does it,
// with TELEMED_JANUS_EXTRA_PLUGINS="videoroom echotest" exported for the restarts):
//   TELEMED_STACK_DIR=... node tests/bench/media/fixed_cost.mjs [--rounds 2] [--window 20]
//       [--base 10] [--participants 10] [--only videoroom|telemed|echotest] [--floor] [--no-restart]
//       [--layout sendrecv|split] [--recording]
//
// --recording (BENCH_COST_RECORDING=1) compares telemed with itself instead
// (issue 14): `telemed` (no recording), `telemed_rec` (every room records and
// every participant consented: all tracks written) and `telemed_rec_none`
// (every room records, nobody consented: nothing written). Per-participant
// CPU with media and per received packet; goals rec/off <= 1.3 and
// rec_none/off = 1.00 (a participant not recorded costs nothing more).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
    ECHOTEST, ROOT, TELEMED, VIDEOROOM, createTelemedSession, createVideoRoom, destroyVideoRoom, endTelemedSession, fmt,
    benchJanusToken, cpuBetween, cpuByComm, rssByKind, switchesByComm, janusAdmin, joinToken, loadStack, log, median, pluginAdmin, procSample,
    sleep, within,
} from './lib/common.mjs';
import { JanusNode, newPc, waitConnected } from './lib/janus_node.mjs';
import { Looper, generateMedia } from './lib/media_source.mjs';

const { values: args } = parseArgs({
    options: {
        rounds: { type: 'string', default: process.env.BENCH_COST_ROUNDS || '2' },
        window: { type: 'string', default: process.env.BENCH_COST_WINDOW || '20' },
        base: { type: 'string', default: '10' },
        participants: { type: 'string', default: '10' },
        layout: { type: 'string', default: 'sendrecv' },
        only: { type: 'string' },
        floor: { type: 'boolean', default: process.env.BENCH_COST_FLOOR === '1' },
        recording: { type: 'boolean', default: process.env.BENCH_COST_RECORDING === '1' },
        'no-restart': { type: 'boolean', default: false },
    },
});
const ROUNDS = Math.max(1, Math.min(20, Number(args.rounds) || 2));
const WINDOW_S = Math.max(2, Math.min(300, Number(args.window) || 20));
const BASE_S = Math.max(2, Math.min(300, Number(args.base) || 10));
const N = Math.max(2, Math.min(100, 2 * Math.floor((Number(args.participants) || 10) / 2)));
// telemed m-lines: 'sendrecv' (what web/telemed.js offers: microphone and
// camera m-lines sendrecv, their receiving half is the first slot of each
// kind) or 'split' (sendonly microphone and camera + recvonly slots).
const LAYOUT = args.layout === 'split' ? 'split' : 'sendrecv';
const WARM = 2;   // warm-up participants (one room), part of the baseline
const STEP_MS = 20000;

let stack = loadStack();

// ---------------------------------------------------------------- peers

// Counts RTP received on every track of pc, per kind.
function countRx(pc, rx) {
    pc.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe(() => { rx[track.kind] += 1; });
    });
}

class Participant {
    constructor(looper) {
        this.looper = looper;
        this.janus = new JanusNode(stack.env.JANUS_WS_URL, benchJanusToken(stack.env));
        this.rx = { audio: 0, video: 0 };
        this.senders = [];
    }

    startSending(transceivers) {
        for (const t of transceivers) {
            this.looper.add(t.kind, t.sender);
            this.senders.push([t.kind, t.sender]);
        }
    }

    async close() {
        for (const [kind, s] of this.senders) this.looper.remove(kind, s);
        await this.janus.close();
    }
}

class VideoRoomParticipant extends Participant {
    async publish(room) {
        await this.janus.open();
        this.pub = await this.janus.attach(VIDEOROOM);
        const j = await this.pub.message({ request: 'join', ptype: 'publisher', room, display: 'bench' });
        this.feed = j.plugindata.data.id;
        const pc = newPc();
        this.pub.usePc(pc);
        const tr = [pc.addTransceiver('audio', { direction: 'sendonly' }), pc.addTransceiver('video', { direction: 'sendonly' })];
        await pc.setLocalDescription(await pc.createOffer());
        const r = await this.pub.message({ request: 'publish', audiocodec: 'opus', videocodec: 'vp8' }, pc.localDescription);
        await this.pub.setRemote(r.jsep);
        await waitConnected(pc, STEP_MS, 'videoroom publisher');
        await this.pub.until(() => this.pub.webrtcup, STEP_MS, 'publisher webrtcup');
        this.startSending(tr);
    }

    async subscribe(room, feed) {
        this.sub = await this.janus.attach(VIDEOROOM);
        const att = await this.sub.message({ request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
        const pc = newPc();
        this.sub.usePc(pc);
        countRx(pc, this.rx);
        await this.sub.setRemote(att.jsep);
        await pc.setLocalDescription(await pc.createAnswer());
        await this.sub.message({ request: 'start' }, pc.localDescription);
        await waitConnected(pc, STEP_MS, 'videoroom subscriber');
    }

    anyHandle() { return this.pub.id; }
}

// Janus's EchoTest: one sendrecv PeerConnection whose media comes back.
class EchoTestParticipant extends Participant {
    async join() {
        await this.janus.open();
        this.h = await this.janus.attach(ECHOTEST);
        const pc = newPc();
        this.h.usePc(pc);
        countRx(pc, this.rx);
        this.tr = [pc.addTransceiver('audio', { direction: 'sendrecv' }), pc.addTransceiver('video', { direction: 'sendrecv' })];
        await pc.setLocalDescription(await pc.createOffer());
        const r = await this.h.message({ audio: true, video: true }, pc.localDescription);
        if (!r.jsep) throw new Error('echotest answered without jsep');
        await this.h.setRemote(r.jsep);
        await waitConnected(pc, STEP_MS, 'echotest PeerConnection');
        this.startSending(this.tr);
    }

    anyHandle() { return this.h.id; }
}

class TelemedParticipant extends Participant {
    // Recording consent through the plugin (stored by the controller first).
    async consent() {
        const r = await this.h.message({ request: 'consent', recording: true });
        const d = r.plugindata.data;
        if (d.telemed !== 'consent' || d.recording !== true) throw new Error(`consent answered ${JSON.stringify(d).slice(0, 200)}`);
    }

    async join(token) {
        await this.janus.open();
        this.h = await this.janus.attach(TELEMED);
        const j = await this.h.message({ request: 'join', token });
        const d = j.plugindata.data;
        if (d.telemed !== 'joined') throw new Error(`join answered ${d.telemed}`);
        if (d.status && d.status !== 'admitted') throw new Error(`join: status ${d.status} (lobby)`);
        const pc = newPc();
        this.h.usePc(pc);
        countRx(pc, this.rx);
        const dir = LAYOUT === 'split' ? 'sendonly' : 'sendrecv';
        this.tr = [pc.addTransceiver('audio', { direction: dir }), pc.addTransceiver('video', { direction: dir })];
        if (LAYOUT === 'split') {
            pc.addTransceiver('audio', { direction: 'recvonly' });
            pc.addTransceiver('video', { direction: 'recvonly' });
        }
        await pc.setLocalDescription(await pc.createOffer());
        const sources = this.tr.map((t) => ({ mid: t.mid, source: t.kind }));
        const r = await this.h.message({ request: 'configure', sources }, pc.localDescription);
        if (!r.jsep) throw new Error('configure answered without jsep');
        await this.h.setRemote(r.jsep);
        await waitConnected(pc, STEP_MS, 'telemed PeerConnection');
        this.startSending(this.tr);
    }

    anyHandle() { return this.h.id; }
}

// ---------------------------------------------------------------- set-ups

// Both push what they create into `ps` / `cleanups` as they go, so a
// failed set-up is torn down as far as it got.
async function setupVideoRoom(looper, ps, cleanups, n) {
    const first = ps.length;
    for (let r = 0; r < n / 2; r += 1) {
        const room = await createVideoRoom(stack.env, 4);
        cleanups.push(() => destroyVideoRoom(stack.env, room));
        for (let k = 0; k < 2; k += 1) {
            const p = new VideoRoomParticipant(looper);
            ps.push(p);
            await p.publish(room);
            p.room = room;
        }
    }
    for (let i = first; i < first + n; i += 2) {
        await ps[i].subscribe(ps[i].room, ps[i + 1].feed);
        await ps[i + 1].subscribe(ps[i + 1].room, ps[i].feed);
    }
}

// recording: null (none), 'all' (the room records, both consented) or
// 'none' (the room records, nobody consented).
async function setupTelemed(looper, ps, cleanups, n, recording = null) {
    for (let r = 0; r < n / 2; r += 1) {
        // Every variant's rooms have the same policy; only `recording` differs.
        const sid = await createTelemedSession(stack.env, 'bench fixed_cost', args.recording ? 'optional' : 'disabled');
        cleanups.push(() => endTelemedSession(stack.env, sid));
        const room = [];
        for (let k = 0; k < 2; k += 1) {
            const { token } = await joinToken(stack.env, sid);
            const p = new TelemedParticipant(looper);
            ps.push(p);
            room.push(p);
            await p.join(token);
        }
        if (!recording) continue;
        if (recording === 'all') for (const p of room) await p.consent();
        const st = await pluginAdmin(stack.env, TELEMED, { request: 'record', room: sid, action: 'start' });
        const want = recording === 'all' ? 2 : 0;
        if (st.telemed !== 'recording' || st.state !== 'on' || st.recorded.length !== want) {
            throw new Error(`record start: ${JSON.stringify(st).slice(0, 300)} (want ${want} recorded)`);
        }
    }
}

async function setupEchoTest(looper, ps, cleanups, n) {
    for (let i = 0; i < n; i += 1) {
        const p = new EchoTestParticipant(looper);
        ps.push(p);
        await p.join();
    }
}

const SETUPS = {
    telemed: setupTelemed,
    videoroom: setupVideoRoom,
    echotest: setupEchoTest,
    telemed_rec: (l, ps, c, n) => setupTelemed(l, ps, c, n, 'all'),
    telemed_rec_none: (l, ps, c, n) => setupTelemed(l, ps, c, n, 'none'),
};

// ---------------------------------------------------------------- measuring

function janusPid() {
    const pid = Number(stack.env.JANUS_PID);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('no JANUS_PID in stack.env');
    return pid;
}

// CPU (% of one core), threads (last and max, sampled each second) and
// VmRSS (last) of Janus over `seconds`.
async function measure(seconds) {
    const pid = janusPid();
    const s0 = procSample(pid);
    let maxThreads = s0.threads;
    const end = s0.at + seconds * 1000;
    while (performance.now() < end) {
        await sleep(Math.min(1000, end - performance.now()));
        maxThreads = Math.max(maxThreads, procSample(pid).threads);
    }
    const s1 = procSample(pid);
    const wall = (s1.at - s0.at) / 1000;
    const cpu = cpuBetween(s0, s1);
    const byComm = cpuByComm(s0, s1);
    for (const k of Object.keys(byComm)) byComm[k] = 100 * byComm[k] / wall;
    const wakeups = switchesByComm(s0, s1);
    for (const k of Object.keys(wakeups)) wakeups[k] /= wall;
    return {
        mem: rssByKind(pid),
        cpuPctByComm: byComm,
        wakeupsByComm: wakeups,
        cpuPct: 100 * cpu.s / wall, lostThreads: cpu.lost, tickCpuPct: 100 * (s1.cpuS - s0.cpuS) / wall,
        threads: s1.threads, maxThreads, rssKiB: s1.rssKiB,
    };
}

function restartJanus() {
    const r = spawnSync(join(ROOT, 'scripts/stackctl'), ['restart-janus'], {
        cwd: ROOT, env: process.env, encoding: 'utf8', timeout: 60000,
    });
    if (r.status !== 0) throw new Error(`stackctl restart-janus failed: ${(r.stderr || '').slice(-500)}`);
    stack = loadStack();
}

async function srtpProfile(p) {
    try {
        const r = await janusAdmin(stack.env, { janus: 'handle_info', session_id: p.janus.sessionId, handle_id: p.anyHandle() });
        return r.info?.webrtc?.dtls?.['srtp-profile'] ?? '?';
    } catch {
        return '?';
    }
}

async function waitMedia(ps) {
    const deadline = Date.now() + STEP_MS;
    while (!ps.every((p) => p.rx.audio > 0 && p.rx.video > 0)) {
        if (Date.now() > deadline) {
            const missing = ps.filter((p) => !(p.rx.audio > 0 && p.rx.video > 0)).length;
            throw new Error(`${missing} of ${ps.length} participants receive no audio or no video`);
        }
        await sleep(100);
    }
}

async function oneRun(name, looper) {
    if (!args['no-restart']) {
        restartJanus();
        await sleep(2000);
    }
    const cold = await measure(BASE_S);
    const setup = SETUPS[name];
    const warm = [];
    const ps = [];
    const cleanups = [];
    try {
        // Warm-up: one room with WARM participants of the same plugin, kept
        // for the whole run, so that one-time costs (first DTLS/SRTP use,
        // library set-up, allocator arenas) land in the baseline and the
        // figures are what each further participant adds.
        await within(setup(looper, warm, cleanups, WARM), 60000, `${name} warm-up`);
        await waitMedia(warm);
        await sleep(3000);
        const baseMedia = await measure(BASE_S);
        looper.stop();
        await sleep(3000);
        const baseIdle = await measure(BASE_S);
        looper.start();

        const t0 = performance.now();
        await within(setup(looper, ps, cleanups, N), 120000, `${name} set-up`);
        const setupMs = performance.now() - t0;
        await waitMedia(ps);
        await sleep(3000);
        const rx0 = ps.reduce((a, p) => a + p.rx.audio + p.rx.video, 0);
        const media = await measure(WINDOW_S);
        const rx1 = ps.reduce((a, p) => a + p.rx.audio + p.rx.video, 0);
        looper.stop();
        await sleep(3000);
        const idle = await measure(WINDOW_S);
        looper.start();
        const srtp = await srtpProfile(ps[0]);
        const per = (a, b) => (a - b) / N;
        const perCold = (a, b) => (a - b) / (N + WARM);
        const r = {
            name,
            setupMs,
            rxPps: (rx1 - rx0) / WINDOW_S,
            srtp,
            threads: per(media.maxThreads, baseMedia.maxThreads),
            rssKiB: per(media.rssKiB, baseMedia.rssKiB),
            cpuMedia: per(media.cpuPct, baseMedia.cpuPct),
            cpuIdle: per(idle.cpuPct, baseIdle.cpuPct),
            coldThreads: perCold(media.maxThreads, cold.threads),
            coldRssKiB: perCold(media.rssKiB, cold.rssKiB),
            coldCpuIdle: perCold(idle.cpuPct, cold.cpuPct),
        };
        const lost = [baseMedia, baseIdle, media, idle].reduce((a, m) => a + m.lostThreads, 0);
        console.log(`RESULT fixed_cost plugin=${name} layout=${name === 'telemed' ? LAYOUT : '-'} participants=${N} threads_pp=${fmt(r.threads, 2)} ` +
            `rss_kib_pp=${fmt(r.rssKiB, 0)} cpu_media_pct_pp=${fmt(r.cpuMedia, 3)} cpu_idle_pct_pp=${fmt(r.cpuIdle, 4)} ` +
            `cold_threads_pp=${fmt(r.coldThreads, 2)} cold_rss_kib_pp=${fmt(r.coldRssKiB, 0)} cold_cpu_idle_pct_pp=${fmt(r.coldCpuIdle, 4)} ` +
            `cold_threads=${cold.threads} cold_rss_kib=${cold.rssKiB} cold_cpu_pct=${fmt(cold.cpuPct, 3)} ` +
            `base_threads=${baseMedia.maxThreads} base_rss_kib=${baseMedia.rssKiB} base_cpu_pct=${fmt(baseMedia.cpuPct, 3)} ` +
            `base_idle_cpu_pct=${fmt(baseIdle.cpuPct, 3)} media_threads=${media.maxThreads} media_rss_kib=${media.rssKiB} ` +
            `media_cpu_pct=${fmt(media.cpuPct, 3)} idle_cpu_pct=${fmt(idle.cpuPct, 3)} ` +
            `idle_tick_cpu_pct=${fmt(idle.tickCpuPct, 3)} lost_threads=${lost} rx_pps=${fmt(r.rxPps, 0)} srtp=${srtp} ` +
            `setup_ms=${fmt(setupMs, 0)}`);
        const memPer = Object.keys(media.mem).map((k) => `${k}=${fmt(per(media.mem[k], baseMedia.mem[k]), 0)}`).join(' ');
        console.log(`RESULT fixed_cost_rss plugin=${name} kib_pp ${memPer}`);
        // Idle CPU per participant by kind of Janus thread (% of a core).
        const kinds = [...new Set([...Object.keys(idle.cpuPctByComm), ...Object.keys(baseIdle.cpuPctByComm)])];
        const idleBy = kinds.map((k) => [k, per(idle.cpuPctByComm[k] ?? 0, baseIdle.cpuPctByComm[k] ?? 0)])
            .filter(([, v]) => Math.abs(v) >= 0.0005).sort((a, b) => b[1] - a[1]);
        console.log(`RESULT fixed_cost_idle_threads plugin=${name} pct_pp ${idleBy.map(([k, v]) => `${k.replace(/\s+/g, '_')}=${fmt(v, 4)}`).join(' ')}`);
        // ... and its context switches per second (wake-ups), idle and with media.
        const wakes = (m, b) => [...new Set([...Object.keys(m.wakeupsByComm), ...Object.keys(b.wakeupsByComm)])]
            .map((k) => [k, per(m.wakeupsByComm[k] ?? 0, b.wakeupsByComm[k] ?? 0)])
            .filter(([, v]) => Math.abs(v) >= 0.05).sort((a, b2) => b2[1] - a[1])
            .map(([k, v]) => `${k.replace(/\s+/g, '_')}=${fmt(v, 1)}`).join(' ');
        console.log(`RESULT fixed_cost_wakeups plugin=${name} per_s_pp idle ${wakes(idle, baseIdle)} media ${wakes(media, baseMedia)}`);
        return r;
    } finally {
        for (const p of [...warm, ...ps]) await p.close();
        for (const c of cleanups) await c();
        await sleep(1000);
        try { log(`${name}: after teardown Janus has ${procSample(janusPid()).threads} threads`); } catch { /* gone */ }
    }
}

// ---------------------------------------------------------------- main

async function main() {
    const work = mkdtempSync(join(tmpdir(), 'bench-media-'));
    try {
        const files = generateMedia(work, 10);
        const looper = new Looper(files);
        log(`media: VP8 ${looper.video.length} frames (${fmt(looper.videoKbps(), 0)} kbit/s), Opus ${looper.audio.length} packets`);
        looper.start();
        if (args.only && !SETUPS[args.only]) throw new Error(`--only: one of ${Object.keys(SETUPS).join(', ')}`);
        const names = args.only ? [args.only]
            : args.recording ? ['telemed', 'telemed_rec', 'telemed_rec_none']
                : ['telemed', 'videoroom', ...(args.floor ? ['echotest'] : [])];
        const runs = Object.fromEntries(names.map((n) => [n, []]));
        const failed = Object.fromEntries(names.map((n) => [n, 0]));
        for (let i = 0; i < ROUNDS; i += 1) {
            const order = i % 2 ? [...names].reverse() : names;
            for (const n of order) {
                log(`run ${i + 1}/${ROUNDS}: ${n} (${N} participants, ${N / 2} rooms)`);
                try {
                    runs[n].push(await oneRun(n, looper));
                } catch (e) {
                    failed[n] += 1;
                    log(`run ${n}: FAILED ${e.message}`);
                }
            }
        }
        looper.stop();

        console.log(`\nper-participant fixed cost in Janus (${N} participants in ${N / 2} rooms, audio+video each way, ` +
            `added to a Janus warmed up by ${WARM} participants of the same plugin; median of ${ROUNDS} alternating runs; ` +
            `${WINDOW_S} s windows, ${BASE_S} s baselines)`);
        const med = {};
        for (const n of names) {
            const v = runs[n];
            if (!v.length) {
                console.log(`  ${n.padEnd(9)} no successful run (${failed[n]} failed)`);
                continue;
            }
            const keys = ['threads', 'rssKiB', 'cpuMedia', 'cpuIdle', 'rxPps', 'coldThreads', 'coldRssKiB', 'coldCpuIdle'];
            med[n] = Object.fromEntries(keys.map((k) => [k, median(v.map((r) => r[k]))]));
            const m = med[n];
            console.log(`  ${n.padEnd(9)} runs=${v.length} failed=${failed[n]}  threads ${fmt(m.threads, 2)}  ` +
                `RSS ${fmt(m.rssKiB, 0)} KiB  CPU media ${fmt(m.cpuMedia, 3)} %  CPU idle ${fmt(m.cpuIdle, 4)} %  ` +
                `(received ${fmt(m.rxPps, 0)} pkt/s in all; SRTP ${[...new Set(v.map((r) => r.srtp))].join(',')})`);
            console.log(`RESULT fixed_cost_median plugin=${n} runs=${v.length} failed=${failed[n]} threads_pp=${fmt(m.threads, 2)} ` +
                `rss_kib_pp=${fmt(m.rssKiB, 0)} cpu_media_pct_pp=${fmt(m.cpuMedia, 3)} cpu_idle_pct_pp=${fmt(m.cpuIdle, 4)} ` +
                `cold_threads_pp=${fmt(m.coldThreads, 2)} cold_rss_kib_pp=${fmt(m.coldRssKiB, 0)} ` +
                `cold_cpu_idle_pct_pp=${fmt(m.coldCpuIdle, 4)} rx_pps=${fmt(m.rxPps, 0)}`);
        }
        if (med.telemed && med.videoroom) {
            const ratio = (k) => med.telemed[k] / med.videoroom[k];
            console.log(`  ratio telemed/videoroom: threads ${fmt(ratio('threads'), 2)}  RSS ${fmt(ratio('rssKiB'), 2)}  ` +
                `CPU media ${fmt(ratio('cpuMedia'), 2)}  CPU idle ${fmt(ratio('cpuIdle'), 2)}  (goal <= 0.6)`);
            console.log(`  from a cold Janus (one-time start-up costs spread over all ${N + WARM} participants): ` +
                `threads ${fmt(ratio('coldThreads'), 2)}  RSS ${fmt(ratio('coldRssKiB'), 2)}  CPU idle ${fmt(ratio('coldCpuIdle'), 2)}`);
            console.log(`RESULT fixed_cost ratio_threads=${fmt(ratio('threads'), 2)} ratio_rss=${fmt(ratio('rssKiB'), 2)} ` +
                `ratio_cpu_media=${fmt(ratio('cpuMedia'), 2)} ratio_cpu_idle=${fmt(ratio('cpuIdle'), 2)} ` +
                `cold_ratio_threads=${fmt(ratio('coldThreads'), 2)} cold_ratio_rss=${fmt(ratio('coldRssKiB'), 2)} ` +
                `cold_ratio_cpu_idle=${fmt(ratio('coldCpuIdle'), 2)}`);
        } else {
            console.log('  ratio telemed/videoroom: n/a');
        }
        // Recording (issue 14): what writing a participant's tracks adds, per
        // participant and per packet Janus receives from it, and what a room
        // that records costs those it does not record.
        if (med.telemed && med.telemed_rec) {
            const perPkt = (n) => (med[n].cpuMedia / 100) * 1e6 / (med[n].rxPps / N);   // µs of CPU per packet a participant gets
            const rec = med.telemed_rec.cpuMedia / med.telemed.cpuMedia;
            const none = med.telemed_rec_none ? med.telemed_rec_none.cpuMedia / med.telemed.cpuMedia : NaN;
            console.log(`  recording: CPU per participant with media, recorded/not ${fmt(rec, 2)} (goal <= 1.3); ` +
                `in a recording room but not recorded/not ${fmt(none, 2)} (goal 1.00); ` +
                `CPU per received packet ${fmt(perPkt('telemed'), 2)} us off, ${fmt(perPkt('telemed_rec'), 2)} us recorded` +
                (med.telemed_rec_none ? `, ${fmt(perPkt('telemed_rec_none'), 2)} us not recorded in a recording room` : ''));
            console.log(`RESULT recording_cost ratio_cpu_media_recorded=${fmt(rec, 2)} ratio_cpu_media_not_recorded=${fmt(none, 2)} ` +
                `us_per_pkt_off=${fmt(perPkt('telemed'), 2)} us_per_pkt_recorded=${fmt(perPkt('telemed_rec'), 2)}` +
                (med.telemed_rec_none ? ` us_per_pkt_not_recorded=${fmt(perPkt('telemed_rec_none'), 2)}` : ''));
        }
        // The floor: what Janus itself costs per participant with one
        // PeerConnection (EchoTest), against VideoRoom and against telemed.
        if (med.echotest && med.videoroom) {
            const r = (a, b, k) => fmt(med[a][k] / med[b][k], 2);
            const line = (a, b) => ['threads', 'rssKiB', 'cpuMedia', 'cpuIdle'].map((k) => r(a, b, k));
            const [ft, fr, fm, fi] = line('echotest', 'videoroom');
            console.log(`  floor echotest/videoroom: threads ${ft}  RSS ${fr}  CPU media ${fm}  CPU idle ${fi}`);
            let extra = '';
            if (med.telemed) {
                const [tt, tr, tm, ti] = line('telemed', 'echotest');
                console.log(`  telemed/echotest: threads ${tt}  RSS ${tr}  CPU media ${tm}  CPU idle ${ti}`);
                extra = ` telemed_over_floor_threads=${tt} telemed_over_floor_rss=${tr} ` +
                    `telemed_over_floor_cpu_media=${tm} telemed_over_floor_cpu_idle=${ti}`;
            }
            console.log(`RESULT fixed_cost_floor floor_ratio_threads=${ft} floor_ratio_rss=${fr} ` +
                `floor_ratio_cpu_media=${fm} floor_ratio_cpu_idle=${fi}${extra}`);
        }
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (e) => {
    log(`fixed_cost: ${e.stack || e.message}`);
    process.exit(1);
});
