// Invitations: a participant opens the web app from its invite_url
// (#invite=<participant credential>) after the join token of its
// participant add has expired (the controller runs with token_ttl_s = 30
// for this file; the plugin's clock-skew leeway adds 30 s, so we wait a
// little over a minute and check the plugin really refuses the stale
// token). The app exchanges the credential (POST /join) and gets in with
// media both ways. Then its Janus session is lost while its token has
// expired again: the rejoin exchanges the credential once more.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { joinWith } from '../integ/lib/janus.mjs';
import { restartController } from '../integ/lib/stack.mjs';
import { withBrowser } from './lib/browser.mjs';
import {
    AppPeer, api, eventually, janusCoreAdmin, session, show, sleep, totals, waitAppFlowing,
} from './lib/telemed.mjs';

const T = { timeout: 180000 };
const TOKEN_TTL_S = 30;
const PLUGIN_LEEWAY_S = 30;  // janus.plugin.telemed clock_skew default


before(async () => restartController(`token_ttl_s=${TOKEN_TTL_S}`));
after(async () => restartController(null));

// Opens the app from an invite URL in a new browser context.
async function openInvite(b, name, inviteUrl) {
    assert.match(inviteUrl, /^https?:\/\/[^#]+\/app\/#invite=tpc1\./, 'invite_url links to the web app');
    const p = await b.participant(name);
    await p.goto(inviteUrl);
    return new AppPeer(p);
}

test('an invite link opened after the join token expired gets in, with media; a later rejoin exchanges again', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        // The access object, from the add's 200 repeat (the e2e helper keeps only join).
        const again = await api('POST', `/sessions/${s.sid}/participants`, { body: { user_id: P.userId, role: 'patient' } });
        assert.equal(again.status, 200, show(again));
        const access = again.json.access;
        const staleToken = P.join.token;
        const staleExp = Date.parse(P.join.expires_at);
        assert.ok(staleExp - Date.now() <= TOKEN_TTL_S * 1000 + 2000, `short token TTL in force (${P.join.expires_at})`);

        const docAdd = await api('POST', `/sessions/${s.sid}/participants`, { body: { user_id: D.userId, role: 'doctor' } });
        const doctor = await openInvite(b, 'doctor', docAdd.json.access.invite_url);
        await doctor.screen('call', 20000);

        // Past the token's expiry, and past the plugin's leeway: the token from
        // the add (and from the repeat) no longer admits anyone.
        const waitMs = Math.max(Date.parse(again.json.join.expires_at), staleExp) + PLUGIN_LEEWAY_S * 1000 + 1500 - Date.now();
        t.diagnostic(`waiting ${Math.round(waitMs / 1000)} s for the patient's join tokens to expire`);
        if (waitMs > 0) await sleep(waitMs);
        const stale = await joinWith(staleToken);
        await stale.client.close();
        assert.equal(stale.data.telemed, 'error', `the stale token is refused: ${JSON.stringify(stale.data)}`);
        assert.equal(stale.data.error_code, 4017, 'refused as expired');

        const patient = await openInvite(b, 'patient', access.invite_url);
        await patient.screen('call', 20000);
        const st = await patient.app();
        assert.equal(st.via, 'invite');
        assert.ok(st.exchanges >= 1, 'the app exchanged the credential');
        assert.equal(st.participantId, P.id, 'joined as the invited participant');
        assert.equal(await patient.p.eval(() => location.hash), '', 'the credential left the address bar');
        await doctor.p.waitVisible(`tile-${P.id}`);
        await patient.p.waitVisible(`tile-${D.id}`);
        await waitAppFlowing(doctor.p);
        await waitAppFlowing(patient.p);
        t.diagnostic(`patient's view: ${await patient.screenshot('patient-invite-call')}`);

        // The patient's Janus session is lost (its token has < 60 s left by
        // now): the rejoin gets a fresh token by exchanging the credential.
        const exchanges = st.exchanges;
        const janusSession = await patient.p.eval(() => window.telemedClient.janusSessionId);
        const r = await janusCoreAdmin({ janus: 'destroy_session', session_id: janusSession });
        assert.equal(r.janus, 'success', `admin destroy_session: ${JSON.stringify(r)}`);
        await patient.p.eval(() => window.__e2e.dropSockets());
        await eventually(async () => {
            const a = await patient.app();
            const c = await patient.p.eval(() => ({ status: window.telemedClient.status, connected: window.telemedClient.connected,
                janusSessionId: window.telemedClient.janusSessionId }));
            return a.exchanges > exchanges && !a.reconnecting && c.connected && c.status === 'admitted' &&
                c.janusSessionId !== janusSession && a.screen === 'call';
        }, { timeout: 30000, interval: 300, what: 'the patient rejoined with a freshly exchanged token' });
        const before = totals(await doctor.p.stats()).in.video.frames;
        await eventually(async () => totals(await doctor.p.stats()).in.video.frames > before + 10,
            { timeout: 20000, interval: 300, what: 'the patient\'s video at the doctor after the rejoin' });
        t.diagnostic(`doctor's view: ${await doctor.screenshot('doctor-after-rejoin')}`);
    });
});
