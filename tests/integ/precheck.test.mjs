// The lobby's pre-call check (docs/PROTOCOL.md "precheck"): a waiting
// patient reports it, the moderator's `waiting` list carries it (and the
// roster after admission); bad values 4003, not joined 4031, kept across a
// rejoin. The SDK's reportPrecheck (docs/SDK.md), re-sent by itself after a
// Janus restart. And the controller's support_phone (docs/API.md "Join"):
// in the join objects and their app_url when configured, absent otherwise.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import WebSocket from 'ws';

import { attached, joinWith } from './lib/janus.mjs';
import {
    ROOT, addParticipant, api, createSession, eventually, restartController, show, stackctl, transition, uniq,
} from './lib/stack.mjs';

const T = { timeout: 30000 };
const { TelemedClient, TelemedError, decodeJoinLink } = await import(pathToFileURL(join(ROOT, 'web', 'telemed.js')).href);

const open = [];
after(async () => {
    for (const c of open) {
        try {
            await c.close();
        } catch {
            // ignore
        }
    }
});

async function joined(token) {
    const r = await joinWith(token);
    open.push(r.client);
    return r;
}

function assertError(data, code, what) {
    assert.equal(data.telemed, 'error', `${what}: ${JSON.stringify(data)}`);
    assert.equal(data.error_code, code, `${what}: ${JSON.stringify(data)}`);
}

// An active session with a doctor and a patient (no bypass_lobby: it waits).
async function lobbySession() {
    const s = await createSession();
    const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
    const patUser = uniq('pat');
    const pat = await addParticipant(s.id, { user_id: patUser, role: 'patient', display_name: 'Pat Precheck' });
    await transition(s.id, 'start');
    return { sid: s.id, doc, pat, patUser };
}

const entryOf = (list, pid) => (Array.isArray(list) ? list.find((e) => e.participant_id === pid) : undefined);

