// Janus event ingestion: controller CPU per event (tests/bench/janus_events.sh).
//
// Set-up: one active session with 40 participants (a busy clinic's worth of
// handles). Mix, per participant handle, as a real call produces it with
// stats_period = 5 (JANUS-NOTES §6, events = "handles,webrtc,media,plugins"):
// joined + webrtcup once, then media stats (audio and video, two streams)
// every period, and now and then a hangup + webrtcup (ICE restart), a
// replaced + joined (reconnect), a left + joined. About 92 % stats samples,
// the rest connection and plugin events: every kind the worker handles,
// including its Postgres batch and Redis presence writes.
//
// Measured: utime + stime of the controller PID from /proc/<pid>/stat, read
// just before the first post and once the worker has processed every event
// (telemed_janus_events_processed_total), divided by the events accepted.
// It covers HTTP handling, parsing, queueing and the worker's work (libpq and
// hiredis client side); Postgres's and Redis's own CPU are printed apart.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { execFileSync } from 'node:child_process';

const env = parseEnv(readFileSync(`${process.env.TELEMED_STACK_DIR}/stack.env`, 'utf8'));
const URL = env.TELEMED_URL;
const N = Number(process.env.BENCH_EVH_EVENTS ?? 100000);
const BATCH = Number(process.env.BENCH_EVH_BATCH ?? 100);
const PARALLEL = Number(process.env.BENCH_EVH_PARALLEL ?? 4);
const AUTH = `Basic ${Buffer.from(`janus:${env.JANUS_EVENTS_SECRET}`).toString('base64')}`;
const API = { authorization: `Bearer ${env.TELEMED_API_KEY}`, 'content-type': 'application/json' };
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

async function rest(method, path, body) {
    const res = await fetch(URL + path, { method, headers: API, body: body && JSON.stringify(body) });
    const json = await res.json().catch(() => undefined);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
}

function cpuSeconds(pid) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;  // utime, stime (fields 14, 15)
}

async function metric(name) {
    const text = await (await fetch(`${URL}/metrics`)).text();
    const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
}

// ------------------------------------------------------------ the mix
const s = await rest('POST', '/sessions', { kind: 'consultation', title: 'bench' });
await rest('POST', `/sessions/${s.id}/start`);
const people = [];
for (let i = 0; i < 40; i++) {
    const r = await rest('POST', `/sessions/${s.id}/participants`,
        { user_id: `bench-${i}`, role: i === 0 ? 'doctor' : 'patient', permissions: { bypass_lobby: true } });
    people.push({ pid: r.participant.id, handle: 7000000000000000 + i * 1000, n: 0, recv: 0, lost: 0 });
}
let ts = Date.now() * 1000;
const J = 8123456789012345;
const plugin = (h, event, pid) => ({ type: 64, timestamp: ts++, session_id: h ? J : null, handle_id: h || null,
    event: { plugin: 'janus.plugin.telemed', data: { event, room: s.id, participant_id: pid } } });
const conn = (h, connection, reason) => ({ type: 16, subtype: 6, timestamp: ts++, session_id: J, handle_id: h,
    event: reason ? { connection, reason } : { connection } });
