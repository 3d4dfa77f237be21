// Lifecycle policies and orphan rooms (issue 15 "Self-healing state";
// controller/jobs/session_lifecycle.hpp, docs/OPERATIONS.md "Session
// lifecycle policies"). The controller is restarted with a sweep every
// second, expiry and max duration of an hour (rows are back-dated in
// Postgres rather than waited for), idle end after 4 s (waited for: the
// empty-since clock lives in the controller's memory) and idempotency keys
// kept 24 h; after() restores the stack's own settings.
// Shows: an unstarted session past its deadline is cancelled (from
// scheduled_at, else created_at) and one not yet due is not; an active
// session past its max duration is ended; an empty active session ends after
// the idle time while one with a participant in its room does not, until it
// leaves; an unreachable Janus ends nothing (the idle clock starts again when
// it is back); every automatic transition writes what REST does (status, audit
// actor system with the reason, outbox row with the reason, room destroyed,
// Redis cleared); a room made by hand through the Admin API for no session
// is destroyed by the room reconciler; idempotency keys past their window
// are pruned while fresh ones still replay; outbox events delivered longer
// ago than outbox_retention_h (24 h here) are pruned with their deliveries,
// more than one batch of them, while recent, pending and dead ones stay.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { joinWith } from './lib/janus.mjs';
import {
    ENV, addParticipant, api, createSession, eventually, listRooms, lit, plugin, psql, psqlValue, redis,
    restartController, show, sleep, stackctl, transition, uniq,
} from './lib/stack.mjs';

const T = { timeout: 60000 };
const IDLE_S = 4;
const P = ENV.REDIS_PREFIX || 'telemed:';

const clients = [];
before(async () => {
    await restartController(['lifecycle_sweep_interval_s=1', 'session_expire_after_s=3600',
        'session_max_duration_s=3600', `session_idle_end_s=${IDLE_S}`, 'idempotency_key_retention_h=24',
        'outbox_retention_h=24'].join(','));
});
after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await restartController(null);
});

function statusOf(sid) {
    return psqlValue(`SELECT status FROM sessions WHERE id = ${lit(sid)}`);
}

// The audit row and outbox row of a session's automatic transition.
function records(sid, topic) {
    const audit = psql(`SELECT actor, data::text FROM audit_log WHERE session_id = ${lit(sid)}
                        AND action = ${lit(topic)} ORDER BY id`);
    const outbox = psql(`SELECT payload::text FROM outbox WHERE topic = ${lit(topic)}
                         AND payload->>'session_id' = ${lit(sid)} ORDER BY id`);
    return { audit: audit.map(([actor, data]) => ({ actor, data: JSON.parse(data) })),
        outbox: outbox.map(([p]) => JSON.parse(p)) };
}

function assertAutomatic(sid, topic, from, to, reason, kind = 'consultation') {
    const r = records(sid, topic);
    assert.equal(r.audit.length, 1, `one ${topic} audit row: ${JSON.stringify(r.audit)}`);
    assert.equal(r.audit[0].actor, 'system');
    assert.deepEqual(r.audit[0].data, { from, to, reason });
    assert.equal(r.outbox.length, 1, `one ${topic} outbox row`);
    // The payload of every session.* event (record_change adds event_id,
    // topic and occurred_at) plus the reason: ids and enums only.
    const { event_id: eventId, occurred_at: at, ...payload } = r.outbox[0];
    assert.match(eventId, /^[0-9a-f-]{36}$/);
    assert.ok(at);
    assert.deepEqual(payload, { session_id: sid, status: to, kind, reason, topic });
    assert.equal(psqlValue(`SELECT audit_verify(${lit(sid)}) IS NULL`), 't', 'audit chain intact');
}

async function roomIds() {
    return new Set((await listRooms()).map((r) => r.room));
}

