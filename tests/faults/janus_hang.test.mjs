// Issue 11 items 2 and 3: a hung Janus must not starve what does not need it.
// First describe (bulkheads): routes that need only Postgres, and the probes,
// keep answering while requests that need Janus hang in their own lane.
// Second describe (no row lock across Janus calls):
// Janus is paused (SIGSTOP) while requests that call it run: each answers
// 503 janus-unavailable + Retry-After within 5 s, and while one of them waits
// on Janus, a Postgres-only write to the SAME session (credential revoke,
// which locks the session row) and a read answer in < 1 s: no row lock is
// held across a Janus call. After SIGCONT, Postgres is unchanged and the
// media path agrees with it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { assertProblem } from '../integ/lib/checks.mjs';
import {
    ENV, addParticipant, api, createSession, eventually, psqlValue, restartController, roomInfo, show, sleep, stack,
    transition, uniq,
} from '../integ/lib/stack.mjs';
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

// stack.env is rewritten by every stackctl command: the current Janus PID.
function janusPid() {
    const line = readFileSync(join(stack.dir, 'stack.env'), 'utf8').split('\n').find((l) => l.startsWith('JANUS_PID='));
    const pid = Number((line ?? '').slice('JANUS_PID='.length).replace(/['"]/g, ''));
    assert.ok(Number.isInteger(pid) && pid > 1, `JANUS_PID in stack.env: ${line}`);
    return pid;
}

// One request on a connection of its own (no keep-alive pool): the
// controller's HTTP threads are another part of issue 11 (the bulkhead);
// here a request must not share a connection, and so a server thread, with
// the one that waits on Janus. Resolves {status, headers: {get}, json, text}.
function fresh(method, path, { body, timeout = 10000 } = {}) {
    const url = new URL(ENV.TELEMED_URL + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent: false, timeout,
            headers: {
                authorization: `Bearer ${ENV.TELEMED_API_KEY}`, connection: 'close',
                ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json;
                try {
                    json = text ? JSON.parse(text) : undefined;
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: { get: (k) => res.headers[k.toLowerCase()] ?? null }, json, text });
            });
        });
        req.on('timeout', () => req.destroy(new Error(`timeout after ${timeout} ms: ${method} ${path}`)));
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
    });
}

async function timedAwait(promise) {
    const t0 = Date.now();
    const res = await promise;
    return { res, ms: Date.now() - t0 };
}

