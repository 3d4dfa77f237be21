#!/usr/bin/env node
// REST soak: the controller's API at a fixed open-loop rate for a long time,
// against the full private stack (Postgres, Redis, Janus with the plugin).
// Prints figures; asserts nothing.
//
// Load: BENCH_SOAK_RATE requests/s (500), each sent at its scheduled time
// t0 + i/rate whatever the answers do (open loop: a slow controller gets the
// same arrivals, and requests wait in the client's connection pool if every
// connection is busy). Latency runs from the scheduled time to the end of the
// answer, so time spent waiting for a connection counts (no coordinated
// omission). Every request belongs to a session's script, in the order a
// backend would call (docs/API.md):
//   POST /sessions (Idempotency-Key)            create          1
//   POST /sessions/{id}/participants            add doctor, patient   2
//   GET  /sessions/{id}                         get             4
//   PATCH /sessions/{id}/participants/{pid}     patch (the patient's
//                                               publish_video off, then on)  2
//   POST /sessions/{id}/end                     end             1
// i.e. 10 % create, 20 % add, 40 % get, 20 % patch, 10 % end. Every tenth
// scheduled request creates a session (exactly rate/10 sessions/s); at the
// others the next step of the oldest session whose previous answer is in
// goes out. So at most one step per session is in flight (no self-made 409
// concurrent-change), and the mix is 1:2:4:2:1 while the controller keeps
// up. When it does not (no session ready), the slot is still used: a GET of
// a random live session (counted as "substitute GETs": the mix shifts
// towards reads, the rate does not drop). A failed step sends the session
// straight to its end; an end that failed (503, timeout) is sent again, up
// to 10 times, as a backend would. The add and PATCH reach the plugin
// (create_room, set_permissions), the end destroys the room.
//
// Every BENCH_SOAK_SAMPLE_S (10) s: controller VmRSS / RssAnon / open fds /
// threads, Postgres (postmaster and children: VmRSS sum, private RssAnon sum,
// PSS sum), Redis used_memory, Janus VmRSS and the plugin's room count, and
// the p50/p99 of the last interval. The first BENCH_SOAK_WARMUP_S (60, at most
// a quarter of the run) are the warm-up: latencies are counted after it, and
// memory "start" is the first sample at its end (caches, pools and the
// allocator's arenas have grown by then), "end" the last sample; the slope
// is a least-squares fit over the samples from the start on.
//
// Usage (tests/bench/soak.sh rest runs it in the stack's network namespace):
//   TELEMED_STACK_DIR=... node tests/bench/soak/rest_soak.mjs
//   BENCH_SOAK_SECONDS (600)  BENCH_SOAK_RATE (500)  BENCH_SOAK_CONNS (128)
//   BENCH_SOAK_WARMUP_S (60)  BENCH_SOAK_SAMPLE_S (10)
import { randomUUID } from 'node:crypto';
import http from 'node:http';

import { fmt, loadStack, log, percentile, pluginAdmin, TELEMED } from '../media/lib/common.mjs';
import { Sampler, compact, postgresMem, procMem, redisMemory, trend } from './lib/resources.mjs';

function intEnv(name, def, min, max) {
    const v = process.env[name] === undefined || process.env[name] === '' ? def : Number(process.env[name]);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
    return v;
}

const SECONDS = intEnv('BENCH_SOAK_SECONDS', 600, 10, 86400);
const RATE = intEnv('BENCH_SOAK_RATE', 500, 1, 20000);
const CONNS = intEnv('BENCH_SOAK_CONNS', 128, 1, 1024);
const WARMUP_S = Math.min(intEnv('BENCH_SOAK_WARMUP_S', 60, 0, 3600), Math.floor(SECONDS / 4));
const SAMPLE_S = intEnv('BENCH_SOAK_SAMPLE_S', 10, 1, 600);
const END_TRIES = 10;       // an end that failed is sent again, at most this often
const TIMEOUT_MS = 10000;   // from the scheduled time: an answer later than that is a timeout

