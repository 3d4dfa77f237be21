// The web app tells each participant what is true (issue "The clinic app
// tells the truth"): a camera turned off by a moderator or by a REST PATCH
// shows a placeholder with the name and a badge at the doctor, never a
// frozen frame, and the patient is told that nobody sees it; the doctor
// before the start, the end of a session, a removal, a kick, a denial, an
// expired and an invalid link each get their own screen, with "Try again"
// only where trying again can work; the app speaks French when chosen.
// Screenshots of every state go to the artifacts folder.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeJwt, mintJwt } from '../integ/lib/jwt.mjs';
import { withBrowser } from './lib/browser.mjs';
import {
    AppPeer, appCall, ENV, api, appUrl, eventually, patchPermissions, removeParticipant, session, sleep, transition,
} from './lib/telemed.mjs';

const T = { timeout: 120000 };

// What a tile shows: its data-video state, whether the placeholder or the
// video element is visible, the camera badge's text.
function tileState(p, pid) {
    return p.eval((id) => {
        const tile = document.querySelector(`[data-testid="tile-${id}"]`);
        if (!tile) return null;
        const visible = (e) => !!e && !e.hidden && getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden';
        return {
            video: tile.dataset.video,
            placeholder: visible(tile.querySelector('.placeholder')),
            placeholderName: tile.querySelector('.placeholder-name')?.textContent ?? '',
            videoVisible: visible(tile.querySelector('video')),
            camBadge: visible(tile.querySelector('.badge.cam')) ? tile.querySelector('.badge.cam').textContent : null,
            notice: visible(tile.querySelector('.tile-notice')) ? tile.querySelector('.tile-notice').textContent : null,
        };
    }, pid);
}

function banner(p) {
    return p.eval(() => {
        const b = document.querySelector('[data-testid="banner"]');
        return b && !b.hidden ? { kind: b.dataset.kind, text: b.textContent.trim() } : null;
    });
}

// Within `ms`, the doctor's tile of the patient and the patient's own screen
// show that the camera is off and why.
async function expectCameraOff(doctor, patient, D, P, why, ms = 2000) {
    const started = Date.now();
    const d = await eventually(async () => {
        const s = await tileState(doctor.p, P.id);
        return s && s.video === why && s.placeholder && !s.videoVisible && s.camBadge ? s : null;
    }, { timeout: ms, interval: 100, what: `the doctor's tile of the patient shows camera off (${why}) within ${ms} ms` });
    const took = Date.now() - started;
    assert.match(d.placeholderName, /Patient E2E/, 'the placeholder names the participant');
    const own = await eventually(async () => {
        const s = await tileState(patient.p, P.id);
        return s && s.notice && !s.videoVisible ? s : null;
    }, { timeout: ms, interval: 100, what: 'the patient\'s preview says that nobody sees it' });
    assert.match(own.notice, /Nobody can see you/);
    const b = await eventually(() => banner(patient.p).then((x) => (x && x.kind === 'notice' ? x : null)),
        { timeout: ms, interval: 100, what: 'the patient is told on its own screen' });
    return { d, own, b, took };
}

async function expectCameraOn(doctor, P) {
    await eventually(async () => {
        const s = await tileState(doctor.p, P.id);
        return s && s.video === 'on' && s.videoVisible && !s.placeholder;
    }, { timeout: 5000, interval: 100, what: 'the patient\'s picture is back at the doctor' });
}

