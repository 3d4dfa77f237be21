// Consent-gated recording, controller side (issue 14 slice 1; docs/API.md
// "Recordings" and "Internal endpoints", docs/DESIGN.md "Recording"):
//  - REST: POST /sessions/{id}/recordings (start), .../recordings/stop,
//    GET /sessions/{id}/recordings, GET /recordings/{id}: auth, 404s, the
//    409s decided from Postgres alone, bad bodies and queries, pagination;
//  - the plugin's internal endpoints POST /internal/v1/consents and
//    POST /internal/v1/recordings/events (plugin secret only): rows, audit
//    rows without personal data, idempotent repeats, the track checks
//    (participant of the session, stored consent = true);
//  - POST /sessions/{id}/end marks a live recording row stopped;
//  - start/stop through the plugin's Admin API `record` request. (Another
//    refusal code than those of `record`, or an unreadable answer, is 502
//    janus-error: common/admin_recording's classify_record_refusal, unit
//    tested.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { assertFieldError, assertProblem, assertTimestamp } from './lib/checks.mjs';
import {
    ENV, UUID_RE, addParticipant, api, createSession, lit, psql, psqlValue, roomInfo, show, transition,
} from './lib/stack.mjs';

const T = { timeout: 60000 };

// POST to an internal endpoint with the plugin secret (or `authorization`).
function internal(path, body, { authorization = `Bearer ${ENV.PLUGIN_SECRET}`, raw } = {}) {
    return api('POST', path, { body, raw, auth: false, headers: { authorization } });
}

const consent = (sid, pid, recording) =>
    internal('/internal/v1/consents', { session_id: sid, participant_id: pid, recording });

function event(sid, rid, ev, { by = null, at = new Date().toISOString(), tracks } = {}) {
    const body = { session_id: sid, recording_id: rid, event: ev, by, at };
    if (tracks !== undefined) body.tracks = tracks;
    return internal('/internal/v1/recordings/events', body);
}

function track(pid, consentId, source = 'audio', n = 0, codec = source === 'audio' ? 'opus' : 'vp8') {
    const t0 = new Date(Date.now() - 5000).toISOString();
    return { file: `${pid}-${source}-${n}.mjr`, participant: pid, source, codec, consent_id: consentId,
        started_at: t0, stopped_at: new Date().toISOString() };
}

// A session with a doctor and a patient; started unless `start` is false.
async function room({ policy = 'optional', start = true } = {}) {
    const s = await createSession({ recording_policy: policy, title: 'Rec Secret Title' });
    const doctor = await addParticipant(s.id, { user_id: `d-${s.id}`, role: 'doctor', display_name: 'Dr Secret' });
    const patient = await addParticipant(s.id, { user_id: `p-${s.id}`, role: 'patient', display_name: 'Pat Secret' });
    if (start) await transition(s.id, 'start');
    return { sid: s.id, doctor: doctor.participant, patient: patient.participant };
}

function auditRows(sid, like = 'recording.%') {
    return psql(`SELECT action, actor, data::text FROM audit_log WHERE session_id = ${lit(sid)}
                 AND action LIKE ${lit(like)} ORDER BY id`).map(([action, actor, data]) => ({ action, actor, data: JSON.parse(data) }));
}

function assertRecording(r, expected = {}) {
    assert.ok(r && typeof r === 'object', 'recording object');
    assert.match(r.id, UUID_RE, 'id');
    assert.match(r.session_id, UUID_RE, 'session_id');
    assert.ok(['starting', 'recording', 'stopped', 'failed', 'processing', 'available', 'incomplete'].includes(r.state), 'state');
    assertTimestamp(r.started_at, 'started_at');
    if (r.stopped_at !== null) assertTimestamp(r.stopped_at, 'stopped_at');
    assert.ok(r.started_by === null || UUID_RE.test(r.started_by), 'started_by');
    assert.ok(Array.isArray(r.tracks) && Array.isArray(r.consents), 'tracks[], consents[]');
    for (const t of r.tracks) {
        assert.deepEqual(Object.keys(t).sort(), ['codec', 'consent_id', 'participant_id', 'source', 'started_at', 'stopped_at']);
    }
    for (const c of r.consents) assert.deepEqual(Object.keys(c).sort(), ['created_at', 'id', 'participant_id', 'recording']);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(r[k], v, `recording.${k}`);
}

