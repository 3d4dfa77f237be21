// Consent-gated recording in the clinic app (issue 14, first slice): the
// doctor starts a recording from the app; everyone sees the indicator and is
// asked; only who agreed is written to disk (the patient who said no has no
// file at all), a consent withdrawn mid-recording ends the patient's file
// there (±1 s); in a session that requires recording, a participant who
// refuses stays in the lobby and enters once it agrees. The files are
// checked on disk (the stack's recordings folder, `janus-pp-rec`,
// `ffprobe`), the rows over REST; screenshots of every state.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { restartController } from '../integ/lib/stack.mjs';
import { withBrowser } from './lib/browser.mjs';
import { AppPeer, appCall, ENV, api, eventually, session, show, sleep } from './lib/telemed.mjs';

const T = { timeout: 180000 };

// These tests read the plugin's raw files and the `stopped` rows, which the
// controller's post-processing job turns into encrypted outputs within
// seconds (then deletes the files): it is off here (recording_workers=0);
// tests/integ/recording_processing.test.mjs covers it.
before(async () => {
    await restartController('recording_workers=0');
});
after(async () => {
    await restartController(null);
});

// What a page shows of the recording: the indicator, whether it says "you"
// are recorded, the consent question, the buttons.
function recUi(peer) {
    return peer.p.eval(() => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const vis = (e) => !!e && !e.hidden && getComputedStyle(e).display !== 'none';
        const ind = q('recording-indicator');
        return {
            indicator: vis(ind) ? ind.dataset.state : 'off',
            me: ind ? ind.dataset.me : null,
            text: vis(ind) ? q('recording-text').textContent : '',
            prompt: vis(q('consent')),
            change: vis(q('change-consent')) ? q('change-consent').dataset.consent : null,
            toggle: vis(q('toggle-recording')) ? q('toggle-recording').textContent : null,
            screen: window.telemedApp.screen,
            consent: window.telemedClient ? window.telemedClient.consent : null,
            recorded: window.telemedClient ? window.telemedClient.recording.recorded : [],
            recordingId: window.telemedClient ? window.telemedClient.recording.recordingId : null,
        };
    });
}

async function until(peer, pred, what, timeout = 5000) {
    return eventually(async () => {
        const u = await recUi(peer);
        return pred(u) ? u : null;
    }, { timeout, interval: 100, what });
}

// The .mjr files of one recording, by participant.
function filesOf(sid, rid) {
    const dir = join(ENV.RECORDINGS_DIR, sid, rid);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mjr')).sort() : [];
}

// Duration in seconds of an .mjr track: janus-pp-rec to a playable file, ffprobe.
function durationOf(path, audio) {
    const tmp = mkdtempSync(join(tmpdir(), 'telemed-rec-'));
    try {
        const out = join(tmp, audio ? 'a.opus' : 'v.webm');
        execFileSync('janus-pp-rec', [path, out], { stdio: 'ignore', timeout: 30000 });
        const d = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out],
            { encoding: 'utf8', timeout: 30000 });
        return Number.parseFloat(d);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
}

async function manifestOf(sid, rid) {
    const path = join(ENV.RECORDINGS_DIR, sid, rid, 'manifest.json');
    await eventually(() => existsSync(path), { timeout: 10000, what: `manifest.json of ${rid}` });
    return JSON.parse(readFileSync(path, 'utf8'));
}

