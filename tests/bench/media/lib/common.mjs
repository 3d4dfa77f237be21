// Shared helpers of the media benchmarks (tests/bench/media/*.mjs): the
// private stack's stack.env, the controller REST API, the Janus Admin API,
// timeouts, statistics and /proc sampling. No test framework: the benchmarks
// print figures and never assert on them.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const TELEMED = 'janus.plugin.telemed';
export const VIDEOROOM = 'janus.plugin.videoroom';
export const ECHOTEST = 'janus.plugin.echotest';

export function log(...a) {
    process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${a.join(' ')}\n`);
}

// ---------------------------------------------------------------- stack.env

function parseEnv(text) {
    const env = {};
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq <= 0) continue;
        let v = line.slice(eq + 1);
        if (v.length >= 2 && v[0] === '"' && v.at(-1) === '"') v = v.slice(1, -1);
        env[line.slice(0, eq)] = v;
    }
    return env;
}

// A Janus token_auth token for the stock plugins the benchmarks compare
// against (the controller's join objects carry one for telemed only), from
// the stack's JANUS_TOKEN_SECRET; null when the stack has none (a Janus
// without token_auth).
export function benchJanusToken(env, plugins = [TELEMED, VIDEOROOM, ECHOTEST], ttlSeconds = 6 * 3600) {
    if (!env.JANUS_TOKEN_SECRET) return null;
    const data = `${Math.floor(Date.now() / 1000) + ttlSeconds},janus,${plugins.join(',')}`;
    return `${data}:${createHmac('sha1', env.JANUS_TOKEN_SECRET).update(data).digest('base64')}`;
}

export function loadStack() {
    const dir = process.env.TELEMED_STACK_DIR;
    if (!dir) throw new Error('TELEMED_STACK_DIR is not set (tests/bench/media.sh sets it)');
    const env = parseEnv(readFileSync(join(dir, 'stack.env'), 'utf8'));
    for (const k of ['TELEMED_URL', 'TELEMED_API_KEY', 'JANUS_WS_URL', 'JANUS_ADMIN_URL', 'JANUS_ADMIN_SECRET', 'JANUS_PID']) {
        if (!env[k]) throw new Error(`stack.env lacks ${k}`);
    }
    return { dir, env };
}

// ---------------------------------------------------------------- timeouts

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function within(promise, ms, what) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- REST (controller)

export async function api(env, method, path, body) {
    const res = await fetch(env.TELEMED_URL.replace(/\/+$/, '') + path, {
        method,
        headers: { authorization: `Bearer ${env.TELEMED_API_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15000),
    });
    const text = await res.text();
    if (res.status >= 300) {
        // Never print tokens: error bodies carry none, but cut anyway.
        throw new Error(`${method} ${path}: HTTP ${res.status} ${text.replace(/"token":"[^"]*"/g, '"token":"…"').slice(0, 300)}`);
    }
    return text ? JSON.parse(text) : undefined;
}

// A started session (doctor role: every permission, bypass_lobby included).
// recordingPolicy: 'disabled' unless a benchmark records.
export async function createTelemedSession(env, title = 'bench', recordingPolicy = 'disabled') {
    const s = await api(env, 'POST', '/sessions', { kind: 'consultation', title, recording_policy: recordingPolicy });
    await api(env, 'POST', `/sessions/${s.id}/start`);
    return s.id;
}

// Adds a participant; returns the join token (kept in memory only).
export async function joinToken(env, sessionId, role = 'doctor') {
    const r = await api(env, 'POST', `/sessions/${sessionId}/participants`,
        { user_id: `bench-${randomUUID().slice(0, 13)}`, role });
    return { token: r.join.token, janusToken: r.join.janus_token ?? null, participantId: r.participant.id };
}

export async function endTelemedSession(env, sessionId) {
    try { await api(env, 'POST', `/sessions/${sessionId}/end`); } catch (e) { log(`end session: ${e.message}`); }
}

// ---------------------------------------------------------------- Janus Admin API

export async function janusAdmin(env, body) {
    const res = await fetch(env.JANUS_ADMIN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, transaction: randomUUID(), admin_secret: env.JANUS_ADMIN_SECRET }),
        signal: AbortSignal.timeout(10000),
    });
    return JSON.parse(await res.text());
}

export async function pluginAdmin(env, plugin, request) {
    const r = await janusAdmin(env, { janus: 'message_plugin', plugin, request });
    if (r.janus !== 'success') throw new Error(`admin ${plugin} ${request.request}: ${JSON.stringify(r).slice(0, 300)}`);
    return r.response;
}

