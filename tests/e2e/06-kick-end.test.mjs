// Removal and end close media: a REST DELETE and a moderator's kick from the
// doctor's client both close the target's PeerConnection and ban its token
// (4020 on rejoin); POST /end gives every client `ended` and closes its
// PeerConnection.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import {
    Peer, eventually, receivedTotal, removeParticipant, session, transition, waitFlowing,
} from './lib/telemed.mjs';

const T = { timeout: 90000 };

async function assertClosed(peer, what) {
    await eventually(() => peer.pcsClosed(), { timeout: 5000, interval: 100, what: `${peer.name}: PeerConnection closed ${what}` });
}

test('kick over REST and by a moderator, rejoin refused with 4020; end closes everyone', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor',
                { name: 'patientA', role: 'patient', permissions: { bypass_lobby: true } },
                { name: 'patientB', role: 'patient', permissions: { bypass_lobby: true } },
                'paramedic'],
        });
        const { doctor: D, patientA: A, patientB: B, paramedic: M } = s.people;
        const doctor = await Peer.open(b, 'doctor');
        const pa = await Peer.open(b, 'patient-a');
        const pb = await Peer.open(b, 'patient-b');
        const medic = await Peer.open(b, 'paramedic');
        // Audio only for the patients and the paramedic: kicks do not need
        // video, and four encoders share two cores.
        await doctor.start(D.join);
        for (const [peer, who] of [[pa, A], [pb, B], [medic, M]]) {
            const r = await peer.start(who.join, { publish: { audio: true, video: false } });
            assert.equal(r.joined.status, 'admitted', `${peer.name} admitted: ${JSON.stringify(r.joined)}`);
        }
        await waitFlowing(doctor, A.id, { video: false });
        await waitFlowing(doctor, B.id, { video: false });
        await waitFlowing(pa, D.id);

        // 1. REST DELETE of patient A.
        await removeParticipant(s.sid, A.id);
        const ka = await pa.waitEvent('kicked', { ms: 5000 });
        assert.equal(ka.reason, 'removed', `kicked over REST: ${JSON.stringify(ka)}`);
        await assertClosed(pa, 'after the REST kick');
        assert.equal((await pa.state()).status, 'kicked');
        const ra = await pa.tryJoin(A.join);
        assert.equal(ra.ok, false, `rejoin after the REST kick refused: ${JSON.stringify(ra)}`);
        assert.equal(ra.code, 4020, `rejoin after the REST kick: 4020 (${JSON.stringify(ra)})`);

        // 2. The doctor kicks patient B from its client.
        const k = await doctor.call('kick', B.id);
        assert.ok(k.ok, `moderator kick: ${JSON.stringify(k)}`);
        const kb = await pb.waitEvent('kicked', { ms: 5000 });
        assert.equal(kb.reason, 'kicked', `kicked by a moderator: ${JSON.stringify(kb)}`);
        await assertClosed(pb, 'after the moderator kick');
        const rb = await pb.tryJoin(B.join);
        assert.equal(rb.ok, false, `rejoin after the moderator kick refused: ${JSON.stringify(rb)}`);
        assert.equal(rb.code, 4020, `rejoin after the moderator kick: 4020 (${JSON.stringify(rb)})`);

        // Nothing of the kicked ones reaches the doctor any more.
        const m1 = await doctor.media();
        await new Promise((r) => setTimeout(r, 1000));
        const m2 = await doctor.media();
        const only = (m, id) => receivedTotal({ from: { [id]: m.from[id] ?? {} } });
        assert.equal(only(m2, A.id), only(m1, A.id), 'no packets from patient A after its kick');
        assert.equal(only(m2, B.id), only(m1, B.id), 'no packets from patient B after its kick');

        // 3. The session ends over REST: everyone left gets `ended`.
        const ev = [await doctor.eventCount(), await medic.eventCount()];
        await transition(s.sid, 'end');
        for (const [i, peer] of [doctor, medic].entries()) {
            await peer.waitEvent('ended', { from: ev[i], ms: 5000 });
            await assertClosed(peer, 'after the end');
            assert.equal((await peer.state()).status, 'ended', `${peer.name} status`);
        }
    });
});