describe('precheck (plugin protocol)', () => {
    test('a waiting patient\'s precheck reaches the moderator\'s waiting list; kept across a rejoin; then in the roster', T, async () => {
        const { doc, pat } = await lobbySession();
        const pid = pat.participant.id;
        const d = await joined(doc.join.token);
        assert.equal(d.data.status, 'admitted', JSON.stringify(d.data));

        let mark = d.client.received.length;
        const p = await joined(pat.join.token);
        assert.equal(p.data.status, 'waiting', JSON.stringify(p.data));
        const first = await d.client.pluginEvent(d.handle, (x) => x.telemed === 'waiting' && entryOf(x.waiting, pid),
            { from: mark, what: 'the patient in the lobby' });
        assert.equal(entryOf(first.waiting, pid).precheck, null, 'no precheck reported yet');

        mark = d.client.received.length;
        const ok = await p.client.message(p.handle, { request: 'precheck', result: 'good', camera: true, microphone: true });
        assert.deepEqual(ok, { telemed: 'ok', request: 'precheck', result: 'good' });
        const list = await d.client.pluginEvent(d.handle,
            (x) => x.telemed === 'waiting' && entryOf(x.waiting, pid)?.precheck !== null,
            { from: mark, what: 'a waiting list with the precheck' });
        assert.deepEqual(entryOf(list.waiting, pid), {
            participant_id: pid, role: 'patient', display_name: 'Pat Precheck',
            precheck: { result: 'good', camera: true, microphone: true },
            consent: null, // issue 14: consent to recording, not answered
        });

        // Replaced as a whole: an unreported camera is null.
        mark = d.client.received.length;
        const ok2 = await p.client.message(p.handle, { request: 'precheck', result: 'audio_only', microphone: true });
        assert.equal(ok2.result, 'audio_only');
        const list2 = await d.client.pluginEvent(d.handle,
            (x) => x.telemed === 'waiting' && entryOf(x.waiting, pid)?.precheck?.result === 'audio_only',
            { from: mark, what: 'the new precheck' });
        assert.deepEqual(entryOf(list2.waiting, pid).precheck, { result: 'audio_only', camera: null, microphone: true });

        // Strict values: 4003, nothing stored.
        for (const body of [
            { result: 'great' }, { result: 'GOOD' }, {}, { result: 1 }, { result: null },
            { result: 'good', camera: 'yes' }, { result: 'good', camera: null }, { result: 'good', microphone: 0 },
            { result: 'good', bandwidth_kbps: 900 },
        ]) {
            assertError(await p.client.message(p.handle, { request: 'precheck', ...body }), 4003, JSON.stringify(body));
        }

        // The patient's Janus session goes away, it joins again on a new one:
        // the report is still there.
        mark = d.client.received.length;
        await p.client.close();
        await d.client.pluginEvent(d.handle, (x) => x.telemed === 'waiting' && !entryOf(x.waiting, pid),
            { from: mark, what: 'the lobby without the patient' });
        mark = d.client.received.length;
        const again = await joined(pat.join.token);
        assert.equal(again.data.status, 'waiting', JSON.stringify(again.data));
        const back = await d.client.pluginEvent(d.handle, (x) => x.telemed === 'waiting' && entryOf(x.waiting, pid),
            { from: mark, what: 'the patient back in the lobby' });
        assert.deepEqual(entryOf(back.waiting, pid).precheck, { result: 'audio_only', camera: null, microphone: true },
            'kept across the rejoin');

        // Admitted: the moderator still sees it, in the roster.
        mark = d.client.received.length;
        const admit = await d.client.message(d.handle, { request: 'admit', participant_id: pid });
        assert.equal(admit.telemed, 'ok', JSON.stringify(admit));
        const roster = await d.client.pluginEvent(d.handle,
            (x) => x.telemed === 'participants' && entryOf(x.participants, pid),
            { from: mark, what: 'the roster with the patient' });
        assert.deepEqual(entryOf(roster.participants, pid).precheck, { result: 'audio_only', camera: null, microphone: true });
        // An admitted participant's change reaches the roster.
        mark = d.client.received.length;
        await again.client.message(again.handle, { request: 'precheck', result: 'cannot_connect', camera: false, microphone: false });
        const roster2 = await d.client.pluginEvent(d.handle,
            (x) => x.telemed === 'participants' && entryOf(x.participants, pid)?.precheck?.result === 'cannot_connect',
            { from: mark, what: 'the roster with the new precheck' });
        assert.deepEqual(entryOf(roster2.participants, pid).precheck, { result: 'cannot_connect', camera: false, microphone: false });
    });

    test('not joined: 4031; a handle that left: 4031', T, async () => {
        const a = await attached();
        open.push(a.client);
        assertError(await a.client.message(a.handle, { request: 'precheck', result: 'good' }), 4031, 'before join');
        // (4003 comes first: the body is checked before the state.)
        assertError(await a.client.message(a.handle, { request: 'precheck', result: 'nope' }), 4003, 'bad and not joined');

        const { pat } = await lobbySession();
        const p = await joined(pat.join.token);
        assert.equal((await p.client.message(p.handle, { request: 'leave' })).telemed, 'left');
        assertError(await p.client.message(p.handle, { request: 'precheck', result: 'good' }), 4031, 'after leave');
    });
});

