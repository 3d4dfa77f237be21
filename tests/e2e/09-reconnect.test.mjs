// Reconnect: the patient's WebSocket drops; the SDK reconnects within 30 s
// with the same participant id, without the lobby, with its forced mute
// still in force, and media flows. Twice: when Janus still has the session
// (claim), and when Janus lost it meanwhile (new session + join with the
// same token inside the reconnect grace). An ICE restart keeps media flowing.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { assertStill, doctorAndPatient, inbound, janusCoreAdmin, sleep, waitIncrease } from './lib/telemed.mjs';

const T = { timeout: 90000 };

// 1:1 sessions: the doctor's totals per kind are the patient's media.
const audioAtDoctor = (m) => inbound(m, 'audio', 'packets');
const videoAt = (m) => inbound(m, 'video', 'frames');

async function muteAndDrop(t, { doctor, patient, pid, loseSession }) {
    const mute = await doctor.call('mute', pid, 'audio');
    assert.ok(mute.ok, `doctor mutes the patient: ${JSON.stringify(mute)}`);
    await patient.waitEvent('muted', { ms: 5000 });
    await sleep(500);
    await assertStill(doctor, audioAtDoctor, { ms: 700, what: 'muted before the drop' });

    const from = await patient.eventCount();
    const before = await patient.state();
    if (loseSession) {
        const r = await janusCoreAdmin({ janus: 'destroy_session', session_id: before.janusSessionId });
        assert.equal(r.janus, 'success', `admin destroy_session: ${JSON.stringify(r)}`);
    }
    const dropped = await patient.p.eval(() => window.__e2e.dropSockets());
    assert.ok(dropped >= 1, `the patient had an open WebSocket (${dropped})`);
    const t0 = Date.now();
    const rec = await patient.waitEvent('reconnected', { from, ms: 30000 });
    t.diagnostic(`reconnected after ${Date.now() - t0} ms: ${JSON.stringify(rec)}`);
    if (loseSession) assert.equal(rec.claimed, false, 'the lost Janus session could not be claimed: joined again');
    const st = await patient.state();
    assert.equal(st.participantId, pid, 'same participant id after the reconnect');
    assert.equal(st.status, 'admitted', `admitted again without the lobby: ${JSON.stringify(st)}`);
    const names = (await patient.events()).slice(from).map((e) => e.name);
    assert.ok(!names.includes('kicked') && !names.includes('ended') && !names.includes('closed'), `no kick/end: ${names}`);
    const rejoined = (await patient.events('joined')).slice(1);
    if (loseSession) {
        assert.ok(rejoined.length >= 1, 'a new join on the new Janus session');
        assert.equal(rejoined.at(-1).data.status, 'admitted', `the rejoin lands in the room, not the lobby: ${JSON.stringify(rejoined.at(-1).data)}`);
    }
    assert.ok((st.mutedByModerator ?? []).includes('audio'), `forced mute kept: ${JSON.stringify(st)}`);

    await waitIncrease(doctor, videoAt, { by: 5, ms: 15000, what: 'patient video at the doctor after the reconnect' });
    await waitIncrease(patient, videoAt, { by: 5, ms: 15000, what: 'doctor video at the patient after the reconnect' });
    await assertStill(doctor, audioAtDoctor, { ms: 1000, what: 'the patient\'s audio is still muted after the reconnect' });
    const own = await patient.call('unmuteSelf', 'audio');
    assert.equal(own.code, 4044, `own unmute still refused after the reconnect: ${JSON.stringify(own)}`);
}

test('WebSocket drop with the Janus session kept (claim); then an ICE restart', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { people, doctor, patient } = await doctorAndPatient(b);
        await muteAndDrop(t, { doctor, patient, pid: people.patient.id, loseSession: false });

        // ICE restart: new credentials, media keeps flowing both ways.
        const before = await patient.media();
        const r = await patient.call('iceRestart');
        assert.ok(r.ok, `iceRestart: ${JSON.stringify(r)}`);
        const m = await patient.media();
        assert.ok(m.ufrag && m.ufrag !== before.ufrag, `new ICE ufrag (${before.ufrag} -> ${m.ufrag})`);
        await waitIncrease(doctor, videoAt, { by: 10, ms: 10000, what: 'patient video after the ICE restart' });
        await waitIncrease(patient, videoAt, { by: 10, ms: 10000, what: 'doctor video after the ICE restart' });
        assert.equal((await patient.media()).state, 'connected', 'the patient\'s PeerConnection is connected');
    });
});

test('WebSocket drop with the Janus session lost: rejoin inside the grace, no lobby, mute kept', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { people, doctor, patient } = await doctorAndPatient(b);
        await muteAndDrop(t, { doctor, patient, pid: people.patient.id, loseSession: true });
    });
});
