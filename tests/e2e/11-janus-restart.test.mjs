// Janus restart (issue 11 item 4), seen from the SDK: Janus is restarted
// under a running call. Both WebSockets drop; the controller's reconciler
// restores the room (no REST call); each SDK reconnects with backoff, joins
// again on a new Janus session (retrying 4040 until the room is back), and
// renegotiates its media. The patient, admitted from the lobby before, does
// not see the lobby again; the doctor's force-mute on it stays in force.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ENV, redis, stackctl } from '../integ/lib/stack.mjs';
import { withBrowser } from './lib/browser.mjs';
import { assertStill, doctorAndPatient, eventually, inbound, sleep, waitIncrease } from './lib/telemed.mjs';

const T = { timeout: 150000 };
const P = ENV.REDIS_PREFIX || 'telemed:';
const audioAtDoctor = (m) => inbound(m, 'audio', 'packets');
const videoAt = (m) => inbound(m, 'video', 'frames');

test('Janus restart under a call: the SDK reconnects and rejoins, no lobby, mute kept, media flows', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { sid, people, doctor, patient } = await doctorAndPatient(b);
        const pid = people.patient.id;
        const mute = await doctor.call('mute', pid, 'audio');
        assert.ok(mute.ok, `doctor mutes the patient: ${JSON.stringify(mute)}`);
        await patient.waitEvent('muted', { ms: 5000 });
        // The reconciler has stored the room's live state.
        await eventually(() => {
            const v = redis('GET', `${P}room:${sid}:snapshot`);
            const s = v.length ? JSON.parse(v.join('\n')) : null;
            return s && s.admitted.includes(pid) && s.muted.some((m) => m.participant_id === pid && m.moderator.includes('audio'));
        }, { timeout: 15000, what: 'room snapshot stored' });

        const fromP = await patient.eventCount();
        const fromD = await doctor.eventCount();
        const t0 = Date.now();
        stackctl('restart-janus');
        const recP = await patient.waitEvent('reconnected', { from: fromP, ms: 60000 });
        const recD = await doctor.waitEvent('reconnected', { from: fromD, ms: 60000 });
        t.diagnostic(`both reconnected ${Date.now() - t0} ms after the restart began: ${JSON.stringify([recP, recD])}`);
        assert.equal(recP.claimed, false, 'the Janus session died with Janus: joined again');

        const st = await patient.state();
        assert.equal(st.participantId, pid, 'same participant id');
        assert.equal(st.status, 'admitted', `no lobby again after the restart: ${JSON.stringify(st)}`);
        const names = (await patient.events()).slice(fromP).map((e) => e.name);
        assert.ok(!names.includes('kicked') && !names.includes('ended') && !names.includes('closed'), `no kick/end: ${names}`);
        const rejoined = (await patient.events('joined')).slice(1);
        assert.ok(rejoined.length >= 1, 'a new join on the new Janus session');
        assert.equal(rejoined.at(-1).data.status, 'admitted', `rejoined into the room: ${JSON.stringify(rejoined.at(-1).data)}`);
        assert.ok((st.mutedByModerator ?? []).includes('audio'), `forced mute kept: ${JSON.stringify(st)}`);

        await waitIncrease(doctor, videoAt, { by: 5, ms: 20000, what: 'patient video at the doctor after the restart' });
        await waitIncrease(patient, videoAt, { by: 5, ms: 20000, what: 'doctor video at the patient after the restart' });
        await sleep(300);
        await assertStill(doctor, audioAtDoctor, { ms: 1000, what: 'the patient\'s audio is still muted after the restart' });
    });
});
