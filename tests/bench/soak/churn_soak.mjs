#!/usr/bin/env node
// Join/leave churn through janus.plugin.telemed: participants with real
// PeerConnections (werift in this Node process) join, send a short burst of
// media, and leave, continuously, for a long time; Janus's memory and the
// plugin's object counts are sampled throughout, and at the end nothing may
// be left behind. Prints figures; asserts nothing.
//
// Load: BENCH_CHURN_PARTICIPANTS (50) participants in pairs, a doctor and a
// patient of one session (started, so the doctor bypasses the lobby). Each
// pair runs rounds, the pairs staggered so joins and leaves never stop:
//   1. fresh join tokens: POST /sessions/{id}/participants again for both
//      (docs/API.md: the 200 re-add);
//   2. the doctor opens a WebSocket, creates a Janus session, attaches, joins
//      and configures one sendrecv audio + video PeerConnection; the patient
//      does the same after it, and if it waits in the lobby (first round of a
//      session; later rounds it comes back within reconnect_grace_s) the
//      doctor admits it;
//   3. both PeerConnections up, both send audio + video (pre-encoded VP8
//      ~500 kbit/s + Opus, tests/bench/media/lib/media_source.mjs) for
//      BENCH_CHURN_BURST_S (3) seconds; the packets each receives from the
//      other through the plugin are counted;
//   4. they leave, each in turn one of three ways: `leave` then close (the
//      polite way), destroying the Janus session while joined (an implicit
//      leave), or dropping the WebSocket without a word (Janus destroys the
//      session when its transport goes); every BENCH_CHURN_ROOM_ROUNDS (5)
//      rounds the session is ended through the REST API while both are still
//      in the room instead (`ended`, the room destroyed) and the pair gets a
//      new session;
//   5. a pause of 0.5-1.5 s.
// A round that fails (timeout, ICE) is counted by step; its clients are
// closed as in 4 and the pair goes on.
//
// Measured: Janus VmRSS / RssAnon / fds / threads and the plugin's admin
// `stats` every BENCH_CHURN_SAMPLE_S (10) s; start = the first sample after
// the warm-up (BENCH_CHURN_WARMUP_S, 60, at most a quarter of the run), end
// = the last sample while churning, with a least-squares slope in between.
// After the last round: the plugin's counts against those before the first
// join (the same number of rooms, nobody in them), and the Janus Admin API's
// list_sessions / list_handles, which must be empty once every peer left;
// then every session is ended and the counts must be 0.
//
// Usage (tests/bench/soak.sh churn runs it in the stack's network namespace):
//   TELEMED_STACK_DIR=... node tests/bench/soak/churn_soak.mjs
//   BENCH_CHURN_SECONDS (600)  BENCH_CHURN_PARTICIPANTS (50)  BENCH_CHURN_BURST_S (3)
//   BENCH_CHURN_ROOM_ROUNDS (5)  BENCH_CHURN_WARMUP_S (60)  BENCH_CHURN_SAMPLE_S (10)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
    TELEMED, api, createTelemedSession, endTelemedSession, fmt, janusAdmin, loadStack, log, percentile, sleep,
} from '../media/lib/common.mjs';
import { JanusNode, newPc, waitConnected } from '../media/lib/janus_node.mjs';
import { Looper, generateMedia } from '../media/lib/media_source.mjs';
import { Sampler, compact, pluginStats, procMem, trend } from './lib/resources.mjs';

function intEnv(name, def, min, max) {
    const v = process.env[name] === undefined || process.env[name] === '' ? def : Number(process.env[name]);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
    return v;
}

const SECONDS = intEnv('BENCH_CHURN_SECONDS', 600, 10, 86400);
const PARTICIPANTS = 2 * Math.floor(intEnv('BENCH_CHURN_PARTICIPANTS', 50, 2, 400) / 2);
const BURST_S = intEnv('BENCH_CHURN_BURST_S', 3, 1, 60);
const ROOM_ROUNDS = intEnv('BENCH_CHURN_ROOM_ROUNDS', 5, 1, 1000);
const WARMUP_S = Math.min(intEnv('BENCH_CHURN_WARMUP_S', 60, 0, 3600), Math.floor(SECONDS / 4));
const SAMPLE_S = intEnv('BENCH_CHURN_SAMPLE_S', 10, 1, 600);
const STEP_MS = 15000;
const LEAVES = ['leave', 'destroy', 'drop'];

