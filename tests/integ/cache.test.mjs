// The GET /sessions/{id} read cache (docs/DESIGN.md "Read cache"):
// - a writer's own follow-up GET always shows its write (local invalidation
//   after commit, fill race lost by readers that started before the commit),
//   also with concurrent GETs in flight while the write commits;
// - a change made by another writer (psql, standing for another controller)
//   shows within the staleness bound (LISTEN/NOTIFY);
// - after a controller restart and after a Postgres restart the answers are
//   still right (the cache is flushed and re-enabled on reconnect).
// The tests first prove the cache is in service and that hits are served,
// so they cannot pass against a controller that simply never caches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
    ENV, addParticipant, api, createSession, eventually, healthy, lit, metric, psql, redis, show, sleep, stackctl, transition,
    uniq,
} from './lib/stack.mjs';

// A participant of GET /sessions/{id} without its live `presence` member
// (only GET has it; the write answers do not), which must be there.
function withoutPresence(p) {
    if (!p) return p;
    assert.ok('presence' in p, 'GET /sessions/{id} participants carry presence');
    const { presence, ...rest } = p;
    return rest;
}

const T = { timeout: 120000 };
// Other writers: notification latency is milliseconds; the listener's own
// worst case (silent connection loss) is ~2 s. Poll for 2 s as the brief says.
const OTHER_WRITER_BOUND_MS = 2000;

async function cacheInService() {
    return (await metric('telemed_session_cache_in_service')) === 1;
}

async function getSession(sid) {
    const r = await api('GET', `/sessions/${sid}`);
    assert.equal(r.status, 200, show(r));
    return r;
}

// Polls GET until `pred(json)` holds; returns elapsed ms (throws after `ms`).
async function until(sid, pred, ms, what) {
    const t0 = Date.now();
    for (;;) {
        const r = await getSession(sid);
        if (pred(r.json)) return Date.now() - t0;
        if (Date.now() - t0 > ms) assert.fail(`${what}: not seen within ${ms} ms; last ${show(r)}`);
        await sleep(20);
    }
}

