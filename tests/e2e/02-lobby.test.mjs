// The lobby in the web app: a patient who opens its link while the doctor
// moderates waits and receives nothing, the doctor sees it in the waiting
// room and clicks Admit, then media flows both ways. Screenshots of the
// lobby, of the doctor's moderator panel and of the call go to the
// artifacts folder.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, session, sleep, totals, waitAppFlowing } from './lib/telemed.mjs';

const T = { timeout: 90000 };

test('lobby: the patient gets nothing until the doctor admits it in the app', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor: D, patient: P } = s.people;
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('call');
        await doctor.screen('waiting-section');

        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        await doctor.p.waitVisible(`waiting-${P.id}`);
        await doctor.p.waitVisible(`admit-${P.id}`);

        // While it waits: nothing reaches the patient, nothing of it the doctor.
        await sleep(1500);
        const pw = totals(await patient.stats());
        const dw = totals(await doctor.stats());
        assert.equal(pw.in.video.frames, 0, `the waiting patient decodes no video: ${JSON.stringify(pw)}`);
        assert.equal(pw.in.video.packets + pw.in.audio.packets, 0, `the waiting patient receives no packets: ${JSON.stringify(pw)}`);
        assert.equal(dw.in.video.packets + dw.in.audio.packets, 0, `the doctor receives nothing from the waiting patient: ${JSON.stringify(dw)}`);
        t.diagnostic(`lobby: ${await patient.screenshot('patient-lobby')}`);
        t.diagnostic(`moderator panel with the waiting patient: ${await doctor.screenshot('doctor-waiting-room')}`);

        await doctor.click(`admit-${P.id}`);
        await patient.screen('call');
        await doctor.p.waitVisible(`tile-${P.id}`);
        await patient.p.waitVisible(`tile-${D.id}`);
        await waitAppFlowing(doctor.p);
        await waitAppFlowing(patient.p);
        await doctor.p.waitVisible(`mute-audio-${P.id}`);   // moderator controls for the patient
        t.diagnostic(`doctor's view with tiles and moderator panel: ${await doctor.screenshot('doctor-call')}`);
        t.diagnostic(`patient's view: ${await patient.screenshot('patient-call')}`);
    });
});