test('camera off by a moderator and by a REST PATCH: placeholder and badge at the doctor, notice at the patient', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor, patient, D, P } = await appCall(b, s);
        await expectCameraOn(doctor, P);

        // A moderator's mute (the doctor's "Stop camera").
        await doctor.click(`mute-video-${P.id}`);
        const m = await expectCameraOff(doctor, patient, D, P, 'clinician');
        assert.match(m.d.camBadge, /turned off by the clinician/);
        assert.match(m.b.text, /clinician turned off your camera/);
        t.diagnostic(`moderator's mute shown at the doctor in ${m.took} ms: ${await doctor.screenshot('doctor-camera-off-by-moderator')}`);
        t.diagnostic(`patient told: ${await patient.screenshot('patient-camera-off-by-moderator')}`);
        await doctor.click(`mute-video-${P.id}`);   // "Allow camera"
        await expectCameraOn(doctor, P);
        await eventually(() => banner(patient.p).then((x) => !x || x.kind !== 'notice'),
            { timeout: 3000, what: 'the notice goes away when the camera is allowed again' });

        // The backend turns the camera off (PATCH publish_video false).
        await patchPermissions(s.sid, P.id, { publish_video: false });
        const p = await expectCameraOff(doctor, patient, D, P, 'clinic');
        assert.match(p.d.camBadge, /turned off by the clinic/);
        assert.match(p.b.text, /clinic turned off your camera/);
        t.diagnostic(`PATCH shown at the doctor in ${p.took} ms: ${await doctor.screenshot('doctor-camera-off-by-patch')}`);
        // No false alarm: a camera the clinic turned off is not a connection
        // problem, also after the connection check's stall time (4 s) has passed.
        await sleep(6000);
        const h = await doctor.p.eval((id) => ({
            media: document.querySelector(`[data-testid="tile-${id}"]`)?.dataset.media,
            header: document.querySelector('[data-testid="connection-status"]').textContent,
            health: window.telemedApp.health,
        }), P.id);
        assert.notEqual(h.media, 'interrupted', `the doctor's tile does not call it a connection problem: ${JSON.stringify(h)}`);
        assert.doesNotMatch(h.header, /problem/i, JSON.stringify(h));
        t.diagnostic(`patient told: ${await patient.screenshot('patient-camera-off-by-patch')}`);
        await patchPermissions(s.sid, P.id, { publish_video: true });
        await expectCameraOn(doctor, P);

        // A moderator's microphone mute: the doctor's tile says so, the patient is told.
        await doctor.click(`mute-audio-${P.id}`);
        await eventually(async () => {
            const st = await doctor.p.eval((id) => {
                const tile = document.querySelector(`[data-testid="tile-${id}"]`);
                const badge = document.querySelector(`[data-testid="badge-mic-${id}"]`);
                return { audio: tile?.dataset.audio, badge: badge && !badge.hidden ? badge.textContent : null };
            }, P.id);
            return st.audio === 'clinician' && /Muted by the clinician/.test(st.badge ?? '');
        }, { timeout: 2000, interval: 100, what: 'the doctor\'s tile shows the patient\'s microphone muted by the clinician' });
        await eventually(() => banner(patient.p).then((x) => x && x.kind === 'notice' && /muted your microphone/.test(x.text)),
            { timeout: 2000, interval: 100, what: 'the patient is told its microphone was muted' });
        t.diagnostic(`microphone muted by the moderator: ${await doctor.screenshot('doctor-mic-muted-by-moderator')}`);
        await doctor.click(`mute-audio-${P.id}`);   // "Allow mic"

        // The patient turns its own camera off: placeholder, no "nobody sees you" alarm.
        await patient.click('toggle-camera');
        await eventually(async () => {
            const st = await tileState(doctor.p, P.id);
            return st && st.video === 'self' && st.placeholder && !st.videoVisible;
        }, { timeout: 2000, interval: 100, what: 'own camera off shows the placeholder at the doctor' });
        assert.equal((await banner(patient.p))?.kind === 'notice', false, 'no notice for one\'s own choice');
    });
});

async function endScreen(p, reason) {
    await p.screen('screen-end', 15000);
    const s = await p.p.eval(() => ({
        reason: document.querySelector('[data-testid="screen-end"]').dataset.reason,
        title: document.querySelector('[data-testid="end-title"]').textContent,
        text: document.querySelector('[data-testid="end-text"]').textContent,
        retry: !document.querySelector('[data-testid="retry"]').hidden,
        rejoin: !document.querySelector('[data-testid="rejoin"]').hidden,
    }));
    assert.equal(s.reason, reason, `end screen: ${JSON.stringify(s)}`);
    assert.doesNotMatch(s.title, /Something went wrong/);
    return s;
}

// The join object's token re-signed with an expiry in the past (the stack's
// secret): what a participant holds when its link is old.
function expiredJoin(join) {
    const { header, claims } = decodeJwt(join.token);
    const now = Math.floor(Date.now() / 1000);
    const token = mintJwt({ header, secret: ENV.TOKEN_SECRET, claims: { ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 } });
    return { ...join, app_url: undefined, token };
}