async function getRecording(id) {
    const res = await api('GET', `/recordings/${id}`);
    assert.equal(res.status, 200, show(res));
    assertRecording(res.json);
    return res.json;
}

describe('REST: errors decided without the plugin', () => {
    test('401 without the API key, and with the plugin secret', T, async () => {
        const r = await room({ start: false });
        const id = randomUUID();
        for (const [m, p] of [['POST', `/sessions/${r.sid}/recordings`], ['POST', `/sessions/${r.sid}/recordings/stop`],
            ['GET', `/sessions/${r.sid}/recordings`], ['GET', `/recordings/${id}`]]) {
            assertProblem(await api(m, p, { auth: false }), 401, 'unauthorized', `${m} ${p}`);
            assertProblem(await api(m, p, { auth: false, headers: { authorization: `Bearer ${ENV.PLUGIN_SECRET}` } }),
                401, 'unauthorized', `${m} ${p} with the plugin secret`);
        }
    });

    test('404 for unknown and non-UUID ids', T, async () => {
        const unknown = randomUUID();
        assertProblem(await api('POST', `/sessions/${unknown}/recordings`), 404, 'not-found');
        assertProblem(await api('POST', `/sessions/${unknown}/recordings/stop`), 404, 'not-found');
        assertProblem(await api('GET', `/sessions/${unknown}/recordings`), 404, 'not-found');
        assertProblem(await api('GET', `/recordings/${unknown}`), 404, 'not-found');
        assertProblem(await api('GET', '/recordings/not-a-uuid'), 404, 'not-found');
        assertProblem(await api('POST', '/sessions/xyz/recordings'), 404, 'not-found');
    });

    test('start: 409 session-not-active on a scheduled and on an ended session', T, async () => {
        const r = await room({ start: false });
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`), 409, 'session-not-active');
        await transition(r.sid, 'start');
        await transition(r.sid, 'end');
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`), 409, 'session-not-active');
        assert.equal(psqlValue(`SELECT count(*) FROM recordings WHERE session_id = ${lit(r.sid)}`), '0', 'no row');
    });

    test('start: 409 recording-disabled under policy disabled; nothing stored', T, async () => {
        const r = await room({ policy: 'disabled' });
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`, { body: {} }), 409, 'recording-disabled');
        assert.equal(psqlValue(`SELECT count(*) FROM recordings WHERE session_id = ${lit(r.sid)}`), '0');
    });

    test('stop: 409 no-recording when none is on, 409 recording-required under policy required', T, async () => {
        const r = await room();
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings/stop`), 409, 'no-recording');
        const req = await room({ policy: 'required' });
        assertProblem(await api('POST', `/sessions/${req.sid}/recordings/stop`), 409, 'recording-required');
    });

    test('bad bodies and queries', T, async () => {
        const r = await room();
        assertFieldError(await api('POST', `/sessions/${r.sid}/recordings`, { body: { recording_id: randomUUID() } }), 'recording_id');
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`, { raw: '{"a":' }), 400, 'malformed-json');
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`, { raw: '[]' }), 422, 'validation-error');
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`,
            { raw: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type');
        assertFieldError(await api('POST', `/sessions/${r.sid}/recordings/stop`, { body: { now: true } }), 'now');
        assertFieldError(await api('GET', `/sessions/${r.sid}/recordings?limit=0`), 'limit');
        assertFieldError(await api('GET', `/sessions/${r.sid}/recordings?limit=101`), 'limit');
        assertFieldError(await api('GET', `/sessions/${r.sid}/recordings?cursor=bogus`), 'cursor');
        assertFieldError(await api('GET', `/sessions/${r.sid}/recordings?state=on`), 'state');
        assertFieldError(await api('GET', `/recordings/${randomUUID()}?x=1`), 'x');
        assert.equal(psqlValue(`SELECT count(*) FROM recordings WHERE session_id = ${lit(r.sid)}`), '0');
    });
});

describe('internal: POST /internal/v1/consents', () => {
    test('plugin secret only: API key, wrong secret, none -> 401', T, async () => {
        const r = await room();
        const body = { session_id: r.sid, participant_id: r.patient.id, recording: true };
        for (const authorization of [`Bearer ${ENV.TELEMED_API_KEY}`, `Bearer ${ENV.PLUGIN_SECRET}x`, null]) {
            const res = await internal('/internal/v1/consents', body, { authorization });
            assertProblem(res, 401, 'unauthorized');
            assert.equal(res.headers.get('www-authenticate'), 'Bearer');
            const ev = await internal('/internal/v1/recordings/events',
                { session_id: r.sid, recording_id: randomUUID(), event: 'started', by: null, at: new Date().toISOString() },
                { authorization });
            assertProblem(ev, 401, 'unauthorized');
        }
        assert.equal(psqlValue(`SELECT count(*) FROM recording_consents WHERE session_id = ${lit(r.sid)}`), '0');
    });

    test('stored: 201 {id, created_at}, an audit row without personal data; a repeat is the same row', T, async () => {
        const r = await room();
        const res = await consent(r.sid, r.patient.id, true);
        assert.equal(res.status, 201, show(res));
        assert.deepEqual(Object.keys(res.json).sort(), ['created_at', 'id']);
        assert.match(res.json.id, UUID_RE);
        assertTimestamp(res.json.created_at, 'created_at');
        assert.deepEqual(psql(`SELECT session_id, participant_id, recording FROM recording_consents WHERE id = ${lit(res.json.id)}`),
            [[r.sid, r.patient.id, 't']]);
        const again = await consent(r.sid, r.patient.id, true);
        assert.equal(again.status, 201, show(again));
        assert.equal(again.json.id, res.json.id, 'a repeat answers the stored row');
        const no = await consent(r.sid, r.patient.id, false);
        assert.equal(no.status, 201, show(no));
        assert.notEqual(no.json.id, res.json.id, 'a withdrawal is a new row');
        const rows = auditRows(r.sid, 'recording.consent');
        assert.equal(rows.length, 2, 'one audit row per stored answer');
        assert.deepEqual(rows[0], { action: 'recording.consent', actor: `participant:${r.patient.id}`,
            data: { participant_id: r.patient.id, consent_id: res.json.id, recording: true } });
        assert.equal(rows[1].data.recording, false);
        for (const row of rows) assert.ok(!JSON.stringify(row).match(/Secret|p-/), 'no names, titles or user ids');
        const chain = await api('GET', `/sessions/${r.sid}/audit`);
        assert.equal(chain.json.chain.valid, true, show(chain));
    });

    test('404 unknown session or participant (also one of another session); 409 ended; 409 removed participant', T, async () => {
        const r = await room();
        const other = await room();
        assertProblem(await consent(randomUUID(), r.patient.id, true), 404, 'not-found');
        assertProblem(await consent(r.sid, randomUUID(), true), 404, 'not-found');
        assertProblem(await consent(r.sid, other.patient.id, true), 404, 'not-found', 'participant of another session');
        const del = await api('DELETE', `/sessions/${r.sid}/participants/${r.patient.id}`);
        assert.equal(del.status, 204, show(del));
        assertProblem(await consent(r.sid, r.patient.id, true), 409, 'participant-removed');
        assert.equal((await consent(r.sid, r.patient.id, false)).status, 201, 'a removed participant\'s no is stored');
        await transition(r.sid, 'end');
        assertProblem(await consent(r.sid, r.doctor.id, true), 409, 'session-closed');
    });

    test('bad bodies: 400, 422 naming the field, 415', T, async () => {
        const r = await room();
        assertProblem(await internal('/internal/v1/consents', undefined, { raw: '{"session_id":' }), 400, 'malformed-json');
        assertFieldError(await internal('/internal/v1/consents', { session_id: r.sid, participant_id: r.patient.id }), 'recording');
        assertFieldError(await internal('/internal/v1/consents',
            { session_id: r.sid, participant_id: r.patient.id, recording: 'yes' }), 'recording');
        assertFieldError(await internal('/internal/v1/consents',
            { session_id: 'x', participant_id: r.patient.id, recording: true }), 'session_id');
        assertFieldError(await internal('/internal/v1/consents',
            { session_id: r.sid, participant_id: r.patient.id, recording: true, name: 'Pat' }), 'name');
        assertProblem(await api('POST', '/internal/v1/consents', { raw: 'x', auth: false,
            headers: { authorization: `Bearer ${ENV.PLUGIN_SECRET}`, 'content-type': 'text/plain' } }), 415, 'unsupported-media-type');
    });
});

describe('internal: POST /internal/v1/recordings/events', () => {
    test('started then stopped with tracks; repeats change nothing; GET shows tracks and consents', T, async () => {
        const r = await room();
        const kd = (await consent(r.sid, r.doctor.id, true)).json.id;
        const kp = (await consent(r.sid, r.patient.id, true)).json.id;
        const rid = randomUUID();
        const startedAt = new Date(Date.now() - 10000).toISOString();
        for (let i = 0; i < 2; i++) {
            const res = await event(r.sid, rid, 'started', { by: r.doctor.id, at: startedAt });
            assert.equal(res.status, 200, show(res));
            assert.deepEqual(res.json, {});
        }
        let rec = await getRecording(rid);
        assertRecording(rec, { id: rid, session_id: r.sid, state: 'recording', started_by: r.doctor.id, stopped_at: null, tracks: [] });
        assert.equal(Date.parse(rec.started_at), Date.parse(startedAt), 'started_at is the plugin\'s');
        // a REST start while it is on: 409 with its id (no plugin call)
        const busy = await api('POST', `/sessions/${r.sid}/recordings`);
        assertProblem(busy, 409, 'recording-in-progress');
        assert.equal(busy.json.recording_id, rid);

        const tracks = [track(r.doctor.id, kd, 'audio'), track(r.doctor.id, kd, 'video'), track(r.patient.id, kp, 'audio')];
        for (let i = 0; i < 2; i++) {
            const res = await event(r.sid, rid, 'stopped', { by: r.doctor.id, tracks });
            assert.equal(res.status, 200, show(res));
        }
        rec = await getRecording(rid);
        assert.equal(rec.state, 'stopped');
        assertTimestamp(rec.stopped_at, 'stopped_at');
        assert.equal(rec.tracks.length, 3, 'tracks stored once');
        assert.deepEqual(rec.tracks.map((t) => `${t.participant_id}/${t.source}/${t.codec}/${t.consent_id}`).sort(),
            [`${r.doctor.id}/audio/opus/${kd}`, `${r.doctor.id}/video/vp8/${kd}`, `${r.patient.id}/audio/opus/${kp}`].sort());
        assert.deepEqual(rec.consents.map((c) => [c.id, c.participant_id, c.recording]),
            [[kd, r.doctor.id, true], [kp, r.patient.id, true]]);
        assert.ok(!JSON.stringify(rec).includes('.mjr'), 'file names stay internal');
        // a started repeat after the stop does not bring it back
        assert.equal((await event(r.sid, rid, 'started', { by: r.doctor.id, at: startedAt })).status, 200);
        assert.equal((await getRecording(rid)).state, 'stopped');

        const rows = auditRows(r.sid).filter((x) => x.action !== 'recording.consent');
        assert.deepEqual(rows.map((x) => x.action), ['recording.started', 'recording.stopped']);
        assert.deepEqual(rows[0], { action: 'recording.started', actor: `participant:${r.doctor.id}`,
            data: { recording_id: rid, by: r.doctor.id } });
        assert.equal(rows[1].data.tracks, 3);
        const chain = await api('GET', `/sessions/${r.sid}/audit`);
        assert.equal(chain.json.chain.valid, true, show(chain));
        // once stopped, a REST stop has nothing to stop
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings/stop`), 409, 'no-recording');
    });

    test('tracks need a stored consent = true of their participant in the session (422, nothing stored)', T, async () => {
        const r = await room();
        const other = await room();
        const kd = (await consent(r.sid, r.doctor.id, true)).json.id;
        const kno = (await consent(r.sid, r.patient.id, false)).json.id;
        const kother = (await consent(other.sid, other.patient.id, true)).json.id;
        const rid = randomUUID();
        assert.equal((await event(r.sid, rid, 'started')).status, 200);
        for (const [bad, field] of [
            [track(r.patient.id, kno), 'tracks[1].consent_id'],          // consent = false
            [track(r.patient.id, kd), 'tracks[1].consent_id'],           // another participant's consent
            [track(r.patient.id, randomUUID()), 'tracks[1].consent_id'], // unknown consent
            [track(other.patient.id, kother), 'tracks[1].participant'],  // participant of another session
        ]) {
            assertFieldError(await event(r.sid, rid, 'stopped', { tracks: [track(r.doctor.id, kd), bad] }), field);
        }
        assert.equal((await getRecording(rid)).state, 'recording', 'nothing changed');
        assert.equal(psqlValue(`SELECT count(*) FROM recording_tracks WHERE recording_id = ${lit(rid)}`), '0');
    });

    test('bounded and strict input: 422 for bad fields, > 64 tracks, tracks on started, another session\'s id, a foreign by', T, async () => {
        const r = await room();
        const other = await room();
        const kd = (await consent(r.sid, r.doctor.id, true)).json.id;
        const rid = randomUUID();
        const base = { session_id: r.sid, recording_id: rid, event: 'stopped', by: null, at: new Date().toISOString() };
        const post = (b) => internal('/internal/v1/recordings/events', b);
        assertFieldError(await post({ ...base, event: 'paused' }), 'event');
        assertFieldError(await post({ ...base, at: 'yesterday' }), 'at');
        assertFieldError(await post({ ...base, recording_id: 'r1' }), 'recording_id');
        assertFieldError(await post({ ...base, room: r.sid }), 'room');
        assertFieldError(await post({ ...base, by: 'doctor' }), 'by');
        assertFieldError(await post({ ...base, fault: 'disk_full' }), 'fault');
        assertFieldError(await post({ ...base, fault: 7 }), 'fault');
        assertFieldError(await post({ ...base, event: 'started', fault: 'write_failed' }), 'fault');
        const many = Array.from({ length: 65 }, (_, i) => track(r.doctor.id, kd, 'audio', i));
        assertFieldError(await post({ ...base, tracks: many }), 'tracks');
        assertFieldError(await post({ ...base, event: 'started', tracks: [track(r.doctor.id, kd)] }), 'tracks');
        for (const [k, v] of [['file', '../etc/passwd'], ['file', 'a/b.mjr'], ['file', 'x'.repeat(129)], ['source', 'data'],
            ['codec', 'OPUS'], ['started_at', 5], ['participant', 'p']]) {
            const t = { ...track(r.doctor.id, kd), [k]: v };
            assertFieldError(await post({ ...base, tracks: [t] }), `tracks[0].${k}`, `${k}=${String(v).slice(0, 20)}`);
        }
        const dup = track(r.doctor.id, kd);
        assertFieldError(await post({ ...base, tracks: [dup, dup] }), 'tracks[1].file');
        assertFieldError(await post({ ...base, by: other.doctor.id }), 'by');
        // 64 tracks are fine
        const ok64 = Array.from({ length: 64 }, (_, i) => track(r.doctor.id, kd, 'audio', i));
        assert.equal((await post({ ...base, tracks: ok64 })).status, 200);
        assert.equal(psqlValue(`SELECT count(*) FROM recording_tracks WHERE recording_id = ${lit(rid)}`), '64');
        // the same recording id reported for another session
        assertFieldError(await event(other.sid, rid, 'started'), 'recording_id');
        assertProblem(await event(randomUUID(), randomUUID(), 'started'), 404, 'not-found');
        assertProblem(await internal('/internal/v1/recordings/events', undefined, { raw: '[' }), 400, 'malformed-json');
    });

    test('a stopped event without a started one stores the recording', T, async () => {
        const r = await room();
        const kp = (await consent(r.sid, r.patient.id, true)).json.id;
        const rid = randomUUID();
        const t = track(r.patient.id, kp);
        assert.equal((await event(r.sid, rid, 'stopped', { tracks: [t] })).status, 200);
        const rec = await getRecording(rid);
        assertRecording(rec, { state: 'stopped', started_by: null });
        assert.equal(Date.parse(rec.started_at), Date.parse(t.started_at), 'started_at from its first track');
    });
});

