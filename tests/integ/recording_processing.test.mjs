// Recording post-processing against the real stack (issue 14, slice 2a;
// docs/DESIGN.md "Post-processing"). A real recording through the plugin
// (two Chromium participants, only the doctor consents) is stopped through
// REST; within a bounded time the controller's job turns it `available`:
// one participant output (the doctor's, none of the patient), one composite,
// encrypted at rest (no plaintext WebM header in the blobs), rows with sizes
// and SHA-256, the raw .mjr files and manifest gone, audit and outbox rows.
// Then: a controller restart with the job's lease expired still ends
// `available`; a folder of .mjr files without manifest (synthesized,
// tests/bench/mjr_synth.py, with a cut-off last frame and a file of a
// participant without consent) ends `incomplete`; a corrupt .mjr ends
// `failed` after the attempts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { withBrowser } from '../e2e/lib/browser.mjs';
import { doctorAndPatient, sleep } from '../e2e/lib/telemed.mjs';
import { ROOT, api, createSession, eventually, lit, psql, psqlValue, restartController, show, stack, UUID_RE } from './lib/stack.mjs';

const T = { timeout: 180000 };
const RECORDINGS = join(stack.dir, 'recordings');
const BLOBS = join(stack.dir, 'data', 'blobs');
const EBML = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

async function getRecording(id) {
    const res = await api('GET', `/recordings/${id}`);
    assert.equal(res.status, 200, show(res));
    return res.json;
}

async function waitState(id, states, timeout = 60000) {
    let last;
    await eventually(async () => {
        last = await getRecording(id);
        return states.includes(last.state);
    }, { timeout, interval: 250, what: `recording ${id} in ${states}` }).catch((e) => {
        throw new Error(`${e.message}; last: ${JSON.stringify(last)}`);
    });
    return last;
}

function blobPath(id) {
    return join(BLOBS, id.slice(0, 2), id);
}

// The blob exists, is larger than its plaintext (header + tags), and its
// first KiB holds no plaintext WebM header.
function assertSealed(out) {
    const p = blobPath(out.id);
    assert.ok(existsSync(p), `blob of output ${out.id}`);
    const bytes = readFileSync(p);
    assert.ok(bytes.length > out.size, `sealed size ${bytes.length} > plaintext ${out.size}`);
    assert.equal(bytes.subarray(0, 1024).indexOf(EBML), -1, 'no plaintext EBML header in the first KiB');
    const row = psql(`SELECT size, encode(sha256, 'hex'), key_id, octet_length(wrapped_key) FROM recording_outputs WHERE id = ${lit(out.id)}`);
    assert.deepEqual(row, [[String(out.size), out.sha256, 'k1', '60']]);
}

function auditCount(sid, action, rid) {
    return Number(psqlValue(`SELECT count(*) FROM audit_log WHERE session_id = ${lit(sid)} AND action = ${lit(action)}
        AND data->>'recording_id' = ${lit(rid)}`));
}

