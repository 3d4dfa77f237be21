// Issue 11 item 2: a hung Postgres must not freeze the controller.
//
// Every process of the stack's private cluster (the postmaster of
// stack.env's POSTGRES_PID and its backends, found through /proc) is stopped
// with SIGSTOP while clients create sessions. Then: every request answers
// 503 + Retry-After (application/problem+json) within 5 s of its start,
// /healthz answers 200 in < 1 s, /readyz answers 503 (postgres down) within
// 2 s of the stop. After SIGCONT everything recovers: a create works and
// every session answered 201 is there.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { api, eventually, show, sleep } from '../integ/lib/stack.mjs';
import { contTree, percentile, stackPid, stopTree, timed } from './lib/pause.mjs';

const T = { timeout: 60000 };
const HOLD_MS = 7000;       // how long Postgres stays stopped
const CLIENTS = 6;          // concurrent create loops
const BOUND_MS = 5000;      // issue 11: a hung dependency fails requests within 5 s

function create(key) {
    return api('POST', '/sessions', {
        body: { kind: 'consultation', title: 'pg hang' },
        headers: { 'idempotency-key': key },
        timeout: 20000,
    });
}

describe('postgres hang (SIGSTOP of the whole cluster)', () => {
    test('requests fail fast with 503 + Retry-After, /healthz and /readyz answer, all recovers', T, async () => {
        // Warm up: the pool holds live connections to the soon stopped backends.
        for (let i = 0; i < 4; i++) assert.equal((await create(randomUUID())).status, 201);
        assert.equal((await api('GET', '/readyz', { auth: false })).status, 200, 'ready before the fault');

        const root = stackPid('POSTGRES_PID');
        const results = [];     // {key, status, ms, started, res, error}
        let stopAt = Infinity;
        let contAt = Infinity;
        let running = true;
        const loops = Array.from({ length: CLIENTS }, async () => {
            while (running) {
                const key = randomUUID();
                const r = await timed(() => create(key));
                results.push({ key, ...r });
                if (r.status === 503) await sleep(100);
            }
        });
        let stopped = [];
        const health = [];
        const ready = [];
        try {
            await sleep(500);
            stopped = stopTree(root);
            stopAt = performance.now();
            // Probe the probes while Postgres is stopped.
            while (performance.now() - stopAt < HOLD_MS) {
                const [h, r] = await Promise.all([
                    timed(() => api('GET', '/healthz', { auth: false, timeout: 10000 })),
                    timed(() => api('GET', '/readyz', { auth: false, timeout: 10000 })),
                ]);
                health.push(h);
                ready.push({ ...r, at: r.started - stopAt });
                await sleep(200);
            }
        } finally {
            running = false;
            contTree(root, stopped);
            contAt = performance.now();
        }
        await Promise.all(loops);

        // Figures for the report.
        const during = results.filter((r) => r.started >= stopAt && r.started + r.ms < contAt);
        const durMs = during.map((r) => r.ms);
        const healthMs = health.map((h) => h.ms);
        const firstDown = ready.find((r) => r.status === 503 && r.res?.json?.checks?.postgres === 'down');
        console.log(`postgres hang: ${stopped.length} processes stopped; ${during.length} creates during the stop, ` +
            `max ${Math.max(...durMs).toFixed(0)} ms, p50 ${percentile(durMs, 50).toFixed(0)} ms; ` +
            `/healthz max ${Math.max(...healthMs).toFixed(0)} ms; ` +
            `/readyz 503 after ${firstDown ? (firstDown.at + firstDown.ms).toFixed(0) : 'never'} ms`);

        assert.ok(stopped.length >= 2, `postmaster and backends stopped (${stopped.length})`);
        // Every request in flight during the stop is answered within 5 s; one
        // begun and answered while Postgres was stopped is a 503 +
        // Retry-After (one begun before the stop may have committed, one
        // still waiting at the SIGCONT may succeed).
        for (const r of results.filter((x) => x.started + x.ms >= stopAt)) {
            assert.ok(!r.error, `request failed without an answer after ${r.ms.toFixed(0)} ms: ${r.error?.message}`);
            assert.ok(r.ms <= BOUND_MS, `answered in ${r.ms.toFixed(0)} ms (bound ${BOUND_MS}): ${show(r.res)}`);
            if (r.started < stopAt || r.started + r.ms >= contAt) continue;
            assert.equal(r.status, 503, `503 during the stop: ${show(r.res)}`);
            assert.match(r.res.headers.get('content-type') ?? '', /^application\/problem\+json/);
            assert.match(r.res.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After (seconds)');
            assert.equal(r.res.json.type, 'https://telemed.example/problems/database-unavailable', show(r.res));
        }
        assert.ok(during.length >= CLIENTS, `requests were begun and answered during the stop (${during.length})`);
        for (const h of health) {
            assert.equal(h.status, 200, `/healthz during the stop: ${h.error?.message ?? ''}`);
            assert.ok(h.ms < 1000, `/healthz in ${h.ms.toFixed(0)} ms`);
        }
        assert.ok(firstDown, `/readyz said postgres down during the stop: ${ready.map((r) => r.status).join(',')}`);
        assert.ok(firstDown.at + firstDown.ms <= 2000,
            `/readyz 503 within 2 s of the stop (after ${(firstDown.at + firstDown.ms).toFixed(0)} ms)`);
        for (const r of ready) assert.ok(r.ms < 1000, `/readyz in ${r.ms.toFixed(0)} ms`);

        // Recovery: creates work again, readiness comes back, nothing accepted is lost.
        await eventually(async () => (await create(randomUUID())).status === 201,
            { timeout: 15000, what: 'a create after SIGCONT' });
        await eventually(async () => (await api('GET', '/readyz', { auth: false })).status === 200,
            { timeout: 10000, what: '/readyz 200 after SIGCONT' });
        const accepted = results.filter((r) => r.status === 201);
        for (const r of accepted) {
            const g = await api('GET', `/sessions/${r.res.json.id}`);
            assert.equal(g.status, 200, `accepted session ${r.res.json.id} is there: ${show(g)}`);
        }
        // A create refused during the stop can be retried with its key: once, never twice.
        const refused = results.filter((r) => r.status === 503).slice(0, 5);
        for (const r of refused) {
            const again = await create(r.key);
            assert.ok(again.status === 201, `retry of a refused create: ${show(again)}`);
        }
    });
});
