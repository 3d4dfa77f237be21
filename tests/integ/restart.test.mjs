// Durability and degraded modes: controller restart, Redis outage and
// rebuild, Janus outage (503 janus-unavailable, nothing half-done).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertProblem } from './lib/checks.mjs';
import { joinWith } from './lib/janus.mjs';
import {
    ENV, addParticipant, api, createSession, eventually, healthy, lit, psqlValue, redis, redisHash, roomInfo, show,
    stackctl, transition, uniq,
} from './lib/stack.mjs';

const T = { timeout: 120000 };
const P = ENV.REDIS_PREFIX || 'telemed:';

function isMember(set, sid) {
    return redis('SISMEMBER', `${P}${set}`, sid)[0] === '1';
}

async function ready() {
    return (await api('GET', '/readyz', { auth: false, timeout: 5000 })).status === 200;
}

describe('controller restart', () => {
    test('everything accepted is still there and mutable after a restart', T, async () => {
        const a = await createSession({ title: 'before restart', metadata: { k: 'v' } });
        const doc = await addParticipant(a.id, { user_id: uniq('doc'), role: 'doctor' });
        const pat = await addParticipant(a.id, { user_id: uniq('pat'), role: 'patient', permissions: { chat: false } });
        await transition(a.id, 'start');
        const b = await createSession({ kind: 'emergency' });
        const beforeA = (await api('GET', `/sessions/${a.id}`)).json;
        const beforeB = (await api('GET', `/sessions/${b.id}`)).json;

        stackctl('restart-controller');
        await eventually(healthy, { timeout: 20000, what: 'controller healthy after restart' });

        const afterA = await api('GET', `/sessions/${a.id}`);
        assert.equal(afterA.status, 200, show(afterA));
        assert.deepEqual(afterA.json, beforeA, 'session A unchanged by the restart');
        assert.deepEqual((await api('GET', `/sessions/${b.id}`)).json, beforeB, 'session B unchanged');

        // Mutations keep working.
        const again = await api('POST', `/sessions/${a.id}/participants`, { body: { user_id: doc.participant.user_id, role: 'doctor' } });
        assert.equal(again.status, 200, show(again));
        assert.equal(again.json.participant.id, doc.participant.id);
        const patched = await api('PATCH', `/sessions/${a.id}/participants/${pat.participant.id}`, { body: { permissions: { chat: true } } });
        assert.equal(patched.status, 200, show(patched));
        assert.ok(patched.json.permissions.includes('chat'));
        assert.equal((await api('DELETE', `/sessions/${a.id}/participants/${pat.participant.id}`)).status, 204);
        assert.equal((await transition(a.id, 'end')).status, 'ended');
        assert.equal((await transition(b.id, 'start')).status, 'active');
        const c = await createSession({ title: 'after restart' });
        await addParticipant(c.id, { user_id: uniq('after'), role: 'patient' });
        assert.equal((await roomInfo(c.id)).state, 'scheduled');
    });

    test('idempotency keys survive a restart', T, async () => {
        const key = `restart-${uniq('k')}`;
        const body = { kind: 'consultation', external_ref: uniq('r') };
        const first = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(first.status, 201, show(first));
        stackctl('restart-controller');
        await eventually(healthy, { timeout: 20000, what: 'controller healthy after restart' });
        const replay = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(replay.status, 201, show(replay));
        assert.deepEqual(replay.json, first.json);
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    });
});

