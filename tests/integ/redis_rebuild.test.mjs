// The Redis rebuild in bounded batches (issue 15 "Self-healing state";
// controller/live/redis_tracker.cpp, docs/DESIGN.md "Redis"). 50,000 open
// sessions (40,000 active, 10,000 scheduled; 2 participants in every 5th)
// are inserted straight into Postgres, Redis loses its data (FLUSHALL), the
// tracker notices the missing rebuilt_at marker and rebuilds; Redis's own
// latency monitor (threshold 1 ms) must show no command blocking it for
// 50 ms or more (the one-transaction rebuild blocked it ~1.5 s for this many),
// and the rebuilt state must be complete and right: the sets equal Postgres's
// open sessions, every session hash and participant hash exists, a sample
// matches Postgres field by field. Sessions created and closed through the
// controller while the rebuild runs are right afterwards (not lost, not back).
// Then the 50,000 rows are deleted in Postgres and a second rebuild (marker
// deleted) must remove their keys in batches too, leave alone the keys under
// the prefix it does not own (presence-like keys, the room reconciler's
// snapshots) and again never block Redis 50 ms.
// Janus is stopped meanwhile: the room reconciler would otherwise try to
// create a room for each of the 50,000 active sessions. The controller runs
// with a 1 s lifecycle sweep and a 1 h expiry so that an expiry can close
// sessions during the rebuild without Janus. Figures (rebuild times, the
// largest latency event, a PING probe's worst round trip) are printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import {
    ENV, createSession, eventually, healthy, lit, psql, psqlValue, redis, redisHash, restartController, sleep, stackctl,
} from './lib/stack.mjs';

const T = { timeout: 600000 };
const P = ENV.REDIS_PREFIX || 'telemed:';
const N = 50000;
const RUN = `rebuild-${randomUUID().slice(0, 8)}`;  // external_ref of the bulk rows