describe('reportPrecheck (SDK, Janus level)', () => {
    function sdkClient(j) {
        const c = new TelemedClient({ janusUrl: j.janus_ws_url, token: j.token, janusToken: j.janus_token,
            iceServers: j.ice_servers, WebSocket, requestTimeoutMs: 5000 });
        open.push(c);
        return c;
    }

    test('the moderator\'s client.waiting keeps it; checked locally; re-sent after a Janus restart', { timeout: 120000 }, async () => {
        const { doc, pat, sid, patUser } = await lobbySession();
        const pid = pat.participant.id;
        const d = sdkClient(doc.join);
        const p = new TelemedClient({ janusUrl: pat.join.janus_ws_url, token: pat.join.token, janusToken: pat.join.janus_token,
            iceServers: pat.join.ice_servers, WebSocket, requestTimeoutMs: 5000,
            // The join token has expired by the rejoin in a slow run: a fresh join.
            getToken: async () => (await addParticipant(sid, { user_id: patUser, role: 'patient' })).join });
        open.push(p);

        await assert.rejects(p.reportPrecheck({ result: 'good' }), (e) => e instanceof TelemedError && e.code === 'state',
            'not joined yet');
        await d.connect();
        assert.equal((await p.connect()).status, 'waiting');

        await assert.rejects(p.reportPrecheck({ result: 'fine' }), (e) => e.code === 4003);
        await assert.rejects(p.reportPrecheck({ result: 'good', camera: 'yes' }), (e) => e.code === 4003);
        const ok = await p.reportPrecheck({ result: 'audio_only', camera: false, microphone: true });
        assert.deepEqual(ok, { telemed: 'ok', request: 'precheck', result: 'audio_only' });
        const want = { result: 'audio_only', camera: false, microphone: true };
        await eventually(() => entryOf(d.waiting, pid)?.precheck?.result === 'audio_only',
            { timeout: 8000, interval: 50, what: 'the doctor\'s client.waiting carries the precheck' });
        assert.deepEqual(entryOf(d.waiting, pid).precheck, want);

        // Janus restarts: the plugin's rooms (and prechecks) are gone; the
        // controller restores the room, both SDKs rejoin, and the patient's
        // SDK sends its report again by itself.
        let rejoined = 0;
        p.on('reconnected', () => { rejoined += 1; });
        const lists = [];
        d.on('waiting', (list) => lists.push(list));
        stackctl('restart-janus');
        // Every list from here on comes from the new Janus, whose plugin
        // never got the report from anyone but the patient's SDK.
        const mark = lists.length;
        await eventually(() => rejoined > 0, { timeout: 90000, interval: 200, what: 'the patient\'s SDK rejoined' });
        assert.equal(p.status, 'waiting');
        await eventually(() => lists.slice(mark).some((l) => entryOf(l, pid)?.precheck?.result === 'audio_only'),
            { timeout: 30000, interval: 100, what: 'the precheck in a lobby list of the restarted Janus' });
        assert.equal(d.status, 'admitted');
        assert.deepEqual(entryOf(d.waiting, pid).precheck, want);
    });
});

describe('support_phone (controller setting)', () => {
    const decodeAppUrl = (url) => JSON.parse(Buffer.from(new URL(url).hash.replace(/^#join=/, ''), 'base64url').toString('utf8'));

    test('absent by default; when set, in the join objects of both routes and in app_url', { timeout: 120000 }, async () => {
        const s = await createSession();
        const plain = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' });
        assert.ok(!('support_phone' in plain.join), JSON.stringify(Object.keys(plain.join)));
        assert.ok(!('support_phone' in decodeAppUrl(plain.join.app_url)));

        try {
            await restartController('support_phone=+1 555 0100');
            const added = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' });
            assert.equal(added.join.support_phone, '+1 555 0100');
            assert.equal(decodeAppUrl(added.join.app_url).support_phone, '+1 555 0100');
            assert.equal(decodeJoinLink(new URL(added.join.app_url).hash).support_phone, '+1 555 0100', 'the SDK keeps it');
            const viaCredential = await api('POST', '/join', { auth: false,
                headers: { authorization: `Bearer ${added.access.credential}` } });
            assert.equal(viaCredential.status, 200, show(viaCredential));
            assert.equal(viaCredential.json.support_phone, '+1 555 0100');
            assert.equal(decodeAppUrl(viaCredential.json.app_url).support_phone, '+1 555 0100');
        } finally {
            await restartController(null);
        }
        const again = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' });
        assert.ok(!('support_phone' in again.join));
    });
});