const { env } = loadStack();
const JANUS_PID = Number(env.JANUS_PID);
const CONTROLLER_PID = Number(env.CONTROLLER_PID);

const stats = {
    rounds: 0, joins: 0, lobbyAdmits: 0, leaves: Object.fromEntries([...LEAVES, 'ended'].map((k) => [k, 0])),
    failures: {}, bursts: 0, burstsBothRx: 0, joinToUpMs: [], sessions: 0,
};

function fail(step, e) {
    const k = `${step}: ${String(e.message ?? e).replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, '<id>').slice(0, 80)}`;
    stats.failures[k] = (stats.failures[k] ?? 0) + 1;
}

// ---------------------------------------------------------------- peers

// One participant's client: a WebSocket, a Janus session, one handle, one
// PeerConnection (audio + video sendrecv, as web/telemed.js offers them).
class Peer {
    constructor(looper, janusToken) {
        this.looper = looper;
        this.janus = new JanusNode(env.JANUS_WS_URL, janusToken);
        this.h = null;
        this.pc = null;
        this.tr = [];
        this.rx = 0;
        this.sending = false;
    }

    async join(token) {
        await this.janus.open();
        this.h = await this.janus.attach(TELEMED);
        const r = await this.h.message({ request: 'join', token }, null, { timeoutMs: STEP_MS });
        const d = r.plugindata.data;
        if (d.telemed !== 'joined') throw new Error(`join answered ${d.telemed}`);
        this.participantId = d.participant_id;
        return d.status;
    }

    async configure() {
        const t0 = performance.now();
        this.pc = newPc();
        this.h.usePc(this.pc);
        this.pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => { this.rx += 1; }));
        this.tr = [this.pc.addTransceiver('audio', { direction: 'sendrecv' }), this.pc.addTransceiver('video', { direction: 'sendrecv' })];
        await this.pc.setLocalDescription(await this.pc.createOffer());
        const r = await this.h.message({ request: 'configure', sources: this.tr.map((t) => ({ mid: t.mid, source: t.kind })) },
            this.pc.localDescription, { timeoutMs: STEP_MS });
        if (!r.jsep) throw new Error('configure answered without jsep');
        await this.h.setRemote(r.jsep);
        await waitConnected(this.pc, STEP_MS, 'telemed PeerConnection');
        stats.joinToUpMs.push(performance.now() - t0);
    }

    startSending() {
        for (const t of this.tr) this.looper.add(t.kind, t.sender);
        this.sending = true;
    }

    stopSending() {
        for (const t of this.tr) this.looper.remove(t.kind, t.sender);
        this.sending = false;
    }

    // Leaves the room and Janus in one of the LEAVES ways (or after `ended`).
    async close(how) {
        this.stopSending();
        if (how === 'leave' && this.h) {
            try {
                const r = await this.h.message({ request: 'leave' }, null, { timeoutMs: 5000 });
                if (r.plugindata?.data?.telemed !== 'left') throw new Error(`leave answered ${r.plugindata?.data?.telemed}`);
            } catch (e) {
                fail('leave', e);
            }
        }
        if (how === 'drop') {
            clearInterval(this.janus.keepalive);
            for (const h of this.janus.handles.values()) await h.closePc();
            this.janus.ws?.terminate();
            return;
        }
        await this.janus.close();   // closes the PeerConnection, destroys the Janus session, closes the socket
    }
}

// ---------------------------------------------------------------- pairs

class Pair {
    constructor(index, looper) {
        this.index = index;
        this.looper = looper;
        this.sid = null;
        this.users = [`churn-doc-${index}`, `churn-pat-${index}`];
        this.round = 0;
        this.sessionRounds = 0;
    }

    async newSession() {
        if (this.sid) await endTelemedSession(env, this.sid);
        this.sid = await createTelemedSession(env, 'churn soak');
        await this.tokens();   // both participants on record (the room's grants) before anyone joins
        this.sessionRounds = 0;
        stats.sessions += 1;
    }

    async tokens() {
        const out = [];
        for (const [i, user] of this.users.entries()) {
            const r = await api(env, 'POST', `/sessions/${this.sid}/participants`, { user_id: user, role: i === 0 ? 'doctor' : 'patient' });
            out.push({ token: r.join.token, janusToken: r.join.janus_token ?? null });
        }
        return out;
    }