const stats = (p, mid, media) => {
    p.recv += 250; p.lost += Math.random() < 0.2 ? 2 : 0;
    return { type: 32, subtype: 3, timestamp: ts++, session_id: J, handle_id: p.handle,
        event: { mid, mindex: Number(mid), media, codec: media === 'audio' ? 'opus' : 'vp8',
            base: media === 'audio' ? 48000 : 90000, rtt: 10 + (p.n % 7), lost: p.lost, 'lost-by-remote': 0,
            'jitter-local': 3 + (p.n % 5), 'jitter-remote': 2, 'in-link-quality': 100, 'in-media-link-quality': 100,
            'out-link-quality': 100, 'out-media-link-quality': 100, 'packets-received': p.recv, 'packets-sent': p.recv,
            'bytes-received': p.recv * 120, 'bytes-sent': p.recv * 120, 'bytes-received-lastsec': 12000,
            'bytes-sent-lastsec': 12000, 'nacks-received': 0, 'nacks-sent': 0, 'retransmissions-received': 0 } };
};
const events = [];
for (const p of people) events.push(plugin(p.handle, 'joined', p.pid), conn(p.handle, 'webrtcup'));
let k = 0;
while (events.length < N) {
    const p = people[k++ % people.length];
    p.n++;
    events.push(stats(p, '0', 'audio'), stats(p, '1', 'video'));
    if (p.n % 13 === 0) events.push(conn(p.handle, 'hangup', 'ICE failed'), conn(p.handle, 'webrtcup'));
    if (p.n % 29 === 0) {
        const old = p.handle;
        p.handle += 1;
        events.push(plugin(old, 'replaced', p.pid), plugin(p.handle, 'joined', p.pid), conn(p.handle, 'webrtcup'),
            { type: 2, timestamp: ts++, session_id: J, handle_id: old, event: { name: 'detached' } });
    }
    if (p.n % 41 === 0) events.push(plugin(p.handle, 'left', p.pid), plugin(p.handle, 'joined', p.pid));
}
events.length = N;
const bodies = [];
for (let i = 0; i < N; i += BATCH) bodies.push(JSON.stringify(events.slice(i, i + BATCH)));
const kinds = {};
for (const e of events) kinds[e.type] = (kinds[e.type] ?? 0) + 1;

// ------------------------------------------------------------ run
const pid = Number(env.CONTROLLER_PID);
const processed0 = await metric('telemed_janus_events_processed_total');
const accepted0 = await metric('telemed_janus_events_accepted_total');
const cpu0 = cpuSeconds(pid);
const redis0 = env.REDIS_PID ? cpuSeconds(Number(env.REDIS_PID)) : 0;
const t0 = performance.now();
let next = 0, dropped = 0, refused = 0;
async function sender() {
    while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${URL}/internal/v1/janus-events`, { method: 'POST', headers: { authorization: AUTH,
            'content-type': 'application/json' }, body });
        const json = await res.json();
        if (res.status !== 200) refused++;
        else dropped += json.dropped;
    }
}
await Promise.all(Array.from({ length: PARALLEL }, sender));
const tPosted = performance.now();
const accepted = (await metric('telemed_janus_events_accepted_total')) - accepted0;
while ((await metric('telemed_janus_events_processed_total')) - processed0 < accepted) {
    await new Promise((r) => setTimeout(r, 50));
}
const tDone = performance.now();
const cpu = cpuSeconds(pid) - cpu0;
const redisCpu = env.REDIS_PID ? cpuSeconds(Number(env.REDIS_PID)) - redis0 : NaN;
const rows = await metric('telemed_janus_events_rows_total');
const outbox = await metric('telemed_janus_events_outbox_total');

console.log('Janus event ingestion (POST /internal/v1/janus-events -> worker -> Postgres + Redis)');
console.log(`  events posted        ${N} in ${bodies.length} posts of ${BATCH}, ${PARALLEL} in flight`);
console.log(`  mix by type          ${Object.entries(kinds).map(([t, n]) => `${t}:${n}`).join(' ')}` +
    ' (32 = media stats, 16 = webrtc, 64 = plugin, 2 = handle)');
console.log(`  accepted / dropped   ${accepted} / ${dropped} (refused posts: ${refused})`);
console.log(`  rows / outbox        ${rows} participant_events rows, ${outbox} outbox events (whole run)`);
console.log(`  wall                 posted in ${((tPosted - t0) / 1000).toFixed(2)} s, ` +
    `processed after ${((tDone - t0) / 1000).toFixed(2)} s (${Math.round(accepted / ((tDone - t0) / 1000))} events/s)`);
console.log(`  controller CPU       ${cpu.toFixed(2)} s (utime+stime of pid ${pid}, /proc/${pid}/stat, CLK_TCK ${TICK})`);
console.log(`  redis CPU            ${Number.isNaN(redisCpu) ? 'n/a' : `${redisCpu.toFixed(2)} s`}`);
console.log(`  CPU per event        ${(cpu / accepted * 1e6).toFixed(1)} µs (goal <= 50 µs)`);
