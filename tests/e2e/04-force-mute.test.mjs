// A moderator's mute is enforced in the media path: the patient's audio
// stops arriving at the doctor within 500 ms while the patient's browser
// keeps sending, the patient cannot lift it (4044), and the plugin counts
// the dropped packets.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { doctorAndPatient, inbound, roomParticipant, sent, sleep, waitIncrease } from './lib/telemed.mjs';

const T = { timeout: 90000 };
const EVERY_MS = 100;
const SAMPLES = 30;      // 3 s
const LIMIT_MS = 500;

test('force-mute: audio stops at the doctor within 500 ms, the patient keeps sending, own unmute 4044', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { sid, people, doctor, patient } = await doctorAndPatient(b);
        const pid = people.patient.id;

        // Sample both sides every 100 ms while the doctor mutes the patient.
        const docSeries = doctor.sampleMedia(EVERY_MS, SAMPLES);
        const patSeries = patient.sampleMedia(EVERY_MS, SAMPLES);
        await sleep(600);
        const t0 = Date.now();
        const r = await doctor.call('mute', pid, 'audio');
        const t1 = Date.now();
        assert.ok(r.ok, `doctor's mute succeeded: ${JSON.stringify(r)}`);
        const [ds, ps] = await Promise.all([docSeries, patSeries]);

        // 1:1: everything the doctor receives comes from the patient.
        const audioAt = (x) => inbound(x.media, 'audio', 'packets');
        const before = ds.filter((x) => x.t < t0).map(audioAt);
        assert.ok(before.length >= 3 && before.at(-1) > before[0], `audio arrived before the mute: ${before}`);
        const late = ds.filter((x) => x.t >= t0 + LIMIT_MS);
        assert.ok(late.length >= 10, `enough samples after the limit (${late.length})`);
        const lateValues = late.map(audioAt);
        assert.ok(lateValues.every((v) => v === lateValues[0]),
            `no audio from the patient ${LIMIT_MS} ms after the mute (request took ${t1 - t0} ms): ` +
            ds.map((x) => `${x.t - t0}:${audioAt(x)}`).join(' '));
        // The video of the patient is not muted: it keeps flowing.
        const videoAt = (x) => inbound(x.media, 'video', 'frames');
        assert.ok(videoAt(ds.at(-1)) > videoAt(late[0]), 'the patient\'s video still decodes at the doctor');

        // The patient's browser kept sending audio all along.
        const sentAt = (x) => sent(x.media, 'audio');
        const pLate = ps.filter((x) => x.t >= t0 + LIMIT_MS);
        assert.ok(sentAt(pLate.at(-1)) > sentAt(pLate[0]),
            `the patient's browser keeps sending audio: ${pLate.map(sentAt).join(' ')}`);

        // The patient was told, and cannot lift a moderator's mute.
        const muted = await patient.waitEvent('muted', { ms: 5000 });
        assert.ok((muted.mutedByModerator ?? muted.muted_by_moderator ?? []).includes('audio'), `muted event: ${JSON.stringify(muted)}`);
        const st = await patient.state();
        assert.ok((st.mutedByModerator ?? []).includes('audio'), `client.mutedByModerator: ${JSON.stringify(st)}`);
        const un = await patient.call('unmuteSelf', 'audio');
        assert.equal(un.ok, false, `own unmute refused: ${JSON.stringify(un)}`);
        assert.equal(un.code, 4044, `own unmute refused with 4044: ${JSON.stringify(un)}`);

        // The gate drops the patient's audio: rtp_dropped grows.
        const i1 = await roomParticipant(sid, pid);
        assert.ok(i1?.stats, `room_info stats: ${JSON.stringify(i1)}`);
        assert.ok((i1.muted_by_moderator ?? []).includes('audio'), `room_info muted_by_moderator: ${JSON.stringify(i1)}`);
        await sleep(600);
        const i2 = await roomParticipant(sid, pid);
        assert.ok(i2.stats.rtp_dropped > i1.stats.rtp_dropped,
            `rtp_dropped increases for the muted patient (${i1.stats.rtp_dropped} -> ${i2.stats.rtp_dropped})`);

        // Still nothing after the refused unmute; the moderator lifts it.
        const a0 = inbound(await doctor.media(), 'audio', 'packets');
        await sleep(700);
        assert.equal(inbound(await doctor.media(), 'audio', 'packets'), a0, 'still muted after the refused unmute');
        const lift = await doctor.call('unmute', pid, 'audio');
        assert.ok(lift.ok, `moderator unmute: ${JSON.stringify(lift)}`);
        await waitIncrease(doctor, (x) => inbound(x, 'audio', 'packets'), { by: 5, ms: 5000, what: 'audio flows again after the moderator\'s unmute' });
    });
});