describe('faults', () => {
    test('a stopped event with fault write_failed: the row keeps it (also after a session end stopped it first), audit reason write_failed', T, async () => {
        const r = await room();
        const kd = (await consent(r.sid, r.doctor.id, true)).json.id;
        const rid = randomUUID();
        assert.equal((await event(r.sid, rid, 'started')).status, 200);
        assert.equal((await getRecording(rid)).fault, null);
        const body = { session_id: r.sid, recording_id: rid, event: 'stopped', by: null, at: new Date().toISOString(),
            tracks: [track(r.doctor.id, kd)], fault: 'write_failed' };
        assert.equal((await internal('/internal/v1/recordings/events', body)).status, 200);
        const rec = await getRecording(rid);
        assert.equal(rec.fault, 'write_failed');
        assert.ok(rec.stopped_at);
        const stops = auditRows(r.sid, 'recording.stopped');
        assert.equal(stops.length, 1);
        assert.equal(stops[0].data.reason, 'write_failed');
        // The session's end came first: the late event still records the fault.
        const r2 = await room();
        const kd2 = (await consent(r2.sid, r2.doctor.id, true)).json.id;
        const rid2 = randomUUID();
        assert.equal((await event(r2.sid, rid2, 'started')).status, 200);
        await transition(r2.sid, 'end');
        const late = { ...body, session_id: r2.sid, recording_id: rid2, tracks: [track(r2.doctor.id, kd2)] };
        assert.equal((await internal('/internal/v1/recordings/events', late)).status, 200);
        assert.equal((await getRecording(rid2)).fault, 'write_failed');
    });
});

