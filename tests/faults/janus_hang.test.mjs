// Issue 11 item 3: a hung Janus (SIGSTOP of the stack's Janus process).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { addParticipant, api, createSession, eventually, show, sleep, uniq } from '../integ/lib/stack.mjs';
import { contTree, percentile, stackPid, stopTree, timed } from './lib/pause.mjs';

const T = { timeout: 60000 };

// Bulkheads: the routes that need only Postgres run in their own lane, so
// Janus calls hanging in the Janus lane cannot starve them; the probes run
// on the event threads and read cached readiness.
describe('janus hang: Postgres-only routes and probes keep answering (bulkheads)', () => {
    test('GET/POST /sessions < 1 s while Janus requests hang; /healthz < 1 s; /readyz 503 within 2 s', T, async () => {
        const s = await createSession({ title: 'janus hang' });
        await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });  // the room exists
        assert.equal((await api('GET', '/readyz', { auth: false })).status, 200, 'ready before the fault');

        const root = stackPid('JANUS_PID');
        let stopped = [];
        let stopAt = 0;
        let contAt = Infinity;
        const janusCalls = [];
        const reads = [];
        const health = [];
        const ready = [];
        try {
            stopped = stopTree(root);
            stopAt = performance.now();
            // Several Janus-lane requests in flight (each waits for Janus).
            for (let i = 0; i < 8; i++) {
                janusCalls.push(timed(() => api('POST', `/sessions/${s.id}/participants`,
                    { body: { user_id: uniq('pat'), role: 'patient' }, timeout: 20000 })));
            }
            await sleep(200);
            // Meanwhile the Postgres-only routes and the probes.
            while (performance.now() - stopAt < 4000) {
                const [a, b, c, h, r] = await Promise.all([
                    timed(() => api('GET', `/sessions/${s.id}`, { timeout: 10000 })),
                    timed(() => api('POST', '/sessions', { body: { kind: 'consultation' }, timeout: 10000 })),
                    timed(() => api('GET', '/sessions?limit=5', { timeout: 10000 })),
                    timed(() => api('GET', '/healthz', { auth: false, timeout: 10000 })),
                    timed(() => api('GET', '/readyz', { auth: false, timeout: 10000 })),
                ]);
                reads.push({ what: `GET /sessions/${s.id}`, want: 200, ...a },
                    { what: 'POST /sessions', want: 201, ...b }, { what: 'GET /sessions', want: 200, ...c });
                health.push(h);
                ready.push({ ...r, at: r.started - stopAt });
                await sleep(150);
            }
        } finally {
            contTree(root, stopped);
            contAt = performance.now();
        }
        const settled = await Promise.all(janusCalls);

        const readMs = reads.map((r) => r.ms);
        const firstDown = ready.find((r) => r.status === 503 && r.res?.json?.checks?.janus === 'down');
        console.log(`janus hang: ${reads.length} Postgres-only requests, max ${Math.max(...readMs).toFixed(0)} ms, ` +
            `p50 ${percentile(readMs, 50).toFixed(0)} ms; /healthz max ${Math.max(...health.map((h) => h.ms)).toFixed(0)} ms; ` +
            `/readyz 503 after ${firstDown ? (firstDown.at + firstDown.ms).toFixed(0) : 'never'} ms; ` +
            `Janus-lane answers ${settled.map((x) => x.status ?? 'none').join(',')}`);

        for (const r of reads) {
            assert.ok(!r.error, `${r.what}: no answer after ${r.ms.toFixed(0)} ms (${r.error?.message})`);
            assert.equal(r.status, r.want, `${r.what}: ${show(r.res)}`);
            assert.ok(r.ms < 1000, `${r.what} answered in ${r.ms.toFixed(0)} ms while Janus hangs`);
        }
        for (const h of health) {
            assert.equal(h.status, 200, `/healthz: ${h.error?.message ?? ''}`);
            assert.ok(h.ms < 1000, `/healthz in ${h.ms.toFixed(0)} ms`);
        }
        assert.ok(firstDown, `/readyz said janus down: ${ready.map((r) => r.status).join(',')}`);
        assert.ok(firstDown.at + firstDown.ms <= 2000,
            `/readyz 503 within 2 s of the stop (after ${(firstDown.at + firstDown.ms).toFixed(0)} ms)`);
        // The Janus-lane requests (four run, four wait in the lane's queue)
        // are answered within 5 s: 503 + Retry-After while Janus is stopped
        // (or a success if Janus was back first), never a hung connection.
        for (const c of settled) {
            assert.ok(!c.error, `Janus-lane request answered (${c.error?.message})`);
            assert.ok(c.ms <= 5000, `Janus-lane request answered in ${c.ms.toFixed(0)} ms`);
            if (c.started + c.ms >= contAt) continue;
            assert.equal(c.status, 503, show(c.res));
            assert.match(c.res.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After (seconds)');
            assert.match(c.res.headers.get('content-type') ?? '', /^application\/problem\+json/);
        }

        await eventually(async () => (await api('GET', '/readyz', { auth: false })).status === 200,
            { timeout: 15000, what: '/readyz 200 after SIGCONT' });
    });
});