    // One round; returns when both clients are gone.
    async runRound() {
        this.round += 1;
        this.sessionRounds += 1;
        const endsRoom = this.sessionRounds >= ROOM_ROUNDS;
        const peers = [];
        let step = 'tokens';
        let ended = false;
        try {
            const [doc, pat] = await this.tokens();
            step = 'doctor join';
            const d = new Peer(this.looper, doc.janusToken);
            peers.push(d);
            const dStatus = await d.join(doc.token);
            if (dStatus !== 'admitted') throw new Error(`doctor ${dStatus}`);
            stats.joins += 1;
            step = 'doctor configure';
            await d.configure();
            step = 'patient join';
            const p = new Peer(this.looper, pat.janusToken);
            peers.push(p);
            const pStatus = await p.join(pat.token);
            stats.joins += 1;
            if (pStatus === 'waiting') {
                step = 'admit';
                const admitted = p.h.until(() => p.h.events.some((m) => m.plugindata?.data?.telemed === 'admitted'), STEP_MS, 'admitted event');
                const r = await d.h.message({ request: 'admit', participant_id: p.participantId }, null, { timeoutMs: STEP_MS });
                if (r.plugindata.data.telemed !== 'ok') throw new Error(`admit answered ${r.plugindata.data.telemed}`);
                await admitted;
                stats.lobbyAdmits += 1;
            }
            step = 'patient configure';
            await p.configure();
            step = 'burst';
            const rx0 = [d.rx, p.rx];
            d.startSending();
            p.startSending();
            await sleep(BURST_S * 1000);
            stats.bursts += 1;
            if (d.rx > rx0[0] && p.rx > rx0[1]) stats.burstsBothRx += 1;
            if (endsRoom) {
                step = 'end session';
                for (const x of peers) x.stopSending();
                const endedEvents = peers.map((x) => x.h.until(
                    () => x.h.events.some((m) => m.plugindata?.data?.telemed === 'ended'), STEP_MS, 'ended event'));
                await api(env, 'POST', `/sessions/${this.sid}/end`);
                this.sid = null;
                await Promise.all(endedEvents);
                ended = true;
            }
        } catch (e) {
            fail(step, e);
        }
        // Leaving: each peer one way, rotating with the round.
        for (const [i, x] of peers.entries()) {
            const how = ended ? 'destroy' : LEAVES[(this.round + i) % LEAVES.length];
            try {
                await x.close(how);
                stats.leaves[ended ? 'ended' : how] += 1;
            } catch (e) {
                fail(`close ${how}`, e);
            }
        }
        stats.rounds += 1;
        if (ended || endsRoom || !this.sid) await this.newSession();
    }

    async run(until, startDelayMs) {
        await sleep(startDelayMs);
        while (performance.now() < until) {
            try {
                await this.runRound();
            } catch (e) {
                fail('round', e);
                await sleep(2000);
            }
            await sleep(500 + Math.random() * 1000);
        }
    }
}

// ---------------------------------------------------------------- Janus Admin API

async function janusSessions() {
    const r = await janusAdmin(env, { janus: 'list_sessions' });
    if (r.janus !== 'success') throw new Error(`list_sessions: ${JSON.stringify(r).slice(0, 200)}`);
    return r.sessions ?? [];
}

async function janusHandles(sessionId) {
    const r = await janusAdmin(env, { janus: 'list_handles', session_id: sessionId });
    return r.handles ?? [];
}

async function takeSample() {
    const out = { janus: procMem(JANUS_PID), controller: procMem(CONTROLLER_PID) };
    out.plugin = await pluginStats(env);
    out.janusSessions = (await janusSessions()).length;
    return out;
}

// ---------------------------------------------------------------- report

function statsTable(before, after, afterEnd) {
    console.log(`plugin admin stats (goal: after = before for every count; after the sessions ended: 0):`);
    console.log(`  ${'count'.padEnd(30)} ${'before'.padStart(8)} ${'after'.padStart(8)} ${'ended'.padStart(8)}`);
    const keys = Object.keys(after).filter((k) => k !== 'instance' && k !== 'telemed');
    let changed = 0;
    let nonzero = 0;
    for (const k of keys) {
        const b = before[k];
        const a = after[k];
        const e = afterEnd ? afterEnd[k] : NaN;
        const mark = k === 'work.worker_wakeups' ? '' : `${a !== b ? ' *' : ''}${afterEnd && e !== 0 ? ' !' : ''}`;
        if (k !== 'work.worker_wakeups') {
            if (a !== b) changed += 1;
            if (afterEnd && e !== 0) nonzero += 1;
        }
        console.log(`  ${k.padEnd(30)} ${String(b).padStart(8)} ${String(a).padStart(8)} ${String(e).padStart(8)}${mark}`);
    }
    console.log(`  (* differs from before: ${changed}; ! not 0 once every session ended: ${nonzero})`);
    console.log(`RESULT soak_churn_plugin_counts changed=${changed} nonzero_after_end=${nonzero}`);
}