test('each moment gets its own screen: before the start, ended, removed, kicked, denied, expired and invalid links', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'], start: false });
        const { doctor: D, patient: P } = s.people;

        // Before the start: the doctor is told that, not the patient's words.
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('lobby');
        const dl = await doctor.p.eval(() => ({
            lobby: document.querySelector('[data-testid="lobby"]').dataset.lobby,
            title: document.querySelector('[data-testid="lobby-title"]').textContent,
        }));
        assert.equal(dl.lobby, 'clinicianBeforeStart', JSON.stringify(dl));
        assert.match(dl.title, /not started yet/);
        assert.doesNotMatch(dl.title, /let you in/);
        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        const pl = await patient.p.eval(() => document.querySelector('[data-testid="lobby"]').dataset.lobby);
        assert.equal(pl, 'beforeStart');
        t.diagnostic(`doctor before the start: ${await doctor.screenshot('doctor-before-start')}`);
        t.diagnostic(`patient before the start: ${await patient.screenshot('patient-before-start')}`);

        // The session starts: the doctor enters by itself; the patient is denied.
        await transition(s.sid, 'start');
        await doctor.screen('call');
        await doctor.click(`deny-${P.id}`);
        const denied = await endScreen(patient, 'denied');
        assert.equal(denied.retry, false, 'no Try again after a denial');
        t.diagnostic(`denied: ${await patient.screenshot('patient-denied')}`);

        // Removed over REST.
        const s2 = await session({ roles: ['doctor', 'patient', { name: 'other', role: 'patient' }] });
        const d2 = await AppPeer.open(b, 'doctor2', s2.people.doctor.join);
        await d2.screen('call');
        const p2 = await AppPeer.open(b, 'patient2', s2.people.patient.join);
        await p2.screen('lobby');
        await removeParticipant(s2.sid, s2.people.patient.id);
        const removed = await endScreen(p2, 'removed');
        assert.equal(removed.retry, false);
        t.diagnostic(`removed: ${await p2.screenshot('patient-removed')}`);

        // Kicked by the moderator.
        const p3 = await AppPeer.open(b, 'other', s2.people.other.join);
        await p3.screen('lobby');
        await d2.click(`admit-${s2.people.other.id}`);
        await p3.screen('call');
        await d2.click(`remove-${s2.people.other.id}`);
        const kicked = await endScreen(p3, 'kicked');
        assert.equal(kicked.retry, false);
        t.diagnostic(`kicked: ${await p3.screenshot('patient-kicked')}`);

        // The session ends: the doctor sees the end.
        const res = await api('POST', `/sessions/${s2.sid}/end`);
        assert.ok(res.status === 200 || res.status === 204, `POST /end: ${res.status}`);
        const ended = await endScreen(d2, 'ended');
        assert.equal(ended.retry, false);
        assert.match(ended.title, /has ended/);
        t.diagnostic(`ended: ${await d2.screenshot('doctor-ended')}`);

        // An expired join link: its own screen, no Try again (a join link cannot renew itself).
        const s3 = await session({ roles: ['patient'] });
        const old = await b.participant('expired');
        await old.goto(appUrl(expiredJoin(s3.people.patient.join)));
        const expired = await endScreen(new AppPeer(old), 'expired');
        assert.equal(expired.retry, false, 'a join link cannot fetch a fresh token');
        assert.match(expired.title, /expired/);
        t.diagnostic(`expired link: ${await old.screenshot('expired-link')}`);

        // An invalid link and a link without a token.
        const bad = await b.participant('invalid');
        await bad.goto(`${ENV.TELEMED_URL}/app/#join=bm90LWEtam9pbi1vYmplY3Q`);
        const invalid = await endScreen(new AppPeer(bad), 'invalid');
        assert.equal(invalid.retry, false);
        t.diagnostic(`invalid link: ${await bad.screenshot('invalid-link')}`);
        const none = await b.participant('no-token');
        await none.goto(`${ENV.TELEMED_URL}/app/`);
        await endScreen(new AppPeer(none), 'invalid');
        t.diagnostic(`link without a token: ${await none.screenshot('no-token')}`);

        // The same screen in French, chosen in the language menu.
        await none.page.selectOption('[data-testid="language"]', 'fr');
        const fr = await none.eval(() => ({
            lang: document.documentElement.lang,
            title: document.querySelector('[data-testid="end-title"]').textContent,
        }));
        assert.deepEqual(fr, { lang: 'fr', title: 'Ce lien ne fonctionne pas' });
        t.diagnostic(`in French: ${await none.screenshot('no-token-fr')}`);
    });
});

test('an expired token from an invitation link: Try again fetches a fresh one', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor: D, patient: P } = s.people;
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('call');
        // The patient's app holds an invitation whose exchange hands out an
        // expired token once (POST /join answered with an expired token).
        const patient = await b.participant('patient');
        let served = 0;
        await patient.page.route('**/join', async (route) => {
            const res = await route.fetch();
            const join = await res.json();
            served += 1;
            const body = served === 1 ? { ...join, token: expiredJoin(join).token } : join;
            await route.fulfill({ response: res, body: JSON.stringify(body) });
        });
        await patient.goto(s.people.patient.access.invite_url);
        const app = new AppPeer(patient);
        const expired = await endScreen(app, 'expired');
        assert.equal(expired.retry, true, 'an invitation can fetch a fresh token');
        t.diagnostic(`expired token from an invitation: ${await patient.screenshot('invite-expired')}`);
        await patient.click('retry');
        await app.screen('lobby');
        assert.equal(served, 2, 'Try again exchanged the credential again');
        await doctor.click(`admit-${P.id}`);
        await app.screen('call');
    });
});