// A VideoRoom room of our own (VP8/Opus, no bitrate cap, no periodic PLI:
// the stock defaults except the codecs).
export async function createVideoRoom(env, publishers = 6) {
    const room = 100000 + Math.floor(Math.random() * 1e9);
    const r = await pluginAdmin(env, VIDEOROOM, {
        request: 'create', room, publishers, videocodec: 'vp8', audiocodec: 'opus', permanent: false,
        description: 'bench',
    });
    if (r.videoroom !== 'created') throw new Error(`videoroom create: ${JSON.stringify(r).slice(0, 300)}`);
    return room;
}

export async function destroyVideoRoom(env, room) {
    try { await pluginAdmin(env, VIDEOROOM, { request: 'destroy', room, permanent: false }); } catch (e) { log(e.message); }
}

// ---------------------------------------------------------------- statistics

// Linear interpolation between closest ranks (R type 7).
export function percentile(values, p) {
    if (!values.length) return NaN;
    const s = [...values].sort((a, b) => a - b);
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (h - lo);
}

export const median = (v) => percentile(v, 0.5);

export function fmt(x, digits = 1) {
    return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

// ---------------------------------------------------------------- /proc

const HZ = 100;   // USER_HZ; Linux reports 100 on every architecture we run on

// Threads, VmRSS (KiB) and utime+stime (s) of one process, and the run time
// of each of its threads in ns (/proc/<pid>/task/<tid>/schedstat: exact,
// where utime+stime come in 10 ms ticks; an idle Janus uses a few ticks per
// participant and minute).
export function procSample(pid) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)[1]);
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / HZ;   // fields 14 and 15 of stat
    const taskNs = new Map();
    const comm = new Map();
    const switches = new Map();  // context switches (voluntary + not): wake-ups
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
            taskNs.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
            comm.set(tid, readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9]+/g, '#'));
            const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
            switches.set(tid, Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)[1]) +
                Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)[1]));
        } catch {
            // the thread ended meanwhile
        }
    }
    return { threads, rssKiB, cpuS, taskNs, comm, switches, at: performance.now() };
}

// Resident memory of a process by kind of mapping (KiB), from
// /proc/<pid>/smaps: thread stacks (anonymous 8 MiB mappings), the main
// heap, other anonymous memory (malloc arenas of threads, large blocks),
// and file mappings (code, libraries).
export function rssByKind(pid) {
    const out = { stacks: 0, heap: 0, anon: 0, files: 0 };
    let kind = null;
    let size = 0;
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
        const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
        if (head) {
            const name = head[1];
            kind = name === '[heap]' ? 'heap' : name.startsWith('/') ? 'files' : name === '' ? 'anon' : null;
            size = 0;
            continue;
        }
        const m = /^(Size|Rss):\s+(\d+) kB/.exec(line);
        if (!m || !kind) continue;
        if (m[1] === 'Size') size = Number(m[2]);
        else out[kind === 'anon' && size === 8192 ? 'stacks' : kind] += Number(m[2]);
    }
    return out;
}

// CPU seconds the process's threads ran between two samples: threads that
// ended in between are missing (`lost` counts them), new ones count from 0.
// Run time (s) between two samples per kind of thread: the thread name
// (/proc/.../comm) with its digits replaced by '#' ("hloop #" for Janus's
// handle loops).
export function cpuByComm(s0, s1) {
    const out = {};
    for (const [tid, t1] of s1.taskNs) {
        const k = s1.comm.get(tid) ?? '?';
        out[k] = (out[k] ?? 0) + (t1 - (s0.taskNs.get(tid) ?? 0)) / 1e9;
    }
    return out;
}

// Context switches between two samples per kind of thread (as cpuByComm).
export function switchesByComm(s0, s1) {
    const out = {};
    for (const [tid, n1] of s1.switches) {
        const k = s1.comm.get(tid) ?? '?';
        out[k] = (out[k] ?? 0) + n1 - (s0.switches.get(tid) ?? 0);
    }
    return out;
}

export function cpuBetween(s0, s1) {
    let ns = 0;
    for (const [tid, t1] of s1.taskNs) ns += t1 - (s0.taskNs.get(tid) ?? 0);
    let lost = 0;
    for (const tid of s0.taskNs.keys()) if (!s1.taskNs.has(tid)) lost += 1;
    return { s: ns / 1e9, lost };
}
