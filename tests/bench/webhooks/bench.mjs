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
import { createServer } from 'node:http';

import { psql, psqlValue, restartController, sleep } from '../../integ/lib/stack.mjs';

const RATE = Number(process.env.BENCH_WH_RATE ?? 500);
const EXTRA = process.env.BENCH_WH_SET ?? '';
const acked = new Map();  // event id -> ms (first 2xx)
let mode = 'ok';
let requests = 0;

const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
        ++requests;
        const id = req.headers['webhook-id'];
        if (mode === 'ok') {
            if (!acked.has(id)) acked.set(id, performance.timeOrigin + performance.now());
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

async function waitAll(tag, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const ev = events(tag);
        const missing = ev.filter((e) => !acked.has(e.id)).length;
        if (!missing) return ev;
        if (Date.now() > deadline) {
            console.log(`  ${tag}: ${missing} of ${ev.length} not delivered within ${timeoutMs / 1000} s`);
            return ev;
        }
        await sleep(100);
    }
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
    const t0 = Date.now();
    insert(10000, 'burst');
    const committed = Date.now();
    const ev = await waitAll('burst', 120000);
    const last = Math.max(...ev.map((e) => acked.get(e.id) ?? 0));
    const firstCommit = Math.min(...ev.map((e) => e.t));
    console.log(`burst: 10000 events (INSERT ${committed - t0} ms), ${(10000 / ((last - firstCommit) / 1000)).toFixed(0)} ` +
        `events/s commit -> last 2xx; ${lagReport(ev)}`);
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
console.log(`settings: defaults${EXTRA ? ` + ${EXTRA}` : ''} (webhook_workers 1, retry base 500 ms, cap 900 s)`);
await restartController(null);
server.close();
server.closeAllConnections?.();