describe('Redis outage', () => {
    test('the API works without Redis and Redis is rebuilt afterwards', T, async () => {
        // Live state before the outage.
        const pre = await createSession();
        await addParticipant(pre.id, { user_id: uniq('pre'), role: 'patient' });
        await transition(pre.id, 'start');
        await eventually(() => isMember('sessions:active', pre.id), { timeout: 5000, what: 'pre in active set' });
        let during;
        let closedDuring;
        let removedDuring;
        let p1;
        let p2;
        try {
            stackctl('stop-redis');
            // readyz reports Redis down.
            await eventually(async () => {
                const r = await api('GET', '/readyz', { auth: false, timeout: 5000 });
                return r.status === 503 && r.json?.checks?.redis === 'down' && r.json?.type?.endsWith('/not-ready') &&
                    r.json.checks.postgres === 'ok' && r;
            }, { timeout: 15000, what: '/readyz 503 with redis down' });

            const t0 = Date.now();
            during = await createSession({ title: 'during outage' });
            p1 = (await addParticipant(during.id, { user_id: uniq('d1'), role: 'doctor' })).participant;
            p2 = (await addParticipant(during.id, { user_id: uniq('d2'), role: 'observer' })).participant;
            await transition(during.id, 'start');
            const got = await api('GET', `/sessions/${during.id}`);
            assert.equal(got.status, 200, show(got));
            assert.equal(got.json.participants.length, 2);
            const list = await api('GET', '/sessions?status=active&limit=5');
            assert.equal(list.status, 200, show(list));
            // The session that was live before the outage ends during it.
            await transition(pre.id, 'end');
            closedDuring = pre.id;
            // A participant removed during the outage.
            const extra = (await addParticipant(during.id, { user_id: uniq('d3'), role: 'patient' })).participant;
            assert.equal((await api('DELETE', `/sessions/${during.id}/participants/${extra.id}`)).status, 204);
            removedDuring = extra.id;
            assert.ok(Date.now() - t0 < 30000, 'requests did not hang on the dead Redis');
        } finally {
            stackctl('start-redis');
        }

        await eventually(() => {
            const h = redisHash(`${P}session:${during.id}`);
            return h.status === 'active' && h.kind === 'consultation';
        }, { timeout: 15000, what: 'session hash rebuilt' });
        await eventually(() => isMember('sessions:active', during.id) && isMember('sessions:open', during.id),
            { timeout: 10000, what: 'session in active/open sets' });
        const parts = await eventually(() => {
            const h = redisHash(`${P}session:${during.id}:participants`);
            return h[p1.id] && h[p2.id] && h;
        }, { timeout: 10000, what: 'participants hash rebuilt' });
        assert.deepEqual(JSON.parse(parts[p1.id]), { user_id: p1.user_id, role: 'doctor' });
        assert.deepEqual(JSON.parse(parts[p2.id]), { user_id: p2.user_id, role: 'observer' });
        assert.equal(parts[removedDuring], undefined, 'participant removed during the outage is absent');
        // Sessions closed during the outage are not live after the rebuild.
        await eventually(() => !isMember('sessions:active', closedDuring) && !isMember('sessions:open', closedDuring) &&
            redis('EXISTS', `${P}session:${closedDuring}`)[0] === '0',
        { timeout: 10000, what: 'session ended during the outage is gone from Redis' });
        await eventually(ready, { timeout: 15000, what: '/readyz 200 after Redis is back' });

        // Writes after the rebuild land in Redis again.
        const s = await createSession();
        await eventually(() => redisHash(`${P}session:${s.id}`).status === 'scheduled', { timeout: 5000, what: 'new session hash' });
        assert.ok(isMember('sessions:open', s.id));
        assert.ok(!isMember('sessions:active', s.id));
        await transition(s.id, 'cancel');
        await eventually(() => redis('EXISTS', `${P}session:${s.id}`)[0] === '0' && !isMember('sessions:open', s.id),
            { timeout: 5000, what: 'cancelled session removed from Redis' });
    });
});