const { env } = loadStack();
const base = new URL(env.TELEMED_URL);
// An idle kept-alive connection is dropped after 4 s: the controller closes
// it after header_timeout_s (10 s, docs/API.md "Limits"), and a request sent
// on a connection it is closing meanwhile would fail with ECONNRESET.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS, maxFreeSockets: CONNS, timeout: 4000 });
const pid = (k) => {
    const n = Number(env[k]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`stack.env has no ${k}`);
    return n;
};
const PIDS = { controller: pid('CONTROLLER_PID'), postgres: pid('POSTGRES_PID'), janus: pid('JANUS_PID') };

// ---------------------------------------------------------------- HTTP

// One request; resolves { status, body } or { status: 'timeout' | 'ERR:<code>' }.
// `deadline` (performance.now() ms): a request not answered by then, waiting
// for a connection or for its answer, is abandoned as a timeout (the queue
// of an overloaded run stays bounded).
function request(method, path, body, headers, deadline) {
    return new Promise((resolve) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request({
            agent, host: base.hostname, port: base.port, method, path,
            headers: {
                authorization: `Bearer ${env.TELEMED_API_KEY}`,
                ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
                ...headers,
            },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', (e) => resolve({ status: `ERR:${e.code ?? 'response'}` }));
            // After 'end' this changes nothing; before it the answer was cut (or abandoned).
            res.on('close', () => resolve({ status: performance.now() >= deadline ? 'timeout' : 'ERR:cut' }));
        });
        const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })),
            Math.max(0, deadline - performance.now()));
        req.on('close', () => clearTimeout(timer));
        req.on('error', (e) => resolve({ status: e.code === 'timeout' ? 'timeout' : `ERR:${e.code ?? 'request'}` }));
        if (data) req.write(data);
        req.end();
    });
}

// ---------------------------------------------------------------- sessions

const ROUTES = ['POST /sessions', 'POST /sessions/{id}/participants', 'GET /sessions/{id}',
    'PATCH /sessions/{id}/participants/{pid}', 'POST /sessions/{id}/end'];
const SCRIPT = ['create', 'add', 'add', 'get', 'get', 'patch', 'get', 'get', 'patch', 'end'];
const STEP = {
    create: { route: ROUTES[0], ok: 201 },
    add: { route: ROUTES[1], ok: 201 },
    get: { route: ROUTES[2], ok: 200 },
    patch: { route: ROUTES[3], ok: 200 },
    end: { route: ROUTES[4], ok: 200 },
};

class Session {
    constructor() {
        this.id = null;
        this.step = 0;
        this.participants = [];   // ids, doctor first
        this.videoOff = false;
        this.failed = false;
        this.endTries = 0;
    }

    next() { return this.failed ? 'end' : SCRIPT[this.step]; }

    // The request of the next step: [method, path, body, headers].
    build(kind) {
        switch (kind) {
        case 'create':
            return ['POST', '/sessions', { kind: 'consultation', title: 'soak', external_ref: `soak-${randomUUID().slice(0, 8)}` },
                { 'idempotency-key': randomUUID() }];
        case 'add': {
            const doctor = this.participants.length === 0;
            return ['POST', `/sessions/${this.id}/participants`,
                { user_id: `soak-${randomUUID().slice(0, 13)}`, role: doctor ? 'doctor' : 'patient', display_name: doctor ? 'Dr. Soak' : 'Pat Soak' }];
        }
        case 'get':
            return ['GET', `/sessions/${this.id}`];
        case 'patch':
            return ['PATCH', `/sessions/${this.id}/participants/${this.participants.at(-1)}`,
                { permissions: { publish_video: this.videoOff } }];
        case 'end':
            return ['POST', `/sessions/${this.id}/end`];
        default:
            throw new Error(kind);
        }
    }

