// A permission change over REST applies in the media path: PATCH removing
// publish_video stops the patient's video at the doctor (audio goes on),
// adding it back brings the video back.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { assertStill, doctorAndPatient, inbound, patchPermissions, sleep, waitIncrease } from './lib/telemed.mjs';

const T = { timeout: 90000 };

test('PATCH publish_video off stops the patient\'s video at the doctor; on again restores it', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { sid, people, doctor, patient } = await doctorAndPatient(b);
        const pid = people.patient.id;
        // 1:1: everything the doctor receives comes from the patient (totals
        // per kind stay monotonic even if the plugin re-maps slots).
        const frames = (m) => inbound(m, 'video', 'frames');
        const videoPackets = (m) => inbound(m, 'video', 'packets');
        const audio = (m) => inbound(m, 'audio', 'packets');
        await waitIncrease(doctor, frames, { what: 'patient video decodes before the change' });

        const off = await patchPermissions(sid, pid, { publish_video: false });
        assert.ok(!off.permissions.includes('publish_video'), `PATCH answer: ${JSON.stringify(off.permissions)}`);
        const ev = await patient.waitEvent('permissions', { ms: 5000 });
        assert.ok(!(ev.permissions ?? []).includes('publish_video'), `permissions event: ${JSON.stringify(ev)}`);
        // Frames in the jitter buffer may still be decoded for a moment.
        await sleep(500);
        await assertStill(doctor, videoPackets, { ms: 1500, what: 'no video packets from the patient' });
        await assertStill(doctor, frames, { ms: 500, what: 'no video frames from the patient' });
        await waitIncrease(doctor, audio, { by: 10, what: 'the patient\'s audio still flows' });

        const on = await patchPermissions(sid, pid, { publish_video: true });
        assert.ok(on.permissions.includes('publish_video'), `PATCH answer: ${JSON.stringify(on.permissions)}`);
        await waitIncrease(doctor, frames, { by: 5, ms: 10000, what: 'the patient\'s video decodes again' });
    });
});