test('optional policy: only who agreed is recorded; a withdrawal ends the patient\'s file there', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor, patient, D, P } = await appCall(b, s);

        // Nothing recorded, nothing asked; the doctor (record) has the button, the patient not.
        const before = await recUi(doctor);
        assert.equal(before.indicator, 'off');
        assert.equal(before.prompt, false);
        assert.match(before.toggle ?? '', /Start recording/);
        assert.equal((await recUi(patient)).toggle, null, 'the patient cannot start a recording');

        // Recording 1: the doctor starts it; both see the indicator and the question.
        await doctor.click('toggle-recording');
        const d1 = await until(doctor, (u) => u.indicator === 'on' && u.prompt, 'the doctor sees the indicator and is asked');
        await until(patient, (u) => u.indicator === 'on' && u.prompt, 'the patient sees the indicator and is asked');
        assert.equal(d1.me, 'not-recorded', 'nobody is recorded before agreeing');
        t.diagnostic(`asked: ${await patient.screenshot('patient-asked-consent')}`);
        await doctor.click('consent-yes');
        await patient.click('consent-no');
        const dRec = await until(doctor, (u) => u.me === 'recorded' && !u.prompt, 'the doctor is recorded');
        assert.match(dRec.text, /you are recorded/);
        const pNot = await until(patient, (u) => u.consent === false && !u.prompt && u.recorded.includes(D.id),
            'the patient is told who is recorded, not itself');
        assert.equal(pNot.me, 'not-recorded');
        assert.match(pNot.text, /you are not recorded/);
        assert.match(pNot.text, /Dr E2E/, 'the patient sees that the doctor is recorded');
        assert.equal(pNot.change, 'no', 'the patient can still agree later');
        t.diagnostic(`doctor recorded: ${await doctor.screenshot('doctor-recording-on')}`);
        t.diagnostic(`patient not recorded: ${await patient.screenshot('patient-not-recorded')}`);
        await sleep(3000);
        await doctor.click('toggle-recording');   // stop
        await until(doctor, (u) => u.indicator === 'off', 'the doctor sees the recording stopped');
        await until(patient, (u) => u.indicator === 'off', 'the patient sees the recording stopped');
        const rid1 = d1.recordingId;
        assert.ok(rid1, 'recording id known');
        const m1 = await manifestOf(s.sid, rid1);
        const files1 = filesOf(s.sid, rid1);
        assert.ok(files1.some((f) => f.startsWith(`${D.id}-audio-`)) && files1.some((f) => f.startsWith(`${D.id}-video-`)),
            `the doctor's audio and video were recorded: ${files1}`);
        assert.deepEqual(files1.filter((f) => f.startsWith(P.id)), [], 'no file of the patient exists');
        assert.deepEqual([...new Set(m1.tracks.map((x) => x.participant))], [D.id], 'the manifest lists only the doctor');

        // Recording 2: the patient agrees, then withdraws ~3 s later.
        await doctor.click('toggle-recording');
        const d2 = await until(doctor, (u) => u.indicator === 'on' && u.me === 'recorded' && u.recordingId !== rid1,
            'a second recording: the doctor recorded again (its consent stands)');
        await patient.click('change-consent');   // "Agree to be recorded"
        await until(patient, (u) => u.me === 'recorded', 'the patient is recorded after agreeing');
        const agreedAt = Date.now();
        await until(doctor, (u) => u.recorded.includes(P.id), 'the doctor sees that the patient is recorded');
        await sleep(3000);
        await patient.click('change-consent');   // "Stop recording me"
        await until(patient, (u) => u.me === 'not-recorded' && u.consent === false, 'the patient is no longer recorded');
        const withdrawnAt = Date.now();
        t.diagnostic(`withdrawn: ${await patient.screenshot('patient-withdrew')}`);
        await sleep(3000);   // the doctor is still recorded, the patient not
        await doctor.click('toggle-recording');
        await until(doctor, (u) => u.indicator === 'off', 'the second recording stopped');
        const rid2 = d2.recordingId;
        await manifestOf(s.sid, rid2);
        const files2 = filesOf(s.sid, rid2);
        const pAudio = files2.filter((f) => f.startsWith(`${P.id}-audio-`));
        assert.equal(pAudio.length, 1, `one audio file of the patient: ${files2}`);
        const pSeconds = durationOf(join(ENV.RECORDINGS_DIR, s.sid, rid2, pAudio[0]), true);
        const dAudio = files2.find((f) => f.startsWith(`${D.id}-audio-`));
        const dSeconds = durationOf(join(ENV.RECORDINGS_DIR, s.sid, rid2, dAudio), true);
        const consented = (withdrawnAt - agreedAt) / 1000;
        t.diagnostic(`patient's file ${pSeconds.toFixed(2)} s for ${consented.toFixed(2)} s of consent; doctor's ${dSeconds.toFixed(2)} s`);
        assert.ok(Math.abs(pSeconds - consented) <= 1, `the patient's file ends at the withdrawal (±1 s): ${pSeconds} vs ${consented}`);
        assert.ok(dSeconds >= pSeconds + 2, `the doctor's file goes on after the patient's withdrawal: ${dSeconds} vs ${pSeconds}`);

        // Over REST: both recordings stopped, with the tracks and the consents that allowed them.
        const list = await eventually(async () => {
            const res = await api('GET', `/sessions/${s.sid}/recordings`);
            return res.status === 200 && res.json.items.length === 2 && res.json.items.every((r) => r.state === 'stopped' && r.tracks.length > 0)
                ? res.json : null;
        }, { timeout: 15000, what: 'GET /sessions/{id}/recordings: two stopped recordings with their tracks' });
        const r2 = list.items.find((r) => r.id === rid2);
        assert.ok(r2, show({ status: 200, json: list }));
        assert.ok(r2.tracks.some((x) => x.participant_id === P.id), 'the patient\'s track is on record for recording 2');
        const r1 = list.items.find((r) => r.id === rid1);
        assert.ok(!r1.tracks.some((x) => x.participant_id === P.id), 'no track of the patient in recording 1');
        const byConsent = new Map(r2.consents.map((c) => [c.id, c]));
        for (const tr of r2.tracks) {
            const c = byConsent.get(tr.consent_id);
            assert.ok(c && c.recording === true && c.participant_id === tr.participant_id, `track backed by a stored consent: ${JSON.stringify(tr)}`);
        }
        void patient;
    });
});

