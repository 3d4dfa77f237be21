// A 1:1 consultation in the clinic web app: doctor and patient open their
// join links (join.app_url), and each decodes the other's video and receives
// the other's audio.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, session, waitAppFlowing } from './lib/telemed.mjs';

const T = { timeout: 90000 };

test('doctor and patient in the web app see and hear each other', T, async (t) => {
    await withBrowser(t, async (b) => {
        // The patient may skip the lobby here: admission is the next test's subject.
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        for (const who of [D, P]) {
            if (who.join.app_url) assert.match(who.join.app_url, /^https?:\/\/[^#]+\/app\/#join=/, 'join.app_url links to the web app');
            else t.diagnostic('join.app_url absent: the link is built from the join object');
        }
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('call');
        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('call');
        await doctor.p.waitVisible(`tile-${P.id}`);
        await patient.p.waitVisible(`tile-${D.id}`);
        await waitAppFlowing(doctor.p);
        await waitAppFlowing(patient.p);
        // One m-line per kind each way: the SDK's camera and microphone
        // m-lines are sendrecv and carry the other's video and audio in.
        for (const [peer, other] of [[doctor, P.id], [patient, D.id]]) {
            const m = await peer.p.eval((pid) => {
                const c = window.telemedClient;
                const out = {};
                for (const source of ['audio', 'video']) {
                    const mine = (c.publishing || []).find((x) => x.source === source);
                    const tx = mine && c.pc.getTransceivers().find((x) => x.mid === mine.mid);
                    const carried = mine && (c.streams || []).find((x) => x.mid === mine.mid);
                    out[source] = { direction: tx ? tx.currentDirection : null,
                        carries: carried && carried.participant_id === pid ? carried.source : null };
                }
                return out;
            }, other);
            assert.deepEqual(m, { audio: { direction: 'sendrecv', carries: 'audio' }, video: { direction: 'sendrecv', carries: 'video' } },
                'own microphone / camera m-lines are sendrecv and carry the other participant in');
        }
        t.diagnostic(`doctor's view: ${await doctor.screenshot('doctor-call')}`);
    });
});