// redis-cli with a large output buffer (a SCAN of 100,000 keys).
function redisBig(...args) {
    const r = spawnSync('sh', ['-c', `${ENV.REDIS_CLI} "$@"`, 'sh', ...args.map(String)], {
        encoding: 'utf8', timeout: 120000, cwd: '/', maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`redis-cli ${args[0]} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.split('\n').filter((l) => l.length > 0);
}

// The latency monitor's events as {event: max_ms} (LATENCY LATEST: per event
// name, timestamp, latest and all-time max since the last LATENCY RESET).
function latencyEvents() {
    const lines = redis('LATENCY', 'LATEST');
    const out = {};
    for (let i = 0; i + 3 < lines.length; i += 4) out[lines[i]] = Number(lines[i + 3]);
    return out;
}

function resetLatency() {
    redis('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    redis('LATENCY', 'RESET');
}

// Redis blocked executing commands (a MULTI/EXEC counts as one command).
function assertNotBlocked(what) {
    const ev = latencyEvents();
    console.log(`# ${what}: latency monitor events (max ms): ${JSON.stringify(ev)}`);
    for (const name of ['command', 'fast-command']) {
        if (ev[name] === undefined) continue;
        assert.ok(ev[name] < 50, `${what}: Redis blocked ${ev[name]} ms by one ${name} (LATENCY HISTORY ${name}: ` +
            `${redis('LATENCY', 'HISTORY', name).join(' ')})`);
    }
}

// PING every few ms on a connection of its own; the worst round trip.
function pingProbe() {
    const sock = net.connect(Number(ENV.REDIS_PORT), '127.0.0.1');
    let worst = 0;
    let sent = 0;
    let stop = false;
    let count = 0;
    const send = () => {
        if (stop) return;
        sent = performance.now();
        sock.write('PING\r\n');
    };
    sock.on('data', () => {
        worst = Math.max(worst, performance.now() - sent);
        count += 1;
        setTimeout(send, 5);
    });
    sock.on('connect', send);
    sock.on('error', () => {});
    return { done: () => { stop = true; sock.destroy(); return { worst: Math.round(worst), count }; } };
}

function rebuiltAt() {
    return redis('GET', `${P}sessions:rebuilt_at`)[0] ?? '';
}

// psql with a large output buffer (50,000 ids); rows as arrays.
function psqlBig(sql) {
    const r = spawnSync('sh', ['-c', `${ENV.PSQL} -X -q -v ON_ERROR_STOP=1 -A -t -F "$(printf '\\t')"`], {
        input: sql, encoding: 'utf8', timeout: 120000, cwd: '/', maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

function openIds(status) {
    return psqlBig(`SELECT id FROM sessions WHERE status ${status ? `= ${lit(status)}` : "IN ('scheduled', 'active')"}`)
        .map(([id]) => id).sort();
}

function setMembers(name) {
    return redisBig('SMEMBERS', `${P}sessions:${name}`).sort();
}

// The per-session keys the rebuild owns, by session id.
function ownedKeys() {
    const keys = redisBig('--scan', '--pattern', `${P}session:*`);
    const sessions = new Set();
    const parts = new Set();
    for (const k of keys) {
        const rest = k.slice(`${P}session:`.length);
        if (!rest.includes(':')) sessions.add(rest);
        else if (rest.endsWith(':participants') && rest.indexOf(':') === rest.length - ':participants'.length) {
            parts.add(rest.slice(0, -':participants'.length));
        }
    }
    return { sessions, parts };
}

function controllerLogLines(re) {
    try {
        return readFileSync(ENV.CONTROLLER_LOG, 'utf8').split('\n').filter((l) => re.test(l));
    } catch {
        return [];
    }
}

// The marker is "rebuilding" from the set swap on, and the finish time once
// the rebuild is over (stale keys removed, queued writes replayed).
async function waitRebuilt(previous, what) {
    return eventually(() => {
        const at = rebuiltAt();
        return at && at !== previous && at !== 'rebuilding' ? at : null;
    }, { timeout: 180000, interval: 100, what });
}

before(async () => {
    await restartController(['lifecycle_sweep_interval_s=1', 'session_expire_after_s=3600'].join(','));
    stackctl('stop-janus');
});

after(async () => {
    // Whatever happened: the bulk rows go, Redis is rebuilt without them,
    // Janus and the stack's own controller settings come back.
    psqlTry(`DELETE FROM participants WHERE session_id IN (SELECT id FROM sessions WHERE external_ref = ${lit(RUN)});
             DELETE FROM sessions WHERE external_ref = ${lit(RUN)};`);
    try {
        const prev = rebuiltAt();
        redis('DEL', `${P}sessions:rebuilt_at`);
        await waitRebuilt(prev, 'rebuild after cleanup');
    } catch { /* reported by the test */ }
    stackctl('start-janus');
    await restartController(null);
    await eventually(healthy, { timeout: 30000, what: 'healthy' });
});

function psqlTry(sql) {
    try {
        psql(sql, { timeout: 120000 });
    } catch (e) {
        console.log(`# cleanup: ${e.message}`);
    }
}

describe('Redis rebuild in batches', () => {
    test('50,000 sessions rebuilt without blocking Redis 50 ms; complete, right, races kept; stale keys removed', T, async () => {
        // Before: a few sessions through the controller (Redis has them).
        const early = await createSession({ kind: 'emergency' });
        const ghost = randomUUID();  // no session: keys of other owners only
        // 50,000 open sessions in three statements.
        const t0 = Date.now();
        psql(`INSERT INTO sessions (id, kind, status, external_ref, created_at, updated_at, started_at)
              SELECT gen_random_uuid(),
                     (ARRAY['consultation', 'emergency', 'follow_up'])[1 + g % 3],
                     CASE WHEN g % 5 = 0 THEN 'scheduled' ELSE 'active' END,
                     ${lit(RUN)}, now(), now() - (g || ' ms')::interval,
                     CASE WHEN g % 5 = 0 THEN NULL ELSE now() END
                FROM generate_series(1, ${N}) g;
              INSERT INTO participants (id, session_id, user_id, role)
              SELECT gen_random_uuid(), s.id, 'bulk-doc-' || left(s.id::text, 8), 'doctor'
                FROM sessions s WHERE s.external_ref = ${lit(RUN)} AND s.status = 'active'
                 AND get_byte(uuid_send(s.id), 0) % 4 = 0;
              INSERT INTO participants (id, session_id, user_id, role)
              SELECT gen_random_uuid(), p.session_id, 'bulk-pat-' || left(p.session_id::text, 8), 'patient'
                FROM participants p JOIN sessions s ON s.id = p.session_id
               WHERE s.external_ref = ${lit(RUN)} AND p.role = 'doctor';`, { timeout: 300000 });
        console.log(`# inserted ${N} sessions in ${Date.now() - t0} ms`);
        assert.equal(Number(psqlValue(`SELECT count(*) FROM sessions WHERE external_ref = ${lit(RUN)}`)), N);


        // 1. Redis loses everything; the tracker notices its marker is gone.
        const toClose = [];
        for (let i = 0; i < 3; i += 1) toClose.push(await createSession());
        const probe = pingProbe();
        const logged0 = controllerLogLines(/live state rebuilt/).length;
        redis('FLUSHALL', 'ASYNC');
        resetLatency();  // the test's own FLUSHALL is not the rebuild's
        // Keys under the prefix the rebuild does not own: left alone.
        redis('SET', `${P}session:${ghost}:presence`, 'x', 'EX', '600');
        redis('SET', `${P}presence:${ghost}`, 'y', 'EX', '600');
        redis('SET', `${P}room:${ghost}:snapshot`, '{}');
        const tFlush = Date.now();
        // Writes racing the rebuild: creations through the controller, and
        // expiries by the lifecycle sweep (backdated past the 1 h limit).
        const created = [];
        const racing = (async () => {
            await sleep(300);
            psql(`UPDATE sessions SET created_at = now() - interval '2 hours'
                   WHERE id IN (${toClose.map((s) => lit(s.id)).join(',')})`);
            for (let i = 0; i < 10; i += 1) {
                created.push(await createSession({ kind: 'follow_up' }));
                await sleep(100);
            }
        })();
        await waitRebuilt('', 'rebuilt_at marker after FLUSHALL');
        const rebuildMs = Date.now() - tFlush;
        await racing;
        const ping = probe.done();
        console.log(`# rebuild of ${N} sessions: done ${rebuildMs} ms after FLUSHALL (with the <= 2 s until the tracker notices); PING probe worst ` +
            `${ping.worst} ms over ${ping.count} pings`);
        await eventually(() => controllerLogLines(/live state rebuilt/).length > logged0, { timeout: 5000, what: 'log line' })
            .catch(() => {});
        for (const l of controllerLogLines(/live state rebuilt/).slice(logged0)) console.log(`# controller: ${l.replace(/^.*redis: /, '')}`);
        assertNotBlocked('rebuild after FLUSHALL');
        // Expired during or after the rebuild: cancelled in Postgres.
        await eventually(() => toClose.every((s) => psqlValue(`SELECT status FROM sessions WHERE id = ${lit(s.id)}`) === 'cancelled'),
            { timeout: 20000, what: 'backdated sessions expired' });

        // Complete and right. The racing writes are in (or out) too.
        await eventually(() => {
            const open = openIds();
            const active = openIds('active');
            const so = setMembers('open');
            const sa = setMembers('active');
            return so.length === open.length && sa.length === active.length &&
                so.every((id, i) => id === open[i]) && sa.every((id, i) => id === active[i]);
        }, { timeout: 30000, interval: 500, what: 'sessions:open / sessions:active equal Postgres' });
        const open = new Set(openIds());
        assert.ok(open.size >= N, `${open.size} open sessions`);
        const { sessions, parts } = ownedKeys();
        for (const id of open) assert.ok(sessions.has(id), `hash of open session ${id}`);
        for (const id of sessions) assert.ok(open.has(id), `no hash of a session not open (${id})`);
        const withParts = new Set(psqlBig(`SELECT DISTINCT p.session_id FROM participants p JOIN sessions s ON s.id = p.session_id
                                        WHERE p.status = 'active' AND s.status IN ('scheduled', 'active')`).map(([id]) => id));
        assert.deepEqual([...parts].sort(), [...withParts].sort(), 'participant hashes = open sessions with active participants');
        console.log(`# rebuilt: ${sessions.size} session hashes, ${parts.size} participant hashes`);
        for (const s of created) assert.equal(redisHash(`${P}session:${s.id}`).status, 'scheduled', 'racing creation kept');
        for (const s of toClose) {
            assert.equal(redis('EXISTS', `${P}session:${s.id}`)[0], '0', 'session closed meanwhile not back');
            assert.ok(!open.has(s.id));
        }
        // A sample, field by field.
        const sample = psql(`SELECT s.id, s.status, s.kind,
                                    to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                               FROM sessions s WHERE s.external_ref = ${lit(RUN)} ORDER BY random() LIMIT 200`);
        for (const [id, status, kind, updated] of sample) {
            const h = redisHash(`${P}session:${id}`);
            assert.deepEqual({ status: h.status, kind: h.kind }, { status, kind }, `session ${id}`);
            assert.equal(Date.parse(h.updated_at), Date.parse(updated), `updated_at of ${id}`);
            const want = Object.fromEntries(psql(`SELECT id, user_id, role FROM participants
                                                   WHERE session_id = ${lit(id)} AND status = 'active'`)
                .map(([pid, user, role]) => [pid, JSON.stringify({ user_id: user, role })]));
            assert.deepEqual(redisHash(`${P}session:${id}:participants`), want, `participants of ${id}`);
        }
        // Not the rebuild's: still there.
        assert.equal(redis('GET', `${P}room:${ghost}:snapshot`)[0], '{}');
        assert.equal(redis('GET', `${P}session:${ghost}:presence`)[0], 'x');
        assert.equal(redis('GET', `${P}presence:${ghost}`)[0], 'y');
        assert.equal(redisHash(`${P}session:${early.id}`).kind, 'emergency');

        // 2. The bulk rows go (behind the controller's back); a rebuild
        // (marker deleted) removes their 50,000+ keys in batches.
        redis('SET', `${P}session:${ghost}:presence`, 'x', 'EX', '600');
        redis('SET', `${P}presence:${ghost}`, 'y', 'EX', '600');
        psql(`DELETE FROM participants WHERE session_id IN (SELECT id FROM sessions WHERE external_ref = ${lit(RUN)});
              DELETE FROM sessions WHERE external_ref = ${lit(RUN)};`, { timeout: 300000 });
        const prev = rebuiltAt();
        resetLatency();
        const probe2 = pingProbe();
        const t2 = Date.now();
        const logged = controllerLogLines(/live state rebuilt/).length;
        redis('DEL', `${P}sessions:rebuilt_at`);
        await waitRebuilt(prev, 'rebuilt_at marker after it was deleted');
        const ping2 = probe2.done();
        console.log(`# rebuild removing ${N} sessions' keys: done ${Date.now() - t2} ms after the marker went (<= 2 s to notice); PING probe worst ${ping2.worst} ms`);
        await eventually(() => controllerLogLines(/live state rebuilt/).length > logged, { timeout: 5000, what: 'log line' })
            .catch(() => {});
        for (const l of controllerLogLines(/live state rebuilt/).slice(logged)) console.log(`# controller: ${l.replace(/^.*redis: /, '')}`);
        assertNotBlocked('rebuild removing stale keys');
        const after2 = ownedKeys();
        const open2 = new Set(openIds());
        assert.deepEqual([...after2.sessions].sort(), [...open2].sort(), 'session hashes = open sessions');
        for (const id of after2.parts) assert.ok(open2.has(id), 'no participant hash of a closed session');
        assert.equal(Number(redis('SCARD', `${P}sessions:open`)[0]), open2.size);
        // Keys it does not own survive, TTL included.
        assert.equal(redis('GET', `${P}session:${ghost}:presence`)[0], 'x');
        assert.ok(Number(redis('TTL', `${P}session:${ghost}:presence`)[0]) > 0);
        assert.equal(redis('GET', `${P}presence:${ghost}`)[0], 'y');
        assert.equal(redis('GET', `${P}room:${ghost}:snapshot`)[0], '{}');
        redis('DEL', `${P}session:${ghost}:presence`, `${P}presence:${ghost}`, `${P}room:${ghost}:snapshot`);
        // Writes after the rebuild land again.
        const later = await createSession();
        await eventually(() => redisHash(`${P}session:${later.id}`).status === 'scheduled', { what: 'write after rebuild' });
    });
});
