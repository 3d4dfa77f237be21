// Issue 11 item 4: a Janus restart loses every room (Janus keeps them in
// memory). The controller's room reconciler notices (new plugin instance in
// the admin `snapshot`) and re-creates every open session's room with its
// grants, bans, lobby admissions and force-mutes, with NO REST call; /readyz
// is 503 ("rooms": "restoring") until the rooms are back, then 200.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { JanusClient, joinWith } from '../integ/lib/janus.mjs';
import {
    ENV, ROOT, addParticipant, api, createSession, eventually, listRooms, plugin, redis, roomInfo, sleep, stack,
    transition, uniq,
} from '../integ/lib/stack.mjs';

const P = ENV.REDIS_PREFIX || 'telemed:';

function assertError(data, code, what) {
    assert.equal(data.telemed, 'error', `${what}: ${JSON.stringify(data)}`);
    assert.equal(data.error_code, code, `${what}: ${JSON.stringify(data)}`);
}

// The snapshot the reconciler stored for a room (null until there is one).
function storedSnapshot(sid) {
    const v = redis('GET', `${P}room:${sid}:snapshot`);
    return v.length ? JSON.parse(v.join('\n')) : null;
}

describe('Janus restart: rooms restored without a REST call', () => {
    test('every room is back within 60 s with grants, bans, lobby admissions and mutes; /readyz 503 until then', { timeout: 120000 }, async () => {
        // Session A, active: a doctor (moderator), a patient admitted from
        // the lobby, a patient force-muted, a patient kicked by the doctor
        // over the WebSocket (a ban only the plugin knew), a participant
        // removed through REST.
        const a = await createSession({ title: uniq('restart-a') });
        const doc = await addParticipant(a.id, { user_id: uniq('doc'), role: 'doctor' });
        const admitted = await addParticipant(a.id, { user_id: uniq('adm'), role: 'patient' });
        const muted = await addParticipant(a.id, { user_id: uniq('mut'), role: 'patient', permissions: { bypass_lobby: true } });
        const kicked = await addParticipant(a.id, { user_id: uniq('kck'), role: 'patient', permissions: { bypass_lobby: true } });
        const removed = await addParticipant(a.id, { user_id: uniq('rem'), role: 'observer' });
        await transition(a.id, 'start');
        // Session B, active, and C, scheduled with a participant.
        const b = await createSession();
        const bDoc = await addParticipant(b.id, { user_id: uniq('bdoc'), role: 'doctor' });
        await transition(b.id, 'start');
        const c = await createSession();
        const cPat = await addParticipant(c.id, { user_id: uniq('cpat'), role: 'patient' });
        assert.equal((await api('DELETE', `/sessions/${a.id}/participants/${removed.participant.id}`)).status, 204);

        const clients = [];
        try {
            const d = await joinWith(doc.join.token);
            clients.push(d.client);
            assert.equal(d.data.status, 'admitted', JSON.stringify(d.data));
            const w = await joinWith(admitted.join.token);
            clients.push(w.client);
            assert.equal(w.data.status, 'waiting', 'a patient waits in the lobby');
            assert.equal((await d.client.message(d.handle, { request: 'admit', participant_id: admitted.participant.id })).telemed, 'ok');
            const m = await joinWith(muted.join.token);
            clients.push(m.client);
            assert.equal(m.data.status, 'admitted');
            assert.equal((await d.client.message(d.handle, { request: 'mute', participant_id: muted.participant.id, media: 'audio' })).telemed, 'ok');
            const k = await joinWith(kicked.join.token);
            clients.push(k.client);
            assert.equal((await d.client.message(d.handle, { request: 'kick', participant_id: kicked.participant.id })).telemed, 'ok');

            // The reconciler has stored what the plugin alone knows.
            await eventually(() => {
                const s = storedSnapshot(a.id);
                return s && s.admitted.includes(admitted.participant.id) &&
                    s.muted.some((x) => x.participant_id === muted.participant.id && x.moderator.includes('audio')) &&
                    s.revoked.includes(kicked.participant.id) && s;
            }, { timeout: 15000, what: 'room snapshot of A stored in Redis' });
        } finally {
            await Promise.all(clients.map((cl) => cl.close()));
        }
        await eventually(async () => (await api('GET', '/readyz', { auth: false, timeout: 5000 })).status === 200,
            { timeout: 15000, what: '/readyz 200 before the restart' });

        // Restart Janus; from here on, no REST call but /readyz. A sampler
        // reads /readyz, then (after it) the plugin's instance and rooms.
        const oldInstance = (await plugin({ request: 'ping' })).instance;
        assert.ok(oldInstance, 'the pong carries the plugin instance id');
        const want = [a.id, b.id, c.id];
        const samples = [];
        let sampling = true;
        const sampler = (async () => {
            while (sampling) {
                const s = { t: Date.now() };
                try {
                    const r = await api('GET', '/readyz', { auth: false, timeout: 5000 });
                    Object.assign(s, { status: r.status, rooms: r.json?.checks?.rooms, janus: r.json?.checks?.janus });
                } catch (e) {
                    s.status = 0;
                }
                try {
                    s.instance = (await plugin({ request: 'ping' })).instance;
                    const ids = new Set((await listRooms()).map((r) => r.room));
                    s.missing = want.filter((id) => !ids.has(id)).length;
                } catch {
                    s.instance = null;  // Janus away
                }
                samples.push(s);
                await sleep(100);
            }
        })();
        const t0 = Date.now();
        let back;
        try {
            await new Promise((resolve, reject) => execFile(join(ROOT, 'scripts', 'stackctl'), ['restart-janus'],
                { env: { ...process.env, TELEMED_STACK_DIR: stack.dir }, cwd: ROOT, timeout: 60000 },
                (err) => (err ? reject(err) : resolve())));
            back = await eventually(() => {
                const s = samples.at(-1);
                return s && s.instance && s.instance !== oldInstance && s.missing === 0 && s.t;
            }, { timeout: 60000, interval: 100, what: 'every room back on the new Janus' });
            await eventually(async () => (await api('GET', '/readyz', { auth: false, timeout: 5000 })).status === 200,
                { timeout: 10000, what: '/readyz 200 after the rooms are back' });
        } finally {
            sampling = false;
            await sampler;
        }
        console.log(`janus_restart: rooms back ${back - t0} ms after the restart began`);
        assert.ok(back - t0 < 60000);
        // /readyz: never 200 while the new Janus lacked rooms (readyz read
        // before the rooms); 503 with "rooms": "restoring" seen meanwhile.
        for (const s of samples) {
            if (s.instance && s.instance !== oldInstance && s.missing > 0) {
                assert.notEqual(s.status, 200, `readyz 200 at +${s.t - t0} ms while rooms were missing: ${JSON.stringify(s)}`);
            }
        }
        const restoring = samples.filter((s) => s.t >= t0 && s.status === 503);
        assert.ok(restoring.length > 0, 'readyz 503 seen during the restart');
        // Each 503 says why: Janus down (while it restarts), or Janus up and
        // its rooms being restored.
        for (const s of restoring) {
            assert.ok(s.janus === 'down' || s.rooms === 'restoring', `readyz says why: ${JSON.stringify(s)}`);
        }

        console.log(`janus_restart: readyz samples during the restart: ${restoring.length} x 503 (rooms restoring), ` +
            `${samples.filter((s) => s.t >= t0 && s.instance && s.instance !== oldInstance && s.missing > 0).length} with the new Janus lacking rooms`);

        const infoA = await roomInfo(a.id);
        assert.equal(infoA.state, 'active');
        assert.equal((await roomInfo(b.id)).state, 'active');
        assert.equal((await roomInfo(c.id)).state, 'scheduled');

        const again = [];
        try {
            // Valid tokens minted before the restart join (no 4040).
            const d = await joinWith(doc.join.token);
            again.push(d.client);
            assert.equal(d.data.telemed, 'joined', JSON.stringify(d.data));
            assert.equal(d.data.status, 'admitted');
            const bd = await joinWith(bDoc.join.token);
            again.push(bd.client);
            assert.equal(bd.data.telemed, 'joined', JSON.stringify(bd.data));
            const cp = await joinWith(cPat.join.token);
            again.push(cp.client);
            assert.equal(cp.data.telemed, 'joined', JSON.stringify(cp.data));
            assert.equal(cp.data.status, 'waiting', 'scheduled: waits');
            // The admitted patient enters without the lobby.
            const w = await joinWith(admitted.join.token);
            again.push(w.client);
            assert.equal(w.data.telemed, 'joined', JSON.stringify(w.data));
            assert.equal(w.data.status, 'admitted', 'admitted before the restart: no lobby again');
            // The muted one is still muted by the moderator.
            const m = await joinWith(muted.join.token);
            again.push(m.client);
            assert.equal(m.data.telemed, 'joined', JSON.stringify(m.data));
            const info = await roomInfo(a.id);
            const mine = info.participants.find((p) => p.participant_id === muted.participant.id);
            assert.ok(mine && mine.muted_by_moderator.includes('audio'), `force-mute kept: ${JSON.stringify(mine)}`);
            assert.ok(!mine.capabilities.includes('publish_audio'), 'the media gate drops its audio');
            // The kicked one (moderator kick) and the removed one stay out.
            const k = await JanusClient.connect();
            again.push(k);
            await k.createSession();
            const kh = await k.attach();
            assertError(await k.message(kh, { request: 'join', token: kicked.join.token }), 4020, 'kicked over the WebSocket');
            assertError(await k.message(kh, { request: 'join', token: removed.join.token }), 4020, 'removed through REST');
        } finally {
            await Promise.all(again.map((cl) => cl.close()));
        }
        await transition(a.id, 'end');
        await transition(b.id, 'end');
        await transition(c.id, 'cancel');
    });
});