describe('listing and pagination', () => {
    test('newest first, limit and cursor, consents of the session on each item', T, async () => {
        const r = await room();
        await consent(r.sid, r.patient.id, true);
        const ids = [];
        for (let i = 0; i < 3; i++) {
            const rid = randomUUID();
            ids.push(rid);
            assert.equal((await event(r.sid, rid, 'started')).status, 200);
            assert.equal((await event(r.sid, rid, 'stopped')).status, 200);
        }
        const empty = await room();
        const none = await api('GET', `/sessions/${empty.sid}/recordings`);
        assert.equal(none.status, 200, show(none));
        assert.deepEqual(none.json, { items: [], next_cursor: null });

        const p1 = await api('GET', `/sessions/${r.sid}/recordings?limit=2`);
        assert.equal(p1.status, 200, show(p1));
        assert.equal(p1.json.items.length, 2);
        assert.equal(typeof p1.json.next_cursor, 'string');
        const p2 = await api('GET', `/sessions/${r.sid}/recordings?limit=2&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
        assert.equal(p2.status, 200, show(p2));
        assert.equal(p2.json.items.length, 1);
        assert.equal(p2.json.next_cursor, null);
        const all = [...p1.json.items, ...p2.json.items];
        for (const it of all) {
            assertRecording(it, { session_id: r.sid, state: 'stopped' });
            assert.equal(it.consents.length, 1);
        }
        assert.deepEqual(all.map((x) => x.id), [...ids].reverse(), 'newest first');
        const d = await api('GET', `/sessions/${r.sid}/recordings`);
        assert.equal(d.json.items.length, 3, 'default limit holds them all');
    });
});

describe('session end', () => {
    test('end marks a live recording stopped in its transaction; the plugin\'s late stopped event still stores the tracks', T, async () => {
        const r = await room();
        const kp = (await consent(r.sid, r.patient.id, true)).json.id;
        const rid = randomUUID();
        assert.equal((await event(r.sid, rid, 'started', { at: new Date(Date.now() - 3000).toISOString() })).status, 200);
        const stopAt = new Date(Date.now() - 1000).toISOString();
        await transition(r.sid, 'end');
        let rec = await getRecording(rid);
        assert.equal(rec.state, 'stopped');
        assertTimestamp(rec.stopped_at, 'stopped_at');
        const end = auditRows(r.sid, 'recording.stopped');
        assert.equal(end.length, 1);
        assert.deepEqual(end[0].data, { recording_id: rid, reason: 'session_ended' });
        // the plugin's stopped (sent by destroy_room) arrives after the end
        const res = await event(r.sid, rid, 'stopped', { at: stopAt, tracks: [track(r.patient.id, kp)] });
        assert.equal(res.status, 200, show(res));
        rec = await getRecording(rid);
        assert.equal(rec.state, 'stopped');
        assert.equal(rec.tracks.length, 1);
        assert.equal(Date.parse(rec.stopped_at), Date.parse(stopAt), 'the earlier, plugin-reported stop time');
        assert.equal(auditRows(r.sid, 'recording.stopped').length, 1, 'stopped audited once');
        // an end without a live recording writes no recording rows
        const quiet = await room();
        await transition(quiet.sid, 'end');
        assert.equal(auditRows(quiet.sid).length, 0);
        const chain = await api('GET', `/sessions/${r.sid}/audit`);
        assert.equal(chain.json.chain.valid, true, show(chain));
    });
});

// Through the plugin (the stack's plugin has a recordings_dir).
describe('through the plugin\'s record request', () => {
    test('start -> 201 recording, second start 409 with its id, room_info says on, stop -> 200 stopped', T, async () => {
        const r = await room();
        const res = await api('POST', `/sessions/${r.sid}/recordings`, { body: {} });
        assert.equal(res.status, 201, show(res));
        assertRecording(res.json, { session_id: r.sid, state: 'recording', started_by: null, stopped_at: null });
        assert.equal(res.headers.get('location'), `/recordings/${res.json.id}`);
        const busy = await api('POST', `/sessions/${r.sid}/recordings`);
        assertProblem(busy, 409, 'recording-in-progress');
        assert.equal(busy.json.recording_id, res.json.id);
        const info = await roomInfo(r.sid);
        assert.equal(info.recording?.state, 'on');
        assert.equal(info.recording?.recording_id, res.json.id);
        const stop = await api('POST', `/sessions/${r.sid}/recordings/stop`);
        assert.equal(stop.status, 200, show(stop));
        assertRecording(stop.json, { id: res.json.id, state: 'stopped' });
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings/stop`), 409, 'no-recording');
        assert.equal((await roomInfo(r.sid)).recording?.state, 'off');
    });

    test('start after an end: 409 session-not-active; required policy: the plugin records on its own, stop 409', T, async () => {
        const r = await room({ policy: 'required' });
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings/stop`), 409, 'recording-required');
        await transition(r.sid, 'end');
        assertProblem(await api('POST', `/sessions/${r.sid}/recordings`), 409, 'session-not-active');
    });
});
