// The playback page (web/app/playback.html; docs/SDK.md "The playback
// page", docs/API.md "Playback links") in headless Chromium:
//  - always: a link that is malformed, or expired / revoked, shows the words
//    ("This link has expired. Ask the clinic for a new one.") and no video;
//  - with TELEMED_RECORDING_OUTPUTS=1 (needs the recording processor,
//    controller/jobs/recording_*): a real recording made through the web app
//    (the doctor agrees and records, as in 20-recording), once available, is
//    issued a link for the doctor's user_id; the page plays it (currentTime
//    advances; a screenshot), a seek is served by a Range request (206), and
//    the audit has a recording.playback row per request.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, ENV, api, eventually, session, show, sleep, waitAppFlowing } from './lib/telemed.mjs';

const T = { timeout: 300000 };
const REAL = process.env.TELEMED_RECORDING_OUTPUTS === '1';

function pageState(p) {
    return p.eval(() => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const v = q('playback-video');
        const e = q('playback-error');
        return {
            video: !!v && !v.hidden,
            currentTime: v ? v.currentTime : 0,
            duration: v ? v.duration : 0,
            readyState: v ? v.readyState : 0,
            error: e && !e.hidden ? e.textContent : null,
            reason: e && !e.hidden ? e.dataset.reason : null,
            status: q('playback-status')?.textContent ?? '',
        };
    });
}

async function until(p, pred, what, timeout = 15000) {
    return eventually(async () => {
        const s = await pageState(p);
        return pred(s) ? s : null;
    }, { timeout, interval: 200, what });
}

test('the playback page: a malformed link and an expired or revoked one say so in words', T, async (t) => {
    await withBrowser(t, async (b) => {
        const p = await b.participant('viewer');
        await p.goto(`${ENV.TELEMED_URL}/app/playback.html#recording=nope&token=x`);
        const bad = await until(p, (s) => s.error, 'the incomplete-link words');
        assert.equal(bad.reason, 'invalid');
        assert.equal(bad.video, false);
        // A well-formed token the controller refuses (signed by nobody): the expired words.
        const rid = randomUUID();
        const token = `tpl1.${Buffer.alloc(45, 1).toString('base64url')}.${Buffer.alloc(32, 2).toString('base64url')}`;
        await p.goto('about:blank');  // a new fragment alone would not reload the page
        await p.goto(`${ENV.TELEMED_URL}/app/playback.html#recording=${rid}&token=${token}`);
        const expired = await until(p, (s) => s.error, 'the expired words');
        assert.equal(expired.error, 'This link has expired. Ask the clinic for a new one.');
        assert.equal(expired.video, false);
        t.diagnostic(`expired: ${await p.screenshot('playback-expired')}`);
        await p.goto('about:blank');
        await p.goto(`${ENV.TELEMED_URL}/app/playback.html?lang=fr#recording=${rid}&token=${token}`);
        const fr = await until(p, (s) => s.error, 'the French words');
        assert.equal(fr.error, 'Ce lien a expiré. Demandez-en un nouveau à la clinique.');
    });
});

test('a real recording made in the web app plays on the playback page; seeking is a Range request', { ...T, skip: !REAL }, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor: D, patient: P } = s.people;
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('call');
        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        await doctor.click(`admit-${P.id}`);
        await patient.screen('call');
        await waitAppFlowing(doctor.p);
        await doctor.click('toggle-recording');
        await doctor.click('consent-yes');
        await patient.click('consent-no');
        await sleep(8000);
        await doctor.click('toggle-recording');  // stop
        const list = await eventually(async () => {
            const r = await api('GET', `/sessions/${s.sid}/recordings`);
            const done = r.json?.items?.find((x) => ['available', 'incomplete'].includes(x.state));
            return done ?? null;
        }, { timeout: 240000, interval: 1000, what: 'the recording is available' });
        const res = await api('POST', `/recordings/${list.id}/playback-links`, { body: { user_id: D.userId } });
        assert.equal(res.status, 201, show(res));
        const link = res.json;

        const viewer = await b.participant('viewer');
        const requests = [];
        viewer.page.on('response', (r) => {
            if (r.url().includes('/playback/')) requests.push({ status: r.status(), range: r.request().headers().range ?? null });
        });
        await viewer.goto(link.page_url);
        await until(viewer, (st) => st.readyState >= 1, 'metadata loaded', 30000);
        await viewer.eval(() => {
            const v = document.querySelector('[data-testid="playback-video"]');
            v.muted = true;
            return v.play();
        });
        const playing = await until(viewer, (st) => st.currentTime > 1, 'currentTime advances', 30000);
        assert.equal(playing.error, null);
        t.diagnostic(`playing: ${await viewer.screenshot('playback-playing')}`);
        await viewer.eval(() => {
            const v = document.querySelector('[data-testid="playback-video"]');
            v.currentTime = Math.max(0, (Number.isFinite(v.duration) ? v.duration : 6) - 2);
        });
        await eventually(() => requests.some((r) => r.status === 206 && r.range && !/^bytes=0-$/.test(r.range)),
            { timeout: 15000, what: 'a seek answered 206 to a Range request' });
        const audit = await api('GET', `/sessions/${s.sid}/audit?limit=100`);
        const rows = audit.json.items.filter((x) => x.action === 'recording.playback');
        assert.ok(rows.length >= 2, 'an audit row per request');
        assert.ok(rows.every((x) => x.data.user_id === D.userId && x.data.link_id === link.id));

        // Revoked: the page says the link has expired.
        assert.equal((await api('DELETE', `/recordings/${list.id}/playback-links/${link.id}`)).status, 204);
        await viewer.goto('about:blank');
        await viewer.goto(link.page_url);
        const gone = await until(viewer, (st) => st.error, 'the revoked link in words');
        assert.equal(gone.error, 'This link has expired. Ask the clinic for a new one.');
    });
});