test('required policy: a participant who refuses stays in the lobby; after agreeing it is admitted', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'], recordingPolicy: 'required' });
        const { doctor: D, patient: P } = s.people;

        // The doctor enters by itself, but only after agreeing.
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('lobby');
        // The session is active, so its recording already runs (nobody in it yet).
        const dAsk = await until(doctor, (u) => u.prompt && u.indicator === 'on', 'the doctor is asked before entering');
        assert.equal(dAsk.me, 'not-recorded');
        assert.match(dAsk.text, /you are not recorded/);
        assert.equal(await doctor.p.eval(() => document.querySelector('[data-testid="lobby"]').dataset.lobby), 'consent');
        t.diagnostic(`doctor asked in the lobby: ${await doctor.screenshot('required-doctor-asked')}`);
        await doctor.click('consent-yes');
        await doctor.screen('call');
        await until(doctor, (u) => u.indicator === 'on' && u.me === 'recorded', 'the doctor is in and recorded');
        assert.equal((await recUi(doctor)).toggle, null, 'no stop button: the session requires recording');

        // The patient refuses: it stays in the lobby, the doctor sees why.
        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        await until(patient, (u) => u.prompt, 'the patient is asked');
        await patient.click('consent-no');
        await until(patient, (u) => u.consent === false && !u.prompt && u.change === 'no', 'the patient said no and can still agree');
        const state = await eventually(() => doctor.p.eval((id) => document.querySelector(`[data-testid="consent-${id}"]`)?.dataset.consent, P.id),
            { timeout: 5000, what: 'the doctor\'s waiting list shows the patient\'s answer' });
        assert.equal(state, 'no');
        await doctor.click(`admit-${P.id}`);
        await eventually(() => doctor.p.eval(() => window.telemedApp.errors.includes(4061)),
            { timeout: 5000, what: 'admitting a participant who refused is refused (4061)' });
        assert.match(await doctor.p.eval(() => document.querySelector('[data-testid="banner"]').textContent), /has not agreed to be recorded/,
            'the doctor is told why in words');
        await sleep(1000);
        assert.equal((await recUi(patient)).screen, 'lobby', 'the patient stays in the lobby');
        assert.equal(await patient.p.eval(() => document.querySelector('[data-testid="lobby"]').dataset.lobby), 'refused');
        t.diagnostic(`patient refused, in the lobby: ${await patient.screenshot('required-patient-refused')}`);
        t.diagnostic(`doctor's view: ${await doctor.screenshot('required-doctor-waiting-refused')}`);

        // It agrees: the doctor admits it, it is recorded.
        await patient.click('change-consent');
        await eventually(() => doctor.p.eval((id) => document.querySelector(`[data-testid="consent-${id}"]`)?.dataset.consent === 'yes', P.id),
            { timeout: 5000, what: 'the doctor sees the patient agreed' });
        await doctor.click(`admit-${P.id}`);
        await patient.screen('call');
        await until(patient, (u) => u.indicator === 'on' && u.me === 'recorded', 'the patient is in the call and recorded');
        await until(doctor, (u) => u.recorded.includes(P.id), 'the doctor sees the patient recorded');
        t.diagnostic(`both recorded: ${await patient.screenshot('required-patient-recorded')}`);

        // Withdrawing sends it back to the lobby; agreeing again lets it back in.
        await patient.click('change-consent');
        await patient.screen('lobby');
        const back = await until(patient, (u) => u.consent === false, 'the patient is back in the lobby');
        assert.equal(back.screen, 'lobby');
        await patient.click('change-consent');
        await patient.screen('call');
    });
});