describe('session read cache', () => {
    test('is in service and serves hits byte-identical to a database read', T, async () => {
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('cached'), metadata: { a: 1, b: [true, null] } });
        const inv0 = await metric('telemed_session_cache_invalidations_total');
        await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor', display_name: 'Dr. Ünïcødé "quoted"' });
        // The add invalidates twice: locally after its commit, and again when
        // its own NOTIFY reaches the listener, which may come after our first
        // GET's fill and drop it. Wait for both, so the GETs below measure
        // hits and not the notification's timing.
        await eventually(async () => (await metric('telemed_session_cache_invalidations_total')) >= inv0 + 2,
                         { timeout: OTHER_WRITER_BOUND_MS, what: "the add's local and notified invalidations" });
        const hits0 = await metric('telemed_session_cache_hits_total');
        const first = await getSession(s.id);   // miss: rendered from Postgres, fills
        const second = await getSession(s.id);  // hit
        const third = await getSession(s.id);   // hit
        const hits1 = await metric('telemed_session_cache_hits_total');
        assert.ok(hits1 - hits0 >= 2, `two hits counted (${hits0} -> ${hits1})`);
        assert.equal(second.text, first.text, 'hit body is byte-identical to the database read');
        assert.equal(third.text, first.text);
        assert.equal(second.headers.get('content-type'), first.headers.get('content-type'));
        assert.equal(second.headers.get('content-length'), first.headers.get('content-length'));
        assert.equal(first.json.participants.length, 1);
    });

    test('a writer always reads its own writes (20 rounds, concurrent readers)', T, async () => {
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('ryw') });
        const pat = (await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' })).participant;
        const hits0 = await metric('telemed_session_cache_hits_total');
        for (let i = 0; i < 20; i++) {
            await getSession(s.id);
            await getSession(s.id);  // surely cached now
            const chat = i % 2 === 0 ? false : true;
            const role = i % 4 < 2 ? 'patient' : 'observer';
            // GETs racing the write: some start before its commit and try to
            // fill the cache with the old state after it.
            const racing = [];
            for (let k = 0; k < 6; k++) racing.push(api('GET', `/sessions/${s.id}`));
            const patched = await api('PATCH', `/sessions/${s.id}/participants/${pat.id}`,
                { body: { role, permissions: { chat } } });
            assert.equal(patched.status, 200, show(patched));
            const after = (await getSession(s.id)).json;
            // GET adds the live presence (docs/API.md "Presence"), not part of the PATCH answer.
            const p = withoutPresence(after.participants.find((x) => x.id === pat.id));
            assert.ok(p, `round ${i}: participant listed`);
            assert.deepEqual(p, patched.json, `round ${i}: GET right after PATCH shows the PATCH`);
            assert.equal(p.role, role);
            assert.equal(p.permissions.includes('chat'), chat, `round ${i}: chat ${chat}`);
            await Promise.all(racing);
            // And the racers did not leave the old state behind.
            const later = withoutPresence((await getSession(s.id)).json.participants.find((x) => x.id === pat.id));
            assert.deepEqual(later, patched.json, `round ${i}: still the PATCHed state after the racers`);
        }
        const hits1 = await metric('telemed_session_cache_hits_total');
        assert.ok(hits1 - hits0 >= 20, `the loop was served from the cache in part (${hits1 - hits0} hits)`);
    });

    test('every mutating route invalidates: add, re-add, remove (both forms), start, end', T, async () => {
        const s = await createSession();
        await getSession(s.id);
        await getSession(s.id);
        const a = (await addParticipant(s.id, { user_id: uniq('a'), role: 'doctor' })).participant;
        assert.deepEqual((await getSession(s.id)).json.participants.map((p) => p.id), [a.id], 'add');
        const bUser = uniq('b');
        const b = (await addParticipant(s.id, { user_id: bUser, role: 'patient' })).participant;
        assert.equal((await getSession(s.id)).json.participants.length, 2, 'second add');
        await getSession(s.id);
        assert.equal((await api('DELETE', `/sessions/${s.id}/participants/${b.id}`)).status, 204);
        assert.deepEqual((await getSession(s.id)).json.participants.map((p) => p.id), [a.id], 'DELETE by path');
        const b2 = (await addParticipant(s.id, { user_id: bUser, role: 'patient' })).participant;
        assert.notEqual(b2.id, b.id);
        assert.deepEqual((await getSession(s.id)).json.participants.map((p) => p.id).sort(), [a.id, b2.id].sort(),
            're-add after removal');
        await getSession(s.id);
        const del = await api('DELETE', `/sessions/${s.id}/participants`, { body: { user_id: bUser } });
        assert.equal(del.status, 204, show(del));
        assert.deepEqual((await getSession(s.id)).json.participants.map((p) => p.id), [a.id], 'DELETE by body');
        await getSession(s.id);
        await transition(s.id, 'start');
        const started = (await getSession(s.id)).json;
        assert.equal(started.status, 'active', 'start');
        assert.ok(started.started_at);
        await transition(s.id, 'end');
        assert.equal((await getSession(s.id)).json.status, 'ended', 'end');

        const c = await createSession();
        await getSession(c.id);
        await getSession(c.id);
        await transition(c.id, 'cancel');
        assert.equal((await getSession(c.id)).json.status, 'cancelled', 'cancel');
    });

    test('a change by another writer shows within the bound', T, async () => {
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('before') });
        const p = (await addParticipant(s.id, { user_id: uniq('u'), role: 'patient', display_name: 'Before' })).participant;
        for (let i = 0; i < 5; i++) {
            // The entry is cached before the change. Not assumed after two
            // reads: the notification of the participant add (or of the last
            // change) may reach the listener after them and drop the entry
            // (seen once on a loaded machine), so read until a read is a hit.
            await eventually(async () => {
                const hits0 = await metric('telemed_session_cache_hits_total');
                assert.equal((await getSession(s.id)).json.title !== null, true);
                return (await metric('telemed_session_cache_hits_total')) > hits0;
            }, { timeout: 5000, interval: 50, what: 'the entry cached before the change' });

            const title = uniq(`after${i}`);
            psql(`UPDATE sessions SET title = ${lit(title)}, updated_at = now() WHERE id = ${lit(s.id)}`);
            const ms = await until(s.id, (j) => j.title === title, OTHER_WRITER_BOUND_MS, `title change ${i}`);
            assert.ok(ms <= OTHER_WRITER_BOUND_MS, `title seen after ${ms} ms`);

            await getSession(s.id);
            const name = `Name ${i}`;
            psql(`UPDATE participants SET display_name = ${lit(name)} WHERE id = ${lit(p.id)}`);
            await until(s.id, (j) => j.participants[0]?.display_name === name, OTHER_WRITER_BOUND_MS,
                `participant change ${i}`);
        }
        // A participant removed behind the controller's back disappears.
        await getSession(s.id);
        await getSession(s.id);
        psql(`UPDATE participants SET status = 'removed', removed_at = now() WHERE id = ${lit(p.id)}`);
        await until(s.id, (j) => j.participants.length === 0, OTHER_WRITER_BOUND_MS, 'participant removed by psql');
    });

    test('with the listener stuck: own writes still read back, other writers bounded (~2 s)', T, async () => {
        // SIGSTOP the listener's Postgres backend: notifications stop
        // arriving but its socket stays open. Local invalidation must still
        // give read-your-writes, and the listener's probe must notice within
        // kIdlePing + kPingTimeout (2 s) and bypass the cache.
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('stuck') });
        const pat = (await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' })).participant;
        const pids = psql(`SELECT pid FROM pg_stat_activity WHERE application_name = 'telemed-controller-listener'`);
        assert.equal(pids.length, 1, 'one listener backend');
        const pid = Number(pids[0][0]);
        try {
            process.kill(pid, 'SIGSTOP');
        } catch (e) {
            if (e.code === 'EPERM') return; // cannot signal Postgres here (not root): nothing to prove
            throw e;
        }
        try {
            const hits0 = await metric('telemed_session_cache_hits_total');
            await getSession(s.id);
            await getSession(s.id);
            const patched = await api('PATCH', `/sessions/${s.id}/participants/${pat.id}`,
                { body: { permissions: { chat: false } } });
            assert.equal(patched.status, 200, show(patched));
            const after = (await getSession(s.id)).json;
            // GET adds the participant's live presence (docs/API.md "Presence"), not part of the PATCH answer.
            assert.deepEqual(withoutPresence(after.participants[0]), patched.json, 'own write read back without notifications');
            await getSession(s.id);
            assert.ok((await metric('telemed_session_cache_hits_total')) - hits0 >= 2,
                'the cache was in service around the write');

            const t0 = Date.now();
            const title = uniq('while-stuck');
            psql(`UPDATE sessions SET title = ${lit(title)}, updated_at = now() WHERE id = ${lit(s.id)}`);
            const ms = await until(s.id, (j) => j.title === title, 3000, 'other writer while the listener is stuck');
            assert.ok(Date.now() - t0 <= 3000, `seen after ${ms} ms`);
        } finally {
            process.kill(pid, 'SIGCONT');
        }
        await eventually(cacheInService, { timeout: 10000, what: 'cache back in service' });
        await getSession(s.id);
        const title2 = uniq('unstuck');
        psql(`UPDATE sessions SET title = ${lit(title2)}, updated_at = now() WHERE id = ${lit(s.id)}`);
        await until(s.id, (j) => j.title === title2, OTHER_WRITER_BOUND_MS, 'title change after the listener recovered');
    });

    test('right after a controller restart', T, async () => {
        const s = await createSession({ title: uniq('restart') });
        const before = (await getSession(s.id)).text;
        stackctl('restart-controller');
        await eventually(healthy, { timeout: 20000, what: 'controller healthy after restart' });
        assert.equal((await getSession(s.id)).text, before);
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service after restart' });
        await getSession(s.id);
        const title = uniq('post-restart');
        psql(`UPDATE sessions SET title = ${lit(title)}, updated_at = now() WHERE id = ${lit(s.id)}`);
        await until(s.id, (j) => j.title === title, OTHER_WRITER_BOUND_MS, 'title change after controller restart');
    });

    test('right after a Postgres restart (listener reconnects, cache flushed)', T, async () => {
        const s = await createSession({ title: uniq('pg-restart') });
        await getSession(s.id);
        await getSession(s.id);  // cached
        stackctl('restart-postgres');
        // Writes by another client right after the restart: the listener may
        // not be back yet (cache bypassed) or is back (cache flushed): either
        // way the next GETs must show them.
        const title = uniq('after-pg');
        await eventually(() => {
            psql(`UPDATE sessions SET title = ${lit(title)}, updated_at = now() WHERE id = ${lit(s.id)}`);
            return true;
        }, { timeout: 20000, what: 'psql after the Postgres restart' });
        await eventually(async () => (await api('GET', `/sessions/${s.id}`)).json?.title === title,
            { timeout: 10000, interval: 50, what: 'GET shows the write after the Postgres restart' });
        await eventually(cacheInService, { timeout: 10000, what: 'cache back in service' });
        // Back in service: cached again, and invalidated again by other writers.
        await getSession(s.id);
        await getSession(s.id);
        const title2 = uniq('after-pg2');
        psql(`UPDATE sessions SET title = ${lit(title2)}, updated_at = now() WHERE id = ${lit(s.id)}`);
        await until(s.id, (j) => j.title === title2, OTHER_WRITER_BOUND_MS, 'title change after Postgres restart');
    });
});