describe('Janus hangs (SIGSTOP): Janus routes 503 within 5 s, no row lock held', () => {
    test('start, PATCH and participant add answer 503 + Retry-After within 5 s; the same session stays writable meanwhile', { timeout: 90000 }, async () => {
        const s = await createSession({ title: uniq('hang') });
        const doc = (await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' })).participant;
        const pat = (await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' })).participant;
        await transition(s.id, 'start');
        const count = (sql) => Number(psqlValue(sql));
        const before = {
            participants: count(`SELECT count(*) FROM participants WHERE session_id = '${s.id}'`),
            updated: psqlValue(`SELECT updated_at FROM participants WHERE id = '${pat.id}'`),
        };

        const pid = janusPid();
        process.kill(pid, 'SIGSTOP');
        const figures = {};
        try {
            // Each Janus route, and while it waits, Postgres-only requests on the same session.
            const janusRoutes = [
                ['start', () => fresh('POST', `/sessions/${s.id}/start`, { timeout: 20000 })],
                ['patch', () => fresh('PATCH', `/sessions/${s.id}/participants/${pat.id}`,
                    { body: { permissions: { chat: false } }, timeout: 20000 })],
                ['add', () => fresh('POST', `/sessions/${s.id}/participants`,
                    { body: { user_id: uniq('late'), role: 'observer' }, timeout: 20000 })],
            ];
            for (const [name, call] of janusRoutes) {
                const pending = timedAwait(call());
                await sleep(400);  // the request is now waiting on Janus
                const revoke = await timedAwait(fresh('POST', `/sessions/${s.id}/participants/${doc.id}/credential/revoke`));
                assert.equal(revoke.res.status, 204, `revoke while ${name} waits: ${show(revoke.res)}`);
                const read = await timedAwait(fresh('GET', `/sessions/${s.id}`));
                assert.equal(read.res.status, 200, `GET while ${name} waits: ${show(read.res)}`);
                const { res, ms } = await pending;
                figures[name] = { janus_route_ms: ms, revoke_ms: revoke.ms, get_ms: read.ms };
                assertProblem(res, 503, 'janus-unavailable', `${name} with Janus paused`);
                assert.ok(Number(res.headers.get('retry-after')) > 0, `${name}: Retry-After`);
                assert.ok(ms < 5000, `${name} answered in ${ms} ms (bound 5000)`);
                assert.ok(revoke.ms < 1000, `a Postgres-only write to the same session took ${revoke.ms} ms while ${name} waited on Janus (bound 1000)`);
                assert.ok(read.ms < 1000, `GET took ${read.ms} ms while ${name} waited on Janus (bound 1000)`);
            }
        } finally {
            process.kill(pid, 'SIGCONT');
        }
        console.log(`janus_hang figures: ${JSON.stringify(figures)}`);

        // Consistent after: nothing half-done in Postgres...
        assert.equal(count(`SELECT count(*) FROM participants WHERE session_id = '${s.id}'`), before.participants, 'no participant added');
        assert.equal(psqlValue(`SELECT updated_at FROM participants WHERE id = '${pat.id}'`), before.updated, 'patch not stored');
        const got = await api('GET', `/sessions/${s.id}`);
        assert.equal(got.status, 200, show(got));
        assert.equal(got.json.status, 'active');
        const patNow = got.json.participants.find((p) => p.id === pat.id);
        assert.ok(patNow.permissions.includes('chat'), 'the PATCH that got 503 is not applied');
        // ...and the media path agrees with Postgres once Janus is back (a
        // request Janus read after SIGCONT is undone by the reconciler).
        await eventually(async () => {
            const info = await roomInfo(s.id);
            return info.telemed === 'room';
        }, { timeout: 15000, what: 'Janus answers again' });
        const join = await api('POST', `/sessions/${s.id}/participants`, { body: { user_id: pat.user_id, role: 'patient' } });
        assert.equal(join.status, 200, show(join));
        const patched = await api('PATCH', `/sessions/${s.id}/participants/${pat.id}`, { body: { permissions: { share_files: false } } });
        assert.equal(patched.status, 200, `PATCH works after SIGCONT: ${show(patched)}`);
        assert.ok(patched.json.permissions.includes('chat') && !patched.json.permissions.includes('share_files'));
        await transition(s.id, 'end');
    });

    test('a long janus_timeout_ms does not stretch a request: still 503 within 5 s', { timeout: 90000 }, async () => {
        await restartController('janus_timeout_ms=20000');
        try {
            const s = await createSession({ title: uniq('hang-long') });
            const pat = (await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' })).participant;
            const pid = janusPid();
            process.kill(pid, 'SIGSTOP');
            let got;
            try {
                got = await timedAwait(fresh('PATCH', `/sessions/${s.id}/participants/${pat.id}`,
                    { body: { role: 'observer' }, timeout: 30000 }));
            } finally {
                process.kill(pid, 'SIGCONT');
            }
            console.log(`janus_hang: PATCH with janus_timeout_ms=20000 answered in ${got.ms} ms`);
            assertProblem(got.res, 503, 'janus-unavailable', 'PATCH with Janus paused');
            assert.ok(got.ms < 5000, `answered in ${got.ms} ms (bound 5000) with janus_timeout_ms = 20000`);
            assert.equal(psqlValue(`SELECT role FROM participants WHERE id = '${pat.id}'`), 'patient', 'nothing stored');
            await transition(s.id, 'cancel');
        } finally {
            await restartController(null);
        }
    });
});