function printReport(sampler, churnEndT, before, after, afterEnd, leftovers, wallS) {
    const S = sampler.samples;
    const during = S.filter((s) => s.t <= churnEndT + 0.5);
    console.log(`soak churn: ${PARTICIPANTS} participants (${PARTICIPANTS / 2} pairs) for ${SECONDS} s (warm-up ${WARMUP_S} s),` +
        ` bursts of ${BURST_S} s, a new session every ${ROOM_ROUNDS} rounds; ${fmt(wallS, 0)} s in all`);
    console.log(`rounds ${stats.rounds}, joins ${stats.joins} (${stats.lobbyAdmits} through the lobby), sessions ${stats.sessions};` +
        ` leaves: ${Object.entries(stats.leaves).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`media bursts ${stats.bursts}, both peers received the other's media in ${stats.burstsBothRx}` +
        ` (${fmt(100 * stats.burstsBothRx / Math.max(1, stats.bursts), 1)} %); configure -> PeerConnection up` +
        ` p50 ${fmt(percentile(stats.joinToUpMs, 0.5), 0)} ms, p99 ${fmt(percentile(stats.joinToUpMs, 0.99), 0)} ms`);
    const f = Object.entries(stats.failures);
    console.log(`failed steps (goal: none): ${f.length ? f.map(([k, n]) => `${k} x${n}`).join('; ') : 'none'}`);
    console.log(`RESULT soak_churn rounds=${stats.rounds} joins=${stats.joins} failures=${f.reduce((a, [, n]) => a + n, 0)} bursts_rx_pct=${fmt(100 * stats.burstsBothRx / Math.max(1, stats.bursts), 1)}`);

    const mib = (k) => k / 1024;
    const rows = [
        ['janus VmRSS MiB', (s) => s.janus && mib(s.janus.rssKiB), 1],
        ['janus RssAnon MiB', (s) => s.janus && mib(s.janus.anonKiB), 1],
        ['janus open fds', (s) => s.janus?.fds, 0],
        ['janus threads', (s) => s.janus?.threads, 0],
        ['janus sessions', (s) => s.janusSessions, 0],
        ['plugin handles', (s) => s.plugin?.['handles.attached'], 0],
        ['plugin participant objects', (s) => s.plugin?.['handles.participant_objects'], 0],
        ['plugin rooms', (s) => s.plugin?.['rooms.count'], 0],
        ['controller VmRSS MiB', (s) => s.controller && mib(s.controller.rssKiB), 1],
    ];
    console.log(`while churning, every ${SAMPLE_S} s; start = first sample after the ${WARMUP_S} s warm-up, end = last while churning` +
        ` (goal: Janus memory flat within 10 %):`);
    console.log(`  ${'series'.padEnd(27)} ${'start'.padStart(8)} ${'end'.padStart(8)} ${'change'.padStart(8)} ${'slope/min'.padStart(10)}  samples (before, during, after)`);
    for (const [name, pick, d] of rows) {
        const tr = trend(during, pick, WARMUP_S);
        console.log(`  ${name.padEnd(27)} ${fmt(tr.start, d).padStart(8)} ${fmt(tr.end, d).padStart(8)}` +
            ` ${(fmt(tr.changePct, 1) + ' %').padStart(8)} ${fmt(tr.slope, d + 1).padStart(10)}  ${compact(S.map((s) => (s.error ? undefined : pick(s))), d, 30)}`);
        const key = name.replace(/[^a-z0-9]+/gi, '_').replace(/_+$/, '').toLowerCase();
        console.log(`RESULT soak_churn_resource series=${key} start=${fmt(tr.start, d)} end=${fmt(tr.end, d)} change_pct=${fmt(tr.changePct, 2)} slope_per_min=${fmt(tr.slope, d + 2)}`);
    }
    const errs = S.filter((s) => s.error);
    if (errs.length) console.log(`  ${errs.length} samples failed: ${errs[0].error}`);
    statsTable(before, after, afterEnd);
    console.log(`Janus when the last peer had left: ${leftovers.atEnd.sessions} sessions, plugin handles ${leftovers.atEnd.handles}` +
        ` (dropped WebSockets: Janus keeps their sessions reclaim_session_timeout = ${leftovers.reclaimS} s for a claim);` +
        ` ${leftovers.sessions || leftovers.handles ? 'not all gone after' : 'all gone after'} ${fmt(leftovers.settleMs / 1000, 1)} s`);
    console.log(`Janus after that (goal: no session, no handle): ${leftovers.sessions} sessions, ${leftovers.handles} handles` +
        `${leftovers.sessions ? ` (${leftovers.detail})` : ''}`);
    console.log(`RESULT soak_churn_leftovers janus_sessions=${leftovers.sessions} janus_handles=${leftovers.handles}`);
}