// Presence of a cache hit (docs/DESIGN.md "Janus events", Reading): answered
// on the HTTP event thread from the controller's last presence read of the
// session when it is at most 500 ms old, so GETs of one session share reads;
// a record written by someone else (another controller, here redis-cli)
// shows within that bound, never later.
describe('presence of cache hits', () => {
    const PRESENCE_RECENT_MS = 500;
    const P = ENV.REDIS_PREFIX || 'telemed:';

    test('hits share a recent presence read, byte-identical to the lane\'s answer', T, async () => {
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('recent') });
        await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        // The add's notified invalidation may drop the first fill: a few
        // GETs until the cache holds it, then a burst within the bound.
        await eventually(async () => {
            const h0 = await metric('telemed_session_cache_hits_total');
            await getSession(s.id);
            return (await metric('telemed_session_cache_hits_total')) > h0;
        }, { timeout: OTHER_WRITER_BOUND_MS * 2, interval: 50, what: 'the session cached' });
        const lane = await getSession(s.id);  // may or may not be recent: the reference text either way
        const r0 = await metric('telemed_presence_recent_reads_total');
        const burst = [];
        for (let i = 0; i < 5; i++) burst.push(await getSession(s.id));
        const r1 = await metric('telemed_presence_recent_reads_total');
        assert.ok(r1 - r0 >= 1, `GETs answered from a recent presence read (${r0} -> ${r1})`);
        for (const b of burst) {
            assert.equal(b.text, lane.text, 'same text as a read through Redis');
            assert.equal(b.headers.get('content-type'), lane.headers.get('content-type'));
        }
        assert.equal(lane.json.participants[0].presence.online, false, 'offline before any Janus event');
    });

    test('a presence record written by another writer shows within the bound while GETs keep coming', T, async () => {
        await eventually(cacheInService, { timeout: 10000, what: 'cache in service' });
        const s = await createSession({ title: uniq('recent-other') });
        const doc = (await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' })).participant;
        // GETs every 20 ms keep the session's read recent the whole time.
        let stop = false;
        const poller = (async () => {
            while (!stop) {
                await getSession(s.id);
                await sleep(20);
            }
        })();
        try {
            await sleep(300);
            const rtt = 4000 + Math.floor(Math.random() * 999);
            const record = {
                online: true, state: 'in_room', since: '2026-01-02T03:04:05.000000Z', media: 'up', quality: 'good',
                loss_pct: 0, jitter_ms: 1, rtt_ms: rtt, updated_at: '2026-01-02T03:04:05.000000Z',
            };
            redis('SET', `${P}presence:${s.id}:${doc.id}`, JSON.stringify(record), 'EX', '60');
            // Bound 500 ms; the test allows 2 s for a loaded machine. A memory
            // that outlived its bound while GETs keep it in use never shows it.
            await until(s.id, (j) => j.participants[0]?.presence?.rtt_ms === rtt, OTHER_WRITER_BOUND_MS,
                `the record set in Redis (bound ${PRESENCE_RECENT_MS} ms)`);
            assert.deepEqual((await getSession(s.id)).json.participants[0].presence, record);
        } finally {
            stop = true;
            await poller;
        }
    });
});