// Synthesized .mjr files (VP8 + Opus) of `pid` into the recording folder.
function synthesize(dir, pid, seconds, startUs) {
    execFileSync('python3', [join(ROOT, 'tests', 'bench', 'mjr_synth.py'), dir, pid, String(seconds), String(startUs)],
        { timeout: 60000, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A recording written by hand, as a Janus killed mid-recording leaves it:
// files first (the caller writes them into `dir`), then the row, stopped two
// minutes ago (past the manifest grace): insertRow().
function handRecording(sid) {
    const rid = randomUUID();
    const startUs = (Date.now() - 130000) * 1000;
    return { rid, dir: join(RECORDINGS, sid, rid), startUs };
}
// The doctor's consent of the real recording came after this one "ended";
// only a consent=true stored before the end counts, so the hand-written
// recording gets one too (125 s ago).
function insertRow(sid, { rid, startUs }) {
    psql(`INSERT INTO recording_consents (id, session_id, participant_id, recording, created_at)
          VALUES (gen_random_uuid(), ${lit(sid)}, ${lit(S.D)}, true, now() - interval '125 seconds')`);
    psql(`INSERT INTO recordings (id, session_id, state, started_at, stopped_at)
          VALUES (${lit(rid)}, ${lit(sid)}, 'stopped', to_timestamp(${startUs / 1e6}), now() - interval '120 seconds')`);
}

let S;  // the real recording's session: {sid, D (doctor, consented), P (patient, refused)}

test('a real recording ends available: one output per consenting participant and a composite, encrypted, raw files gone', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await doctorAndPatient(b);
        const D = s.people.doctor.id;
        const P = s.people.patient.id;
        S = { sid: s.sid, D, P };
        const yes = await s.doctor.call('request', { request: 'consent', recording: true });
        assert.ok(yes.ok, JSON.stringify(yes));
        const no = await s.patient.call('request', { request: 'consent', recording: false });
        assert.ok(no.ok, JSON.stringify(no));

        const start = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
        assert.equal(start.status, 201, show(start));
        const rid = start.json.id;
        await sleep(3000);
        const stop = await api('POST', `/sessions/${s.sid}/recordings/stop`, { body: {} });
        assert.equal(stop.status, 200, show(stop));
        const stoppedAt = Date.now();

        const rec = await waitState(rid, ['available', 'incomplete', 'failed'], 60000);
        const latency = Date.now() - stoppedAt;
        assert.equal(rec.state, 'available', JSON.stringify(rec));
        t.diagnostic(`stop -> available in ${latency} ms`);
        assert.equal(rec.attempts, 1);
        assert.equal(rec.error, null);
        assert.ok(rec.processed_at, 'processed_at');
        const participants = rec.outputs.filter((o) => o.kind === 'participant');
        const composite = rec.outputs.filter((o) => o.kind === 'composite');
        assert.equal(participants.length, 1, `one participant output: ${JSON.stringify(rec.outputs)}`);
        assert.equal(composite.length, 1, 'one composite');
        assert.equal(participants[0].participant_id, D, 'the consenting doctor');
        assert.ok(!rec.outputs.some((o) => o.participant_id === P), 'nothing of the patient');
        for (const o of rec.outputs) {
            assert.match(o.id, UUID_RE);
            assert.equal(o.content_type, 'video/webm');
            assert.equal(o.video_codec, 'vp8');
            assert.equal(o.audio_codec, 'opus');
            assert.match(o.sha256, /^[0-9a-f]{64}$/);
            assert.ok(o.size > 1000, `size ${o.size}`);
            assert.ok(o.duration_ms > 1000 && o.duration_ms < 20000, `duration ${o.duration_ms}`);
            assertSealed(o);
        }
        assert.equal(composite[0].participant_id, null);
        assert.equal(rec.duration_ms, composite[0].duration_ms, 'the recording lasts as its composite');
        assert.ok(rec.tracks.length >= 2 && rec.tracks.every((x) => x.participant_id === D), JSON.stringify(rec.tracks));

        // Raw files and manifest gone; the work folder too.
        assert.ok(!existsSync(join(RECORDINGS, s.sid, rid)), 'the recording folder is removed');
        assert.deepEqual(existsSync(join(RECORDINGS, '.work')) ? readdirSync(join(RECORDINGS, '.work')) : [], []);
        // Audit and outbox, in the commit that made it available.
        assert.equal(auditCount(s.sid, 'recording.processed', rid), 1);
        const events = psql(`SELECT payload->>'state', payload->>'session_id', jsonb_array_length(payload->'outputs')
            FROM outbox WHERE topic = 'recording.available' AND payload->>'recording_id' = ${lit(rid)}`);
        assert.deepEqual(events, [['available', s.sid, '2']]);
        // The list carries the same outputs.
        const list = await api('GET', `/sessions/${s.sid}/recordings`);
        assert.equal(list.status, 200, show(list));
        assert.deepEqual(list.json.items.find((x) => x.id === rid).outputs, rec.outputs);

        // A second recording; the job's lease runs out while the controller
        // restarts: taken up again, it still ends available, once.
        const start2 = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
        assert.equal(start2.status, 201, show(start2));
        const rid2 = start2.json.id;
        await sleep(2000);
        assert.equal((await api('POST', `/sessions/${s.sid}/recordings/stop`, { body: {} })).status, 200);
        const hit = psql(`UPDATE recordings SET state = 'processing', attempts = 1, lease_until = now() - interval '1 second'
              WHERE id = ${lit(rid2)} AND state IN ('stopped', 'processing') RETURNING id`).length;
        await restartController(null);
        const rec2 = await waitState(rid2, ['available', 'incomplete', 'failed'], 60000);
        assert.equal(rec2.state, 'available', JSON.stringify(rec2));
        if (hit) assert.ok(rec2.attempts >= 2, `taken up again: attempts ${rec2.attempts}`);
        else t.diagnostic('the second recording was processed before its lease could be expired');
        assert.equal(rec2.outputs.filter((o) => o.kind === 'composite').length, 1);
        assert.equal(auditCount(s.sid, 'recording.processed', rid2), 1);
        assert.ok(!existsSync(join(RECORDINGS, s.sid, rid2)));
    });
});

