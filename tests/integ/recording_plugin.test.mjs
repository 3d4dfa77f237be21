// Consent-gated recording in the plugin against a real Janus (issue 14,
// slice 1; docs/PROTOCOL.md "Recording"). Two Chromium participants publish
// real media; only the doctor consents (stored through the controller:
// POST /internal/v1/consents), the patient says no; the recording is
// started and stopped through the Admin API; the stack's recordings_dir
// then holds .mjr files of the doctor only, manifest.json lists exactly
// them, and janus-pp-rec reads their headers.
//
// Needs the controller side of the contract (its /internal/v1/consents
// route): without it consent=true is answered 5031 and the first test fails
// at that step, by design (an unstored consent records nothing). The second
// test needs only the plugin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { withBrowser } from '../e2e/lib/browser.mjs';
import { doctorAndPatient, sleep, waitIncrease } from '../e2e/lib/telemed.mjs';
import { addParticipant, createSession, plugin, stack, transition, uniq, UUID_RE } from './lib/stack.mjs';

const T = { timeout: 120000 };
const RECORDINGS = join(stack.dir, 'recordings');

function assertError(data, code, what) {
    assert.equal(data.telemed, 'error', `${what}: ${JSON.stringify(data)}`);
    assert.equal(data.error_code, code, `${what}: ${JSON.stringify(data)}`);
}

test('only the consenting participant is recorded; manifest.json lists its tracks; janus-pp-rec reads them', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await doctorAndPatient(b);
        const D = s.people.doctor.id;
        const P = s.people.patient.id;

        // Consent: the doctor yes (stored first: needs the controller's route), the patient no.
        const yes = await s.doctor.call('request', { request: 'consent', recording: true });
        assert.ok(yes.ok, `consent=true stored through the controller (needs /internal/v1/consents): ${JSON.stringify(yes)}`);
        assert.equal(yes.value.telemed, 'consent', JSON.stringify(yes));
        assert.equal(yes.value.recording, true);
        assert.match(yes.value.consent_id, UUID_RE);
        const no = await s.patient.call('request', { request: 'consent', recording: false });
        assert.ok(no.ok, `consent=false: ${JSON.stringify(no)}`);

        // Start through the Admin API (as the controller's REST start does).
        const started = await plugin({ request: 'record', room: s.sid, action: 'start' });
        assert.equal(started.telemed, 'recording', JSON.stringify(started));
        assert.equal(started.state, 'on');
        assert.match(started.recording_id, UUID_RE);
        assert.deepEqual(started.recorded, [D], 'only the doctor is recorded');
        const rid = started.recording_id;
        // Idempotent; another id is 4062.
        const again = await plugin({ request: 'record', room: s.sid, action: 'start' });
        assert.equal(again.recording_id, rid);
        assertError(await plugin({ request: 'record', room: s.sid, action: 'start', recording_id: '99999999-9999-4999-8999-999999999999' }),
            4062, 'start with another id');

        // Media flows (and keeps being forwarded to the patient) while recording.
        await waitIncrease(s.patient, (m) => m.from?.[D]?.video?.packets ?? 0, { by: 20, what: 'doctor video reaches the patient' });
        await sleep(2500);
        const info = await plugin({ request: 'room_info', room: s.sid });
        assert.equal(info.recording.state, 'on');
        const doc = info.participants.find((x) => x.participant_id === D);
        const pat = info.participants.find((x) => x.participant_id === P);
        assert.equal(doc.consent, true);
        assert.equal(pat.consent, false);
        assert.ok(doc.stats.rtp_recorded > 50, `doctor packets written: ${JSON.stringify(doc.stats)}`);
        assert.equal(pat.stats.rtp_recorded, 0, 'nothing of the patient is written');

        const stopped = await plugin({ request: 'record', room: s.sid, action: 'stop' });
        assert.equal(stopped.state, 'off', JSON.stringify(stopped));

        // Files: closed by the worker, manifest written when they are.
        const dir = join(RECORDINGS, s.sid, rid);
        const manifestPath = join(dir, 'manifest.json');
        for (let i = 0; i < 50 && !existsSync(manifestPath); i++) await sleep(100);
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
        assert.equal(manifest.recording_id, rid);
        assert.equal(manifest.room, s.sid);
        const files = readdirSync(dir).filter((f) => f.endsWith('.mjr')).sort();
        assert.deepEqual(files, [`${D}-audio-0.mjr`, `${D}-video-0.mjr`], `only the doctor's tracks: ${files}`);
        assert.deepEqual(manifest.tracks.map((x) => x.file).sort(), files);
        for (const tr of manifest.tracks) {
            assert.equal(tr.participant, D);
            assert.match(tr.consent_id, UUID_RE);
            assert.ok(tr.started_at <= tr.stopped_at, JSON.stringify(tr));
            const pp = spawnSync('janus-pp-rec', ['-j', join(dir, tr.file)], { encoding: 'utf8', timeout: 10000 });
            assert.equal(pp.status, 0, `janus-pp-rec -j ${tr.file}: ${pp.stderr}`);
            const header = JSON.parse(pp.stdout.trim().split('\n').find((l) => l.startsWith('{')));
            assert.equal(header.c, tr.source === 'audio' ? 'opus' : 'vp8', pp.stdout);
        }
        assert.ok(!readdirSync(dir).some((f) => f.startsWith(P)), 'no file of the patient');
    });
});

test('record through the Admin API: policy errors, required stop, unknown room', T, async () => {
    const s = await createSession({ kind: 'consultation', recording_policy: 'disabled' });
    await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
    await transition(s.id, 'start');
    assertError(await plugin({ request: 'record', room: s.id, action: 'start' }), 4060, 'disabled policy');
    const off = await plugin({ request: 'record', room: s.id, action: 'stop' });
    assert.deepEqual(off, { telemed: 'recording', room: s.id, state: 'off', recording_id: null, policy: 'disabled', recorded: [] });
    assertError(await plugin({ request: 'record', room: '33333333-3333-4333-8333-333333333333', action: 'stop' }), 4040, 'no room');
    assertError(await plugin({ request: 'record', room: s.id, action: 'pause' }), 4003, 'bad action');

    const r = await createSession({ kind: 'consultation', recording_policy: 'required' });
    await addParticipant(r.id, { user_id: uniq('doc'), role: 'doctor' });
    await transition(r.id, 'start');
    const info = await plugin({ request: 'room_info', room: r.id });
    assert.equal(info.recording.state, 'on', `a required room records once active: ${JSON.stringify(info.recording)}`);
    assertError(await plugin({ request: 'record', room: r.id, action: 'stop' }), 4060, 'required policy refuses stop');
    assert.ok(existsSync(join(RECORDINGS, r.id, info.recording.recording_id)), 'its folder exists');
    await transition(r.id, 'end');
    // destroy_room stopped it: the (empty) manifest is written.
    const manifestPath = join(RECORDINGS, r.id, info.recording.recording_id, 'manifest.json');
    for (let i = 0; i < 50 && !existsSync(manifestPath); i++) await sleep(100);
    assert.deepEqual(JSON.parse(readFileSync(manifestPath, 'utf8')).tracks, []);
});