describe('session lifecycle policies', () => {
    test('unstarted sessions past their deadline are cancelled (expired); others are not', T, async () => {
        const bySchedule = await createSession({ scheduled_at: new Date(Date.now() + 86400e3).toISOString() });
        const byCreation = await createSession();
        const notDue = await createSession({ scheduled_at: new Date(Date.now() + 86400e3).toISOString() });
        // A participant gives bySchedule a Janus room: the cancel destroys it.
        await addParticipant(bySchedule.id, { user_id: uniq('pat'), role: 'patient' });
        assert.ok((await roomIds()).has(bySchedule.id));
        psql(`UPDATE sessions SET scheduled_at = now() - interval '61 minutes' WHERE id = ${lit(bySchedule.id)};
              UPDATE sessions SET created_at = now() - interval '61 minutes' WHERE id = ${lit(byCreation.id)};
              UPDATE sessions SET created_at = now() - interval '5 hours',
                                  scheduled_at = now() - interval '50 minutes' WHERE id = ${lit(notDue.id)};`);
        await eventually(() => statusOf(bySchedule.id) === 'cancelled' && statusOf(byCreation.id) === 'cancelled',
            { timeout: 10000, what: 'both expired sessions cancelled' });
        for (const s of [bySchedule, byCreation]) assertAutomatic(s.id, 'session.cancelled', 'scheduled', 'cancelled', 'expired');
        const got = await api('GET', `/sessions/${bySchedule.id}`);
        assert.equal(got.status, 200, show(got));
        assert.equal(got.json.status, 'cancelled', 'the read cache was invalidated');
        assert.ok(got.json.cancelled_at);
        await eventually(async () => !(await roomIds()).has(bySchedule.id), { timeout: 5000, what: 'room destroyed' });
        assert.equal(redis('EXISTS', `${P}session:${bySchedule.id}`)[0], '0', 'Redis keys of the session deleted');
        // scheduled_at wins over created_at: not due, after several sweeps.
        await sleep(2500);
        assert.equal(statusOf(notDue.id), 'scheduled');
    });

    test('an active session past its maximum duration is ended (max_duration)', T, async () => {
        const s = await createSession({ kind: 'emergency' });
        await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        const young = await createSession();
        await addParticipant(young.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(young.id, 'start');
        psql(`UPDATE sessions SET started_at = now() - interval '61 minutes' WHERE id = ${lit(s.id)};
              UPDATE sessions SET started_at = now() - interval '59 minutes' WHERE id = ${lit(young.id)};`);
        // Within one or two sweeps: before the idle clock (4 s) of its empty room.
        await eventually(() => statusOf(s.id) === 'ended', { timeout: 3000, what: 'session ended' });
        assertAutomatic(s.id, 'session.ended', 'active', 'ended', 'max_duration', 'emergency');
        await eventually(async () => !(await roomIds()).has(s.id), { timeout: 5000, what: 'room destroyed' });
        // A REST end afterwards: 200, unchanged (idempotent), no second record.
        const again = await api('POST', `/sessions/${s.id}/end`);
        assert.equal(again.status, 200, show(again));
        assert.equal(records(s.id, 'session.ended').audit.length, 1);
        // The younger one was not ended for its duration (its room is empty,
        // so the idle policy may end it later, with reason idle).
        const yr = records(young.id, 'session.ended');
        assert.ok(yr.audit.every((a) => a.data.reason === 'idle'), JSON.stringify(yr.audit));
    });

    test('an empty active session ends after the idle time; one with a participant in its room does not', T, async () => {
        const empty = await createSession();
        await addParticipant(empty.id, { user_id: uniq('doc'), role: 'doctor' });
        const busy = await createSession();
        const doc = await addParticipant(busy.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(empty.id, 'start');
        await transition(busy.id, 'start');
        const j = await joinWith(doc.join.token);
        clients.push(j.client);
        assert.equal(j.data.telemed, 'joined', JSON.stringify(j.data));
        const t0 = Date.now();
        await eventually(() => statusOf(empty.id) === 'ended', { timeout: (IDLE_S + 6) * 1000, what: 'idle session ended' });
        assert.ok(Date.now() - t0 >= (IDLE_S - 1) * 1000, 'not before the idle time');
        assertAutomatic(empty.id, 'session.ended', 'active', 'ended', 'idle');
        // Well past the idle time with someone in the room: still active.
        await sleep(Math.max(0, (IDLE_S + 3) * 1000 - (Date.now() - t0)));
        assert.equal(statusOf(busy.id), 'active');
        // Once the participant leaves, its clock starts: ended idle, not earlier.
        await j.client.close();
        const left = Date.now();
        await eventually(() => statusOf(busy.id) === 'ended', { timeout: (IDLE_S + 6) * 1000, what: 'emptied session ended' });
        assert.ok(Date.now() - left >= (IDLE_S - 1) * 1000, `ended ${Date.now() - left} ms after the leave`);
        assertAutomatic(busy.id, 'session.ended', 'active', 'ended', 'idle');
        await eventually(async () => !(await roomIds()).has(busy.id), { timeout: 5000, what: 'room destroyed' });
    });

    test('an unreachable Janus ends nothing; the idle clock starts again once it answers', T, async () => {
        const s = await createSession();
        const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        const j = await joinWith(doc.join.token);
        clients.push(j.client);
        assert.equal(j.data.telemed, 'joined', JSON.stringify(j.data));
        await sleep(1500);  // a sweep saw the room occupied
        let back;
        try {
            stackctl('stop-janus');
            await sleep((IDLE_S + 3) * 1000);
            assert.equal(statusOf(s.id), 'active', 'presence unknown: not ended');
        } finally {
            stackctl('start-janus');
            back = Date.now();
        }
        // The reconciler restores the (now empty) room; its clock starts then.
        await eventually(() => statusOf(s.id) === 'ended', { timeout: (IDLE_S + 15) * 1000, what: 'ended once idle' });
        assert.ok(Date.now() - back >= (IDLE_S - 0.5) * 1000, `ended ${Date.now() - back} ms after Janus came back`);
        assertAutomatic(s.id, 'session.ended', 'active', 'ended', 'idle');
    });

    test('a room of no session, made by hand through the Admin API, is destroyed', T, async () => {
        const open = await createSession();
        await addParticipant(open.id, { user_id: uniq('doc'), role: 'doctor' });  // scheduled with a room
        const orphan = randomUUID();
        const made = await plugin({ request: 'create_room', room: orphan, kind: 'consultation', state: 'scheduled', grants: [] });
        assert.equal(made.telemed, 'room_created', JSON.stringify(made));
        assert.ok((await roomIds()).has(orphan));
        await eventually(async () => !(await roomIds()).has(orphan), { timeout: 10000, what: 'orphan room destroyed' });
        assert.ok((await roomIds()).has(open.id), 'the room of an open session stays');
        assert.equal(psqlValue(`SELECT count(*) FROM sessions WHERE id = ${lit(orphan)}`), '0');
    });

    test('idempotency keys past the retention are pruned; fresh ones replay', T, async () => {
        const oldKey = `lc-old-${randomUUID()}`;
        const freshKey = `lc-fresh-${randomUUID()}`;
        const body = { kind: 'follow_up', external_ref: uniq('appt') };
        const post = (key) => api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        const first = { old: await post(oldKey), fresh: await post(freshKey) };
        assert.equal(first.old.status, 201, show(first.old));
        assert.equal(first.fresh.status, 201, show(first.fresh));
        psql(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = ${lit(oldKey)};
              UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = ${lit(freshKey)};`);
        await eventually(() => psqlValue(`SELECT count(*) FROM idempotency_keys WHERE key = ${lit(oldKey)}`) === '0',
            { timeout: 10000, what: 'old key pruned' });
        await sleep(1500);  // at least one more sweep
        const replay = await post(freshKey);
        assert.equal(replay.status, 201, show(replay));
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        assert.equal(replay.json.id, first.fresh.json.id);
        // Past its window the old key is a new request: a new session.
        const anew = await post(oldKey);
        assert.equal(anew.status, 201, show(anew));
        assert.equal(anew.headers.get('idempotent-replayed'), null);
        assert.notEqual(anew.json.id, first.old.json.id);
    });

    test('delivered outbox events past outbox_retention_h are pruned with their deliveries; others stay', T, async () => {
        // No webhook_urls in this stack: the dispatcher is off, so the
        // delivery state is written here as the dispatcher would.
        const sid = randomUUID();
        const ep = 'http://127.0.0.1:9/prune-test';
        // One statement each (the sweep runs every second: an event must
        // never be seen without its delivery row).
        const mk = (topic, deliveredAgo, deliveryState) => {
            const eid = randomUUID();
            const delivered = deliveredAgo === null ? 'NULL' : `now() - interval '${deliveredAgo}'`;
            const insert = `INSERT INTO outbox (event_id, topic, payload, session_id, created_at, fanned_out_at, delivered_at)
                VALUES (${lit(eid)}, ${lit(topic)}, jsonb_build_object('session_id', ${lit(sid)}), ${lit(sid)},
                        now() - interval '30 days', now() - interval '30 days', ${delivered}) RETURNING id`;
            if (!deliveryState) return psqlValue(insert);
            return psqlValue(`WITH o AS (${insert})
                INSERT INTO webhook_deliveries (outbox_id, endpoint, session_id, state, attempts, created_at,
                        delivered_at, dead_at)
                SELECT o.id, ${lit(ep)}, ${lit(sid)}, ${lit(deliveryState)}, 1, now() - interval '30 days',
                        ${deliveryState === 'delivered' ? "now() - interval '30 days'" : 'NULL'},
                        ${deliveryState === 'dead' ? "now() - interval '30 days'" : 'NULL'} FROM o RETURNING outbox_id`);
        };
        const old = mk('prune_test.old', '25 hours', 'delivered');
        const recent = mk('prune_test.recent', '23 hours', 'delivered');
        const dead = mk('prune_test.dead', null, 'dead');
        const pending = mk('prune_test.pending', null, 'pending');
        const unfanned = mk('prune_test.unfanned', null, null);
        // delivered_at set but one endpoint's delivery dead (not what the
        // dispatcher writes): kept, a dead letter is never pruned.
        const mixed = mk('prune_test.mixed', '25 hours', 'dead');
        // More than one batch (1000) of old delivered events, in one SQL.
        psql(`WITH o AS (
                INSERT INTO outbox (event_id, topic, payload, session_id, created_at, fanned_out_at, delivered_at)
                SELECT gen_random_uuid(), 'prune_test.bulk', jsonb_build_object('session_id', ${lit(sid)}), ${lit(sid)},
                       now() - interval '30 days', now() - interval '30 days', now() - interval '48 hours'
                  FROM generate_series(1, 2500) RETURNING id)
              INSERT INTO webhook_deliveries (outbox_id, endpoint, session_id, state, attempts, created_at, delivered_at)
              SELECT id, ${lit(ep)}, ${lit(sid)}, 'delivered', 1, now() - interval '30 days', now() - interval '48 hours' FROM o`);
        const count = (where) => Number(psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(sid)} AND ${where}`));
        await eventually(() => count(`topic IN ('prune_test.bulk', 'prune_test.old')`) === 0,
            { timeout: 20000, what: 'old delivered events pruned' });
        await sleep(1500);  // at least one more sweep
        const left = psql(`SELECT id, topic FROM outbox WHERE session_id = ${lit(sid)} ORDER BY id`).map(([id, t]) => [id, t]);
        assert.deepEqual(left, [[recent, 'prune_test.recent'], [dead, 'prune_test.dead'], [pending, 'prune_test.pending'],
            [unfanned, 'prune_test.unfanned'], [mixed, 'prune_test.mixed']]);
        // Their deliveries went with them; the kept events keep theirs.
        const deliveries = psql(`SELECT outbox_id, state FROM webhook_deliveries WHERE session_id = ${lit(sid)} ORDER BY outbox_id`);
        assert.deepEqual(deliveries, [[recent, 'delivered'], [dead, 'dead'], [pending, 'pending'], [mixed, 'dead']]);
        assert.equal(psqlValue(`SELECT count(*) FROM webhook_deliveries WHERE outbox_id = ${old}`), '0');
        // A dead letter older than the retention is still listed and re-drivable.
        const listed = await api('GET', '/outbox?status=dead&limit=100');
        assert.equal(listed.status, 200, show(listed));
        assert.ok(listed.json.items.some((d) => d.session_id === sid), 'dead delivery still listed');
        psql(`DELETE FROM webhook_deliveries WHERE session_id = ${lit(sid)}; DELETE FROM outbox WHERE session_id = ${lit(sid)}`);
    });
});