describe('Janus outage', () => {
    test('Janus-backed calls answer 503 janus-unavailable and store nothing; scheduling still works', T, async () => {
        const live = await createSession();
        const lost = await createSession();
        const p = (await addParticipant(live.id, { user_id: uniq('p'), role: 'patient' })).participant;
        // Rows of the request under test only: the recording post-processing job
        // (controller/jobs/recording_processor) writes recording.* audit and
        // outbox rows in the background whenever earlier tests' recordings are due.
        const count = (table) => Number(psqlValue(`SELECT count(*) FROM ${table}${
            table === 'audit_log' ? " WHERE action NOT LIKE 'recording.%'" : table === 'outbox' ? " WHERE topic NOT LIKE 'recording.%'" : ''}`));
        try {
            stackctl('stop-janus');
            // Scheduling needs no media server.
            const ref = uniq('no-janus');
            const r = await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: ref }, timeout: 30000 });
            assert.equal(r.status, 201, `create without Janus: ${show(r)}`);
            assert.equal(Number(psqlValue(`SELECT count(*) FROM sessions WHERE external_ref = ${lit(ref)}`)), 1);

            // Adding a participant creates the room: 503 and nothing stored.
            const before = {
                participants: count('participants'), audit: count('audit_log'), outbox: count('outbox'),
                events: count('participant_events'),
            };
            const user = uniq('no-janus-user');
            assertProblem(await api('POST', `/sessions/${r.json.id}/participants`, { body: { user_id: user, role: 'patient' }, timeout: 30000 }),
                503, 'janus-unavailable', 'add participant without Janus');
            assert.equal(count('participants'), before.participants, 'no participant row');
            assert.equal(count('participant_events'), before.events, 'no participant event');
            assert.equal(count('audit_log'), before.audit, 'no audit row');
            assert.equal(count('outbox'), before.outbox, 'no outbox row');
            assert.equal(Number(psqlValue(`SELECT count(*) FROM participants WHERE user_id = ${lit(user)}`)), 0);

            // Other Janus-backed mutations: 503 and unchanged.
            assertProblem(await api('POST', `/sessions/${live.id}/start`, { timeout: 30000 }), 503, 'janus-unavailable', 'start');
            assertProblem(await api('PATCH', `/sessions/${live.id}/participants/${p.id}`, { body: { role: 'observer' }, timeout: 30000 }),
                503, 'janus-unavailable', 'patch');
            assertProblem(await api('DELETE', `/sessions/${live.id}/participants/${p.id}`, { timeout: 30000 }),
                503, 'janus-unavailable', 'delete');
            const after = (await api('GET', `/sessions/${live.id}`)).json;
            assert.equal(after.status, 'scheduled', 'start rolled back');
            assert.equal(after.participants.length, 1, 'delete rolled back');
            assert.equal(after.participants[0].role, 'patient', 'patch rolled back');
            // Reads need no Janus.
            assert.equal((await api('GET', `/sessions/${live.id}`)).status, 200, 'read without Janus');

            const rz = await api('GET', '/readyz', { auth: false });
            assertProblem(rz, 503, 'not-ready', 'readyz without Janus');
            assert.equal(rz.json.checks.janus, 'down');
        } finally {
            stackctl('start-janus');
        }
        const created = await createSession();
        await eventually(async () => {
            const r = await api('POST', `/sessions/${created.id}/participants`, { body: { user_id: uniq('back'), role: 'patient' } });
            return r.status === 201 && r;
        }, { timeout: 20000, interval: 500, what: 'adding a participant works after Janus is back' });
        assert.equal((await roomInfo(created.id)).state, 'scheduled');
        await eventually(ready, { timeout: 15000, what: '/readyz 200 after Janus is back' });

        // start re-creates a room Janus lost in its restart.
        const s = await transition(live.id, 'start');
        assert.equal(s.status, 'active');
        assert.equal((await roomInfo(live.id)).state, 'active', 'room re-created by start');
        assert.equal((await transition(live.id, 'end')).status, 'ended');
        // A session whose room vanished with the Janus restart can still be ended
        // (destroy_room of an unknown room is success for the controller).
        assert.equal((await transition(lost.id, 'end')).status, 'ended');
    });
});

describe('Janus restart and permission changes', () => {
    test('a room re-created after a Janus restart still applies PATCHed permissions to older tokens', T, async () => {
        const s = await createSession();
        const pat = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' });
        const oldToken = pat.join.token;  // minted with the patient defaults (publish_video included)
        assert.ok(pat.participant.permissions.includes('publish_video'));
        const patched = await api('PATCH', `/sessions/${s.id}/participants/${pat.participant.id}`,
            { body: { permissions: { publish_video: false } } });
        assert.equal(patched.status, 200, show(patched));
        assert.ok(!patched.json.permissions.includes('publish_video'));

        // Janus loses every room; start re-creates this one from Postgres.
        stackctl('stop-janus');
        stackctl('start-janus');
        await eventually(async () => (await api('POST', `/sessions/${s.id}/start`)).status === 200,
            { timeout: 20000, interval: 500, what: 'start after the Janus restart' });
        assert.equal((await roomInfo(s.id)).state, 'active');

        const { client, data } = await joinWith(oldToken);
        try {
            assert.equal(data.telemed, 'joined', JSON.stringify(data));
            assert.deepEqual(data.permissions, patched.json.permissions,
                'the token predates the PATCH; the re-created room must still apply it');
        } finally {
            await client.close();
        }
        await transition(s.id, 'end');
    });
});