test('.mjr files without manifest.json end incomplete; a cut-off last frame is fine; a file without consent is deleted unprocessed', T, async () => {
    assert.ok(S, 'needs the first test');
    const hand = handRecording(S.sid);
    const { rid, dir, startUs } = hand;
    mkdirSync(dir, { recursive: true });
    synthesize(dir, S.D, 2, startUs + 1500000);  // the doctor joined 1.5 s after the start
    // SIGKILL mid-write: half a frame at the end of the video file.
    appendFileSync(join(dir, `${S.D}-video-0.mjr`), Buffer.concat([Buffer.from('MEET'), Buffer.from([0, 0, 1, 0, 4, 0]), Buffer.alloc(100, 7)]));
    // The patient never consented: its file must never be processed.
    writeFileSync(join(dir, `${S.P}-audio-0.mjr`), readFileSync(join(dir, `${S.D}-audio-0.mjr`)));
    writeFileSync(join(dir, 'stray.bin'), 'not a track');
    insertRow(S.sid, hand);

    const rec = await waitState(rid, ['available', 'incomplete', 'failed'], 60000);
    assert.equal(rec.state, 'incomplete', JSON.stringify(rec));
    assert.deepEqual(rec.outputs.map((o) => [o.kind, o.participant_id]).sort(), [['composite', null], ['participant', S.D]]);
    for (const o of rec.outputs) assertSealed(o);
    const composite = rec.outputs.find((o) => o.kind === 'composite');
    assert.ok(composite.duration_ms >= 3000, `the doctor's 2 s placed at 1.5 s: ${composite.duration_ms}`);
    assert.ok(!existsSync(dir), 'the folder is removed');
    assert.equal(auditCount(S.sid, 'recording.processed', rid), 1);
    assert.equal(psqlValue(`SELECT data->>'left_out' FROM audit_log WHERE action = 'recording.processed' AND data->>'recording_id' = ${lit(rid)}`), '2');
    assert.equal(psqlValue(`SELECT payload->>'state' FROM outbox WHERE topic = 'recording.available' AND payload->>'recording_id' = ${lit(rid)}`), 'incomplete');
});

test('a corrupt .mjr ends failed after the attempts, with an error of our words', T, async () => {
    assert.ok(S, 'needs the first test');
    await restartController('recording_retry_delay_s=1,recording_manifest_grace_s=1');
    const hand = handRecording(S.sid);
    const { rid, dir } = hand;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${S.D}-audio-0.mjr`), Buffer.concat([Buffer.from('MJR00002'), Buffer.from([0, 4]), Buffer.from('{"t"'), Buffer.alloc(64, 0x55)]));
    insertRow(S.sid, hand);
    const rec = await waitState(rid, ['available', 'incomplete', 'failed'], 60000);
    assert.equal(rec.state, 'failed', JSON.stringify(rec));
    assert.equal(rec.attempts, 3);
    assert.equal(rec.error, 'post-processing: a track file is not a readable Janus recording');
    assert.deepEqual(rec.outputs, []);
    assert.equal(auditCount(S.sid, 'recording.failed', rid), 1);
    assert.ok(existsSync(join(dir, `${S.D}-audio-0.mjr`)), 'a failed recording keeps its raw files');
});

test('a recording the media server no longer records (Janus died) is stopped, then processed as incomplete', T, async () => {
    assert.ok(S, 'needs the first test');
    // Running with recording_manifest_grace_s=1 (the previous test). A live
    // recording that its room does record must be left alone: started first,
    // older than the grace by the time the lost one is found.
    const start = await api('POST', `/sessions/${S.sid}/recordings`, { body: {} });
    assert.equal(start.status, 201, show(start));
    await sleep(1500);
    // What a Janus killed mid-recording leaves behind: a row still
    // `recording` of a session the media server has no room for (4040).
    const other = await createSession({ kind: 'consultation' });
    const rid = randomUUID();
    psql(`INSERT INTO recordings (id, session_id, state, started_at, created_at, updated_at)
          VALUES (${lit(rid)}, ${lit(other.id)}, 'recording', now() - interval '3 minutes', now() - interval '3 minutes', now() - interval '2 minutes')`);
    const rec = await waitState(rid, ['incomplete', 'available', 'failed'], 30000);
    assert.equal(rec.state, 'incomplete', JSON.stringify(rec));
    assert.ok(rec.stopped_at, 'stopped');
    assert.equal(rec.fault, 'media_server_lost');
    assert.deepEqual(rec.outputs, []);
    assert.equal(rec.duration_ms, null);
    const stops = psql(`SELECT data->>'reason' FROM audit_log WHERE action = 'recording.stopped' AND data->>'recording_id' = ${lit(rid)}`);
    assert.deepEqual(stops, [['media_server_lost']]);
    assert.equal((await getRecording(start.json.id)).state, 'recording', 'the recorded one is left alone');
    assert.equal((await api('POST', `/sessions/${S.sid}/recordings/stop`, { body: {} })).status, 200);
});

after(async () => {
    await restartController(null);  // the stack's own configuration again
});
