// A modified client cannot publish what its role does not allow: an
// observer (subscribe + chat) that offers camera and microphone anyway gets
// those m-lines answered `inactive`, and nothing it sends reaches anyone,
// even when it rewrites the answer so that Chromium really sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import {
    Peer, RawPeer, eventually, got, receivedTotal, roomParticipant, session, sleep, waitFlowing, waitIncrease,
} from './lib/telemed.mjs';

const T = { timeout: 90000 };

function outboundPackets(stats) {
    let n = 0;
    for (const pc of stats) for (const o of pc.outbound) n += o.packets;
    return n;
}

test('an observer offering sendonly audio and video: refused in SDP and in the media path', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } },
                { name: 'obsA', role: 'observer' }, { name: 'obsB', role: 'observer' }],
        });
        const { doctor: D, patient: P, obsA: A, obsB: B } = s.people;
        const doctor = await Peer.open(b, 'doctor');
        const patient = await Peer.open(b, 'patient');
        await doctor.start(D.join);
        await patient.start(P.join);
        // Positive control: the doctor's PeerConnection carries the patient.
        await waitFlowing(doctor, P.id);

        // Two tampering observers; the doctor admits both (a waiting
        // participant is gated anyway: admission makes the test meaningful).
        const obsA = await RawPeer.open(b, 'observer-plain');
        const obsB = await RawPeer.open(b, 'observer-munging');
        const ja = await obsA.connect(A.join);
        const jb = await obsB.connect(B.join);
        assert.equal(ja.telemed, 'joined', JSON.stringify(ja));
        assert.equal(ja.role, 'observer');
        assert.equal(jb.telemed, 'joined', JSON.stringify(jb));
        await doctor.admit(A.id);
        await doctor.admit(B.id);

        // Variant 1: offer sendonly audio + video, apply the answer as is.
        const ra = await obsA.publish({ audio: true, video: true, mungeAnswer: false });
        const dirs = await obsA.directions(ra.answerSdp);
        const media = dirs.filter((d) => d.kind === 'audio' || d.kind === 'video');
        assert.equal(media.length, 2, `answer has the two m-lines: ${JSON.stringify(dirs)}`);
        for (const d of media) {
            assert.equal(d.direction, 'inactive', `observer's ${d.kind} m-line answered inactive: ${JSON.stringify(dirs)}`);
        }
        assert.deepEqual(ra.configured.publishing ?? [], [], `nothing accepted for publishing: ${JSON.stringify(ra.configured)}`);
        assert.equal((ra.configured.refused ?? []).length, 2, `both m-lines listed as refused: ${JSON.stringify(ra.configured)}`);

        // Variant 2: the same offer, but the answer's inactive becomes recvonly.
        const rb = await obsB.publish({ audio: true, video: true, mungeAnswer: true });
        const dirsB = await obsB.directions(rb.appliedSdp);
        assert.ok(dirsB.filter((d) => d.kind !== 'application').every((d) => d.direction === 'recvonly'),
            `munged answer applied: ${JSON.stringify(dirsB)}`);
        // Chromium of observer B really sends RTP.
        await eventually(async () => {
            const st = await obsB.stats();
            return st[0]?.connectionState === 'connected' && outboundPackets(st) > 50;
        }, { timeout: 15000, interval: 250, what: 'the munging observer sends RTP' });
        const sentB1 = outboundPackets(await obsB.stats());

        // Let it run, then look at what arrived at the doctor.
        await sleep(2000);
        const m = await doctor.media();
        const sentB2 = outboundPackets(await obsB.stats());
        assert.ok(sentB2 > sentB1, `observer B kept sending (${sentB1} -> ${sentB2})`);
        assert.equal(receivedTotal(m, { except: [P.id] }), 0,
            `the doctor received nothing but the patient's media: ${JSON.stringify(m.from)}`);
        assert.equal(m.from[A.id], undefined, 'no slot of the doctor carries observer A');
        assert.equal(m.from[B.id], undefined, 'no slot of the doctor carries observer B');
        assert.ok(got(m, P.id, 'video', 'frames') > 0, 'the doctor still decodes the patient');
        await waitIncrease(doctor, (x) => got(x, P.id, 'video', 'frames'), { what: 'patient video keeps flowing' });
        const st = await doctor.state();
        assert.ok(!(st.streams ?? []).some((x) => x.participant_id === A.id || x.participant_id === B.id),
            `no stream assignment names an observer: ${JSON.stringify(st.streams)}`);
        // The patient got nothing from the observers either.
        const pm = await patient.media();
        assert.equal(receivedTotal(pm, { except: [D.id] }), 0, `the patient received nothing from the observers: ${JSON.stringify(pm.from)}`);

        // The plugin counted the refusals and forwarded nothing.
        const ia = await roomParticipant(s.sid, A.id);
        const ib = await roomParticipant(s.sid, B.id);
        assert.ok(ia?.stats, `room_info has stats for observer A: ${JSON.stringify(ia)}`);
        assert.ok(ia.stats.sdp_refused >= 2, `sdp_refused >= 2 for observer A: ${JSON.stringify(ia.stats)}`);
        assert.ok(ib.stats.sdp_refused >= 2, `sdp_refused >= 2 for observer B: ${JSON.stringify(ib.stats)}`);
        assert.equal(ia.stats.rtp_forwarded, 0, `nothing of observer A forwarded: ${JSON.stringify(ia.stats)}`);
        assert.equal(ib.stats.rtp_forwarded, 0, `nothing of observer B forwarded: ${JSON.stringify(ib.stats)}`);
        assert.deepEqual(ib.publishing ?? [], [], 'observer B publishes nothing');
        t.diagnostic(`observer B sent ${sentB2} packets; plugin stats ${JSON.stringify(ib.stats)}`);
    });
});