// Polls until the plugin holds no handle and Janus no session (or `ms`
// pass); returns how long it took.
async function settle(ms) {
    const t0 = performance.now();
    for (;;) {
        const s = await pluginStats(env);
        const sessions = await janusSessions();
        if (s['handles.attached'] === 0 && s['handles.participant_objects'] === 0 && !sessions.length) break;
        if (performance.now() - t0 > ms) break;
        await sleep(500);
    }
    return performance.now() - t0;
}

// A number from the stack's janus.jcfg (next to the plugin's .jcfg).
function janusSetting(key, def) {
    try {
        const text = readFileSync(join(dirname(env.JANUS_PLUGIN_CONF), 'janus.jcfg'), 'utf8');
        const m = new RegExp(`^\\s*${key}\\s*=\\s*(\\d+)`, 'm').exec(text);
        return m ? Number(m[1]) : def;
    } catch {
        return def;
    }
}

// ---------------------------------------------------------------- main

async function main() {
    const dir = mkdtempSync(join(tmpdir(), 'telemed-churn-'));
    let looper;
    const pairs = [];
    try {
        log(`churn: generating media in ${dir}`);
        looper = new Looper(generateMedia(dir, 6));
        looper.start();
        for (let i = 0; i < PARTICIPANTS / 2; i += 1) {
            const p = new Pair(i, looper);
            await p.newSession();
            pairs.push(p);
        }
        const sampler = new Sampler(takeSample, SAMPLE_S * 1000);
        const before = await pluginStats(env);
        const t0 = performance.now();
        sampler.t0 = t0;
        sampler.start();
        const until = t0 + SECONDS * 1000;
        const cycleMs = 4000 + BURST_S * 1000;
        const progress = setInterval(() => {
            const fails = Object.values(stats.failures).reduce((a, n) => a + n, 0);
            log(`t=${fmt((performance.now() - t0) / 1000, 0)} s rounds ${stats.rounds} joins ${stats.joins} failures ${fails}`);
        }, 30000);
        log(`churn: ${pairs.length} pairs for ${SECONDS} s`);
        await Promise.all(pairs.map((p, i) => p.run(until, (i * cycleMs) / pairs.length)));
        const churnEndT = (performance.now() - t0) / 1000;
        clearInterval(progress);
        await sampler.sampleNow();
        // A dropped WebSocket's Janus session waits reclaim_session_timeout
        // for a claim before Janus destroys it (and detaches its handle).
        const reclaimS = janusSetting('reclaim_session_timeout', 0);
        const atEnd = { sessions: (await janusSessions()).length, handles: (await pluginStats(env))['handles.attached'] };
        log(`churn: every peer left (${atEnd.sessions} Janus sessions still there); waiting up to ${reclaimS + 15} s for them to go`);
        const settleMs = await settle((reclaimS + 15) * 1000);
        await sampler.sampleNow();
        const after = await pluginStats(env);
        const sessions = await janusSessions();
        let handles = 0;
        for (const s of sessions) handles += (await janusHandles(s)).length;
        const leftovers = { sessions: sessions.length, handles, detail: sessions.slice(0, 5).join(' '), atEnd, settleMs, reclaimS };
        for (const p of pairs) if (p.sid) await endTelemedSession(env, p.sid);
        await sleep(1000);
        const afterEnd = await pluginStats(env);
        await sampler.sampleNow();
        await sampler.stop();
        printReport(sampler, churnEndT, before, after, afterEnd, leftovers, (performance.now() - t0) / 1000);
    } finally {
        looper?.stop();
        rmSync(dir, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (e) => {
    log(`churn soak failed: ${e.stack ?? e.message}`);
    process.exit(1);
});