    // Takes the answer of `kind`; false when the session is done.
    done(kind, res, ok) {
        if (!ok) {
            if (kind === 'create') return false;
            // An end that may not have happened (503, timeout, cut) is sent
            // again, as a backend would (docs/API.md: 503 is safe to retry,
            // end is idempotent): a session left open keeps its Janus room.
            if (kind === 'end') return res.status !== 404 && res.status !== 409 && ++this.endTries < END_TRIES;
            this.failed = true;
            return true;
        }
        const body = res.body ? JSON.parse(res.body) : {};
        if (kind === 'create') this.id = body.id;
        if (kind === 'add') this.participants.push(body.participant.id);
        if (kind === 'patch') this.videoOff = !this.videoOff;
        if (kind === 'end') return false;
        this.step += 1;
        // A patch needs a participant: without one (an add failed) it ends.
        if (SCRIPT[this.step] === 'patch' && !this.participants.length) this.failed = true;
        return true;
    }
}

// ---------------------------------------------------------------- load

const stats = {
    lat: Object.fromEntries(ROUTES.map((r) => [r, []])),   // ms, after the warm-up
    statusByRoute: Object.fromEntries(ROUTES.map((r) => [r, {}])),
    errors: {},            // "route status" → n (whole run)
    sent: 0, answered: 0, maxLagMs: 0, inFlight: 0, maxInFlight: 0,
    window: [],            // latencies of the current sample interval (all routes)
    sessionsEnded: 0, sessionsCreated: 0, substitutes: 0,
};

const ready = [];          // sessions whose last answer is in (FIFO)
const live = new Map();    // id → session: created, end not sent yet
let t0 = 0;
let warmEnd = 0;

// The slot-th scheduled request: a create every tenth, else the next step of
// a ready session, else a substitute GET of a live one.
function issue(scheduledAt, slot) {
    let s;
    let kind;
    let substitute = false;
    if (slot % SCRIPT.length === 0 || (!ready.length && !live.size)) {
        s = new Session();
        kind = 'create';
    } else if (ready.length) {
        s = ready.shift();
        kind = s.next();
    } else {
        const ids = [...live.keys()];
        s = live.get(ids[Math.floor(Math.random() * ids.length)]);
        kind = 'get';
        substitute = true;
        stats.substitutes += 1;
    }
    if (kind === 'end') live.delete(s.id);
    const [method, path, body, headers] = s.build(kind);
    const { route, ok } = STEP[kind];
    stats.sent += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    if (kind === 'create') stats.sessionsCreated += 1;
    request(method, path, body, headers ?? {}, scheduledAt + TIMEOUT_MS).then((res) => {
        const ms = performance.now() - scheduledAt;
        stats.inFlight -= 1;
        stats.answered += 1;
        const good = res.status === ok;
        const byStatus = stats.statusByRoute[route];
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        if (!good) stats.errors[`${route} ${res.status}`] = (stats.errors[`${route} ${res.status}`] ?? 0) + 1;
        if (scheduledAt >= warmEnd) stats.lat[route].push(ms);
        stats.window.push(ms);
        if (substitute) return;
        let more = false;
        try {
            more = s.done(kind, res, good);
            if (kind === 'create' && more) live.set(s.id, s);
        } catch (e) {
            log(`bad answer to ${route}: ${e.message}`);
            s.failed = true;
            more = kind !== 'end' && s.id !== null;
        }
        if (kind === 'end') stats.sessionsEnded += good ? 1 : 0;
        if (more) ready.push(s);
    });
}

// Sends every request whose scheduled time has come, then sleeps ~1 ms.
function runLoad() {
    return new Promise((resolve) => {
        const interval = 1000 / RATE;
        const total = Math.floor(SECONDS * RATE);
        let i = 0;
        const tick = () => {
            const now = performance.now();
            while (i < total && t0 + i * interval <= now) {
                const at = t0 + i * interval;
                stats.maxLagMs = Math.max(stats.maxLagMs, now - at);
                issue(at, i);
                i += 1;
            }
            if (i < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + i * interval - performance.now())));
            else resolve();
        };
        tick();
    });
}

