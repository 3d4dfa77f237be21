// TURN: with iceTransportPolicy 'relay' and the ice_servers of the join
// answer (coturn with REST-API credentials), media flows and the selected
// candidate pair's local candidate is a relay candidate.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { ENV, Peer, session, waitFlowing } from './lib/telemed.mjs';

const T = { timeout: 90000 };

test('relay-only: media flows through coturn', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        for (const who of [D, P]) {
            const turn = who.join.ice_servers.filter((x) => [].concat(x.urls).some((u) => u.startsWith('turn:')));
            assert.ok(turn.length > 0 && turn.every((x) => x.username && x.credential),
                'the join answer offers TURN with credentials');
            if (ENV.TURN_URL) assert.ok(turn.some((x) => [].concat(x.urls).includes(ENV.TURN_URL)), 'the stack\'s coturn');
        }
        const doctor = await Peer.open(b, 'doctor');
        const patient = await Peer.open(b, 'patient');
        await doctor.start(D.join, { policy: 'relay' });
        await patient.start(P.join, { policy: 'relay' });
        await waitFlowing(doctor, P.id);
        const pm = await waitFlowing(patient, D.id);
        const dm = await doctor.media();
        for (const [name, m] of [['doctor', dm], ['patient', pm]]) {
            assert.equal(m.state, 'connected', `${name}: connected`);
            assert.ok(m.pair?.local, `${name}: a selected candidate pair: ${JSON.stringify(m.pair)}`);
            assert.equal(m.pair.local.type, 'relay', `${name}: local candidate is a relay: ${JSON.stringify(m.pair)}`);
        }
        t.diagnostic(`selected pair (doctor): ${JSON.stringify(dm.pair)}`);
    });
});
