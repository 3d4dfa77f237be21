// Webhook delivery benchmark (tests/bench/webhooks.sh runs it against a
// private stack; prints figures, asserts nothing). A local receiver
// (127.0.0.1, keep-alive) answers 200; outbox rows are inserted with SQL
// (the dispatcher cannot tell them from the routes' rows), 10 per session so
// the per-session order is exercised.
//   burst    10,000 events in one INSERT: events/s from commit to the last
//            2xx, and commit -> delivered percentiles
//   steady   BENCH_WH_RATE events/s (default 500) for 10 s in batches every
//            100 ms: commit -> delivered percentiles (the latency a receiver sees)
//   outage   10,000 events at BENCH_WH_RATE/s while the receiver answers 500
//            for 10 s in the middle: time from its recovery until the
//            backlog is delivered
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { psql, psqlValue, restartController, sleep, stack } from '../../integ/lib/stack.mjs';

// CPU seconds (user + system) of a process, and of a process with its children.
const TICK = 100;  // USER_HZ
function cpuOf(pid) {
    try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) / TICK;
    } catch {
        return 0;
    }
}
function cpuWithChildren(pid) {
    let sum = cpuOf(pid);
    for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
            if (Number(f[1]) === pid) sum += (Number(f[11]) + Number(f[12])) / TICK;
        } catch {
            // gone
        }
    }
    return sum;
}
const ctlPid = () => Number(readFileSync(join(stack.dir, 'pids', 'controller.pid'), 'utf8').trim());
// The postmaster (scripts/lib/pg.sh pg_pid): first line of postmaster.pid.
const pgPid = () => Number(readFileSync(join(stack.dir, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
function cpuSnapshot() {
    const u = process.cpuUsage();
    return { ctl: cpuOf(ctlPid()), pg: cpuWithChildren(pgPid()), node: (u.user + u.system) / 1e6 };
}
function cpuReport(a, b, n) {
    const f = (k) => `${k} ${(b[k] - a[k]).toFixed(2)} s (${(((b[k] - a[k]) / n) * 1e6).toFixed(0)} µs/event)`;
    return `CPU: controller ${f('ctl')}, postgres ${f('pg')}, receiver+driver ${f('node')}`;
}

const RATE = Number(process.env.BENCH_WH_RATE ?? 500);
const EXTRA = process.env.BENCH_WH_SET ?? '';
const acked = new Map();  // event id -> ms (first 2xx)
let mode = 'ok';
let requests = 0;

const ackedByType = new Map();  // type -> distinct events answered 2xx
const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        ++requests;
        const id = req.headers['webhook-id'];
        if (mode === 'ok') {
            if (!acked.has(id)) {
                acked.set(id, performance.timeOrigin + performance.now());
                const type = JSON.parse(Buffer.concat(chunks).toString('utf8')).type;
                ackedByType.set(type, (ackedByType.get(type) ?? 0) + 1);
            }
            res.writeHead(200);
        } else {
            res.writeHead(500);
        }
        res.end();
    });
});
server.keepAliveTimeout = 60000;
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/hook`;
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
await restartController([`webhook_urls=${url}`, `webhook_secret=${secret}`, EXTRA].filter(Boolean).join(';'));
psql('UPDATE outbox SET fanned_out_at = now() WHERE fanned_out_at IS NULL');

// Inserts n events of `tag` (10 per session, sessions numbered on across
// calls) in one transaction.
const inserted = new Map();
function insert(n, tag) {
    const base = inserted.get(tag) ?? 0;
    inserted.set(tag, base + n);
    psql(`INSERT INTO outbox (event_id, topic, payload, session_id)
          SELECT e, 'bench.${tag}', jsonb_build_object('session_id', s::text, 'event_id', e::text,
                 'topic', 'bench.${tag}', 'n', i,
                 'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), s
          FROM (SELECT i, gen_random_uuid() AS e,
                       md5('${tag}' || ((${base} + i - 1) / 10)::text)::uuid AS s
                FROM generate_series(1, ${n}) AS i) x`);
}

function events(tag) {
    return psql(`SELECT event_id, (extract(epoch from created_at) * 1000)::float8 FROM outbox
                 WHERE topic = 'bench.${tag}'`).map(([id, t]) => ({ id, t: Number(t) }));
}

// Waits (in process: no queries that would load Postgres meanwhile) until
// every inserted event of `tag` was answered 2xx; then reads their commit times.
async function waitAll(tag, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    const want = inserted.get(tag);
    while ((ackedByType.get(`bench.${tag}`) ?? 0) < want && Date.now() <= deadline) await sleep(10);
    const ev = events(tag);
    const missing = ev.filter((e) => !acked.has(e.id)).length;
    if (missing) console.log(`  ${tag}: ${missing} of ${ev.length} not delivered within ${timeoutMs / 1000} s`);
    return ev;
}

function pct(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

function lagReport(ev) {
    const lags = ev.filter((e) => acked.has(e.id)).map((e) => acked.get(e.id) - e.t).sort((a, b) => a - b);
    return `commit -> delivered p50 ${pct(lags, 0.5).toFixed(1)} ms, p99 ${pct(lags, 0.99).toFixed(1)} ms, ` +
        `max ${lags.at(-1).toFixed(1)} ms`;
}

// burst
{
    const c0 = cpuSnapshot();
    const t0 = Date.now();
    insert(10000, 'burst');
    const committed = Date.now();
    const ev = await waitAll('burst', 120000);
    const last = Math.max(...ev.map((e) => acked.get(e.id) ?? 0));
    const firstCommit = Math.min(...ev.map((e) => e.t));
    console.log(`burst: 10000 events (INSERT ${committed - t0} ms), ${(10000 / ((last - firstCommit) / 1000)).toFixed(0)} ` +
        `events/s commit -> last 2xx; ${lagReport(ev)}`);
    console.log(`  ${cpuReport(c0, cpuSnapshot(), 10000)}`);
}

// steady
{
    const per = Math.max(1, Math.round(RATE / 10));
    const t0 = Date.now();
    for (let k = 0; k < 100; ++k) {
        insert(per, 'steady');
        const next = t0 + (k + 1) * 100;
        if (next > Date.now()) await sleep(next - Date.now());
    }
    const ev = await waitAll('steady', 60000);
    console.log(`steady: ${per * 100} events at ${per * 10}/s; ${lagReport(ev)}`);
}

// outage
{
    const per = Math.max(1, Math.round(RATE / 10));
    const batches = Math.ceil(10000 / per);
    const t0 = Date.now();
    const outageAt = t0 + (batches * 100) / 2 - 5000;
    let recovered = 0;
    for (let k = 0; k < batches; ++k) {
        const now = Date.now();
        if (mode === 'ok' && !recovered && now >= outageAt) mode = 'down';
        if (mode === 'down' && now >= outageAt + 10000) {
            mode = 'ok';
            recovered = Date.now();
        }
        insert(per, 'outage');
        const next = t0 + (k + 1) * 100;
        if (next > Date.now()) await sleep(next - Date.now());
    }
    while (!recovered) {
        await sleep(50);
        if (Date.now() >= outageAt + 10000) {
            mode = 'ok';
            recovered = Date.now();
        }
    }
    const insertedAll = Date.now();
    const ev = await waitAll('outage', 600000);
    const last = Math.max(...ev.map((e) => acked.get(e.id) ?? 0));
    const backlog = ev.filter((e) => e.t < recovered && (acked.get(e.id) ?? Infinity) > recovered).length;
    console.log(`outage: ${ev.length} events at ${per * 10}/s, receiver 500 for 10 s; backlog at recovery ` +
        `${backlog} events; drained ${((last - recovered) / 1000).toFixed(1)} s after recovery ` +
        `(${((last - insertedAll) / 1000).toFixed(1)} s after the last insert)`);
    const dead = psqlValue("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'");
    console.log(`  dead deliveries: ${dead}; receiver saw ${requests} requests in all`);
}
console.log(`settings: webhook defaults (workers 1, retry base 500 ms, cap 900 s)${EXTRA ? `, then ${EXTRA}` : ''}; ` +
    `load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
await restartController(null);
server.close();
server.closeAllConnections?.();