async function drain(maxMs) {
    const end = performance.now() + maxMs;
    while (stats.inFlight > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 50));
}

// ---------------------------------------------------------------- sampling

async function takeSample() {
    const lat = stats.window.splice(0);
    const out = {
        controller: procMem(PIDS.controller),
        postgres: postgresMem(PIDS.postgres),
        janus: procMem(PIDS.janus),
        p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), n: lat.length, inFlight: stats.inFlight,
        answered: stats.answered, clientCpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
    try { out.redis = await redisMemory(Number(env.REDIS_PORT)); } catch (e) { out.redisError = e.message; }
    try { out.rooms = (await pluginAdmin(env, TELEMED, { request: 'ping' })).rooms; } catch { out.rooms = NaN; }
    return out;
}

// ---------------------------------------------------------------- report

function printReport(sampler, wallS) {
    const S = sampler.samples;
    const mib = (k) => k / 1024;
    console.log(`soak rest: ${RATE} req/s open loop for ${SECONDS} s (warm-up ${WARMUP_S} s), ${CONNS} connections,` +
        ` ${stats.sent} sent, ${stats.answered} answered in ${fmt(wallS, 0)} s; sessions created ${stats.sessionsCreated}, ended ${stats.sessionsEnded}`);
    console.log(`driver: late by at most ${fmt(stats.maxLagMs, 1)} ms against the schedule; at most ${stats.maxInFlight} requests in flight;` +
        ` ${stats.substitutes} substitute GETs (no session was ready: the controller fell behind); ${live.size} sessions left open`);
    console.log(`latency after the warm-up, from the scheduled send (goal: none failing; p99 per route):`);
    console.log(`  ${'route'.padEnd(42)} ${'n'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  statuses`);
    for (const r of ROUTES) {
        const v = stats.lat[r];
        const st = Object.entries(stats.statusByRoute[r]).map(([k, n]) => `${k}:${n}`).join(' ');
        console.log(`  ${r.padEnd(42)} ${String(v.length).padStart(7)} ${fmt(percentile(v, 0.5), 2).padStart(8)}` +
            ` ${fmt(percentile(v, 0.99), 2).padStart(8)} ${fmt(v.length ? v.reduce((a, x) => Math.max(a, x), -Infinity) : NaN, 1).padStart(8)}  ${st}`);
        console.log(`RESULT soak_rest_latency route="${r}" n=${v.length} p50_ms=${fmt(percentile(v, 0.5), 3)} p99_ms=${fmt(percentile(v, 0.99), 3)}`);
    }
    const errs = Object.entries(stats.errors);
    console.log(`errors by route and status (goal: none): ${errs.length ? errs.map(([k, n]) => `${k}: ${n}`).join('; ') : 'none'}`);
    console.log(`RESULT soak_rest_errors total=${errs.reduce((a, [, n]) => a + n, 0)}`);

    const rows = [
        ['controller VmRSS MiB', (s) => s.controller && mib(s.controller.rssKiB), 1],
        ['controller RssAnon MiB', (s) => s.controller && mib(s.controller.anonKiB), 1],
        ['controller open fds', (s) => s.controller?.fds, 0],
        ['controller threads', (s) => s.controller?.threads, 0],
        ['postgres VmRSS sum MiB', (s) => mib(s.postgres.rssKiB), 1],
        ['postgres RssAnon sum MiB', (s) => mib(s.postgres.anonKiB), 1],
        ['postgres PSS sum MiB', (s) => mib(s.postgres.pssKiB), 1],
        ['postgres processes', (s) => s.postgres.processes, 0],
        ['redis used_memory MiB', (s) => s.redis && s.redis.usedMemory / 1048576, 2],
        ['janus VmRSS MiB', (s) => s.janus && mib(s.janus.rssKiB), 1],
        ['plugin rooms', (s) => s.rooms, 0],
    ];
    console.log(`resources every ${SAMPLE_S} s; start = first sample after the ${WARMUP_S} s warm-up, end = last` +
        ` (goal: controller and Postgres memory flat within 10 %, fds flat):`);
    console.log(`  ${'series'.padEnd(26)} ${'start'.padStart(9)} ${'end'.padStart(9)} ${'change'.padStart(8)} ${'slope/min'.padStart(10)}  samples (whole run)`);
    for (const [name, pick, d] of rows) {
        const tr = trend(S, pick, WARMUP_S);
        console.log(`  ${name.padEnd(26)} ${fmt(tr.start, d).padStart(9)} ${fmt(tr.end, d).padStart(9)}` +
            ` ${(fmt(tr.changePct, 1) + ' %').padStart(8)} ${fmt(tr.slope, d + 1).padStart(10)}  ${compact(S.map((s) => (s.error ? undefined : pick(s))), d, 30)}`);
        const key = name.replace(/[^a-z0-9]+/gi, '_').replace(/_+$/, '').toLowerCase();
        console.log(`RESULT soak_rest_resource series=${key} start=${fmt(tr.start, d)} end=${fmt(tr.end, d)} change_pct=${fmt(tr.changePct, 2)} slope_per_min=${fmt(tr.slope, d + 2)}`);
    }
    // CPU per answered request between the first and the last sample
    // (Postgres: its processes alive at both; the pool's backends live on).
    const a = S.find((s) => !s.error && s.controller && s.janus);
    const b = [...S].reverse().find((s) => !s.error && s.controller && s.janus);
    if (a && b && b.t > a.t) {
        const n = Math.max(1, b.answered - a.answered);
        const per = (x, y) => `${fmt(1000 * (y - x) / n, 3)} ms (${fmt(100 * (y - x) / (b.t - a.t), 0)} % of a core)`;
        console.log(`CPU per answered request over the run: controller ${per(a.controller.cpuS, b.controller.cpuS)},` +
            ` Postgres ${per(a.postgres.cpuS, b.postgres.cpuS)}, Janus ${per(a.janus.cpuS, b.janus.cpuS)},` +
            ` this client ${per(a.clientCpuS, b.clientCpuS)}`);
    }
    console.log(`  p50 / p99 per ${SAMPLE_S} s interval (ms, all routes): ` +
        `${compact(S.map((s) => s.p50), 1, 30)} / ${compact(S.map((s) => s.p99), 1, 30)}`);
    const failed = S.filter((s) => s.error || s.redisError);
    if (failed.length) console.log(`  ${failed.length} samples incomplete: ${failed[0].error ?? failed[0].redisError}`);
}

// ---------------------------------------------------------------- main

async function main() {
    log(`rest soak: ${RATE}/s for ${SECONDS} s, warm-up ${WARMUP_S} s, ${CONNS} connections, controller pid ${PIDS.controller}`);
    const sampler = new Sampler(takeSample, SAMPLE_S * 1000);
    t0 = performance.now() + 50;
    warmEnd = t0 + WARMUP_S * 1000;
    sampler.t0 = t0;
    sampler.start();
    const progress = setInterval(() => {
        const e = Object.values(stats.errors).reduce((a, n) => a + n, 0);
        log(`t=${fmt((performance.now() - t0) / 1000, 0)} s sent ${stats.sent} answered ${stats.answered} in flight ${stats.inFlight} errors ${e}`);
    }, 30000);
    await runLoad();
    await drain(TIMEOUT_MS + 2000);
    const wallS = (performance.now() - t0) / 1000;
    await sampler.sampleNow();   // the end: after the last answer
    await sampler.stop();
    clearInterval(progress);
    agent.destroy();
    printReport(sampler, wallS);
}

main().catch((e) => {
    log(`rest soak failed: ${e.stack ?? e.message}`);
    process.exit(1);
});
