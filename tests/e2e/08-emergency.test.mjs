// Three-party emergency session: the paramedic moderates and bypasses the
// lobby, the patient waits and is admitted by the paramedic before the
// doctor arrives; with the doctor in, all three decode each other's video.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import {
    Peer, eventually, receivedTotal, roomParticipant, sent, session, sleep, waitFlowing,
} from './lib/telemed.mjs';

const T = { timeout: 90000 };

test('emergency: paramedic admits the patient, then the doctor joins; everyone sees everyone', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ kind: 'emergency', roles: ['paramedic', 'patient', 'doctor'] });
        const { paramedic: M, patient: P, doctor: D } = s.people;
        assert.ok(M.participant.permissions.includes('moderate'), 'paramedic moderates in an emergency');
        const medic = await Peer.open(b, 'paramedic');
        const patient = await Peer.open(b, 'patient');
        const doctor = await Peer.open(b, 'doctor');

        const rm = await medic.start(M.join);
        assert.equal(rm.joined.status, 'admitted', `paramedic bypasses the lobby: ${JSON.stringify(rm.joined)}`);
        const rp = await patient.start(P.join);
        assert.equal(rp.joined.status, 'waiting', `patient waits: ${JSON.stringify(rp.joined)}`);
        // Waiting: its PeerConnection is up and its browser sends, but the
        // gate forwards nothing in either direction.
        await eventually(async () => sent(await patient.media(), 'video') > 20,
            { timeout: 15000, interval: 200, what: 'the waiting patient\'s browser sends video' });
        await sleep(1000);
        assert.equal(receivedTotal(await patient.media()), 0, 'the waiting patient receives nothing');
        assert.equal(receivedTotal(await medic.media()), 0, 'the paramedic receives nothing from the waiting patient');
        const w = await roomParticipant(s.sid, P.id);
        assert.equal(w?.status, 'waiting', `room_info: the patient waits: ${JSON.stringify(w)}`);
        assert.ok(w.stats.rtp_dropped > 0 && w.stats.rtp_forwarded === 0,
            `room_info: the waiting patient's RTP is dropped: ${JSON.stringify(w.stats)}`);

        await medic.admit(P.id);
        await patient.waitEvent('admitted', { ms: 5000 });
        await waitFlowing(medic, P.id);
        await waitFlowing(patient, M.id);

        const rd = await doctor.start(D.join);
        assert.equal(rd.joined.status, 'admitted', `doctor bypasses the lobby: ${JSON.stringify(rd.joined)}`);
        const all = [[medic, M], [patient, P], [doctor, D]];
        for (const [peer, me] of all) {
            for (const [, other] of all) {
                if (other !== me) await waitFlowing(peer, other.id);
            }
        }
        // Each remote participant's audio and video arrive on a slot pair:
        // one msid stream in the answer (the browser lip-syncs them), a
        // different one per participant.
        for (const [peer, me] of all) {
            const { streams } = await peer.state();
            const msids = await peer.msids();
            const by = {};
            for (const st of streams) (by[st.participant_id] ??= {})[st.source] = msids[st.mid];
            const others = all.filter(([, o]) => o !== me).map(([, o]) => o.id);
            for (const id of others) {
                assert.ok(by[id]?.audio && by[id].audio === by[id].video,
                    `${me.id}: audio and video of ${id} in one msid stream: ${JSON.stringify({ streams, msids })}`);
            }
            assert.notEqual(by[others[0]].audio, by[others[1]].audio, `${me.id}: one stream per participant`);
        }
    });
});
