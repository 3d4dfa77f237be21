// The pre-call check of the web app's lobby (web/app/precall.js). A patient
// who opens its join link waits in the lobby and sees its camera picture, a
// microphone level meter and a connection check through the join's TURN
// server; with Chromium's fake devices camera and microphone work and the
// relay is reachable, so the verdict is "good", and the doctor's waiting list
// says so (plugin `precheck`, `waiting` entries). Then, with a join link whose
// TURN port is a UDP socket that drops everything, the check says "cannot
// connect" within a bounded time and the doctor sees that too.
// Screenshots (desktop and 360 px wide) go to test-results/e2e/<test>/.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';

import { step, withBrowser } from './lib/browser.mjs';
import { AppPeer, appUrl, eventually, session, waitAppFlowing } from './lib/telemed.mjs';

const T = { timeout: 150000 };

// The check as the page shows it, and its state (window.telemedApp.precall).
function precallView(peer) {
    return peer.p.eval(() => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const line = (id) => ({ state: q(id)?.dataset.state ?? null, text: q(id)?.textContent.trim() ?? null });
        const video = q('precall-video');
        const meter = q('precall-meter');
        return {
            shown: !!q('precall') && !q('precall').hidden && q('precall').getClientRects().length > 0,
            state: q('precall')?.dataset.state ?? null,
            result: q('precall-verdict')?.dataset.result ?? null,
            verdict: q('precall-verdict')?.textContent.trim() ?? null,
            camera: line('precall-camera'),
            microphone: line('precall-microphone'),
            connection: { ...line('precall-connection'), mbps: q('precall-connection')?.dataset.mbps ?? null },
            video: video ? { width: video.videoWidth, height: video.videoHeight, frames: video.getVideoPlaybackQuality().totalVideoFrames } : null,
            meter: meter ? {
                role: meter.getAttribute('role'), now: meter.getAttribute('aria-valuenow'), text: meter.getAttribute('aria-valuetext'),
                peak: Number(meter.dataset.peak ?? 0), labelled: !!document.getElementById(meter.getAttribute('aria-labelledby') ?? '')?.textContent.trim(),
            } : null,
            selects: [...document.querySelectorAll('#precall select')].map((s) => ({
                id: s.id, options: s.options.length, label: document.querySelector(`label[for="${s.id}"]`)?.textContent.trim() ?? null,
                visible: s.getClientRects().length > 0,
            })),
            live: { role: q('precall-verdict')?.getAttribute('role'), ariaLive: q('precall-verdict')?.getAttribute('aria-live') },
            text: q('precall')?.innerText ?? '',
            app: JSON.parse(JSON.stringify(window.telemedApp?.precall ?? null)),
            gum: window.__e2e.gum,
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
    });
}

// Waits until the check has its verdict (state done); returns the view.
async function waitVerdict(peer, ms = 30000) {
    let v = null;
    try {
        await eventually(async () => {
            v = await precallView(peer);
            return v.state === 'done' && v.result !== 'checking';
        }, { timeout: ms, interval: 250, what: `${peer.name}: the pre-call check's verdict` });
    } catch (e) {
        throw new Error(`${e.message}; last view: ${JSON.stringify({ ...v, text: undefined })}`);
    }
    return v;
}

// The doctor's waiting-list entry for pid: {result, text} once it has `result`.
async function waitWaitingVerdict(doctor, pid, result, ms = 15000) {
    let last = null;
    try {
        await eventually(async () => {
            last = await doctor.p.eval((id) => {
                const e = document.querySelector(`[data-testid="precheck-${id}"]`);
                return e ? { result: e.dataset.result, text: e.textContent.trim(), visible: e.getClientRects().length > 0 } : null;
            }, pid);
            return last && last.result === result && last.visible;
        }, { timeout: ms, interval: 250, what: `doctor: precheck-${pid} says ${result}` });
    } catch (e) {
        throw new Error(`${e.message}; last: ${JSON.stringify(last)}`);
    }
    return last;
}

// A session with a doctor in the call (its waiting list shown) and a patient not yet there.
async function moderatingDoctor(b) {
    const s = await session({ roles: ['doctor', 'patient'] });
    const { doctor: D, patient: P } = s.people;
    const doctor = await AppPeer.open(b, 'doctor', D.join);
    await step('doctor: viewport', doctor.p.page.setViewportSize({ width: 1280, height: 800 }));
    await doctor.screen('call');
    await doctor.screen('waiting-section');
    return { s, D, P, doctor };
}

const JARGON = /\b(TURN|STUN|ICE|relay|SDP|WebRTC|peer ?connection)\b/i;

test('pre-call check: fake devices work, the connection check passes, the verdict is good and the doctor sees it', T, async (t) => {
    await withBrowser(t, async (b) => {
        const { D, P, doctor } = await moderatingDoctor(b);

        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        await patient.p.waitVisible('precall');
        // The doctor sees the patient waiting before its check has finished.
        await doctor.p.waitVisible(`waiting-${P.id}`);

        const v = await waitVerdict(patient);
        t.diagnostic(`check: ${JSON.stringify({ ...v, text: undefined })}`);
        assert.equal(v.camera.state, 'ok', `camera works: ${JSON.stringify(v.camera)}`);
        assert.ok(v.video.width > 0 && v.video.frames > 0, `the self-preview decodes frames: ${JSON.stringify(v.video)}`);
        assert.equal(v.microphone.state, 'ok', `microphone works: ${JSON.stringify(v.microphone)}`);
        assert.ok(v.meter.peak > 0 && v.app.peak > 0, `the microphone level rose above 0: ${JSON.stringify(v.meter)}`);
        assert.equal(v.connection.state, 'ok', `connection check passes: ${JSON.stringify(v.connection)}`);
        assert.equal(v.app.relay, true, 'a relay candidate from the join\'s TURN server');
        assert.ok(Number(v.connection.mbps) > 0, `a bandwidth estimate: ${v.connection.mbps}`);
        assert.equal(v.result, 'good', `verdict: ${v.verdict}`);
        assert.match(v.verdict, /Everything is ready/);
        assert.deepEqual(v.app.reported, { result: 'good', camera: true, microphone: true }, 'the verdict sent to the moderators');

        // Accessible and in plain words.
        assert.equal(v.meter.role, 'meter');
        assert.ok(v.meter.labelled && v.meter.text, `the meter has a name and a value text: ${JSON.stringify(v.meter)}`);
        assert.deepEqual(v.live, { role: 'status', ariaLive: 'polite' }, 'the verdict is announced');
        for (const sel of v.selects.filter((x) => x.visible)) assert.ok(sel.label && sel.options > 0, `labelled select with devices: ${JSON.stringify(sel)}`);
        assert.ok(v.selects.some((x) => x.id === 'precall-camera-select' && x.visible), 'camera choice');
        assert.ok(v.selects.some((x) => x.id === 'precall-microphone-select' && x.visible), 'microphone choice');
        assert.doesNotMatch(v.text, JARGON, `no jargon in the check: ${v.text}`);
        t.diagnostic(`lobby with the check: ${await patient.screenshot('patient-lobby-check')}`);

        // The doctor's waiting list shows the verdict.
        const w = await waitWaitingVerdict(doctor, P.id, 'good');
        assert.match(w.text, /ready/i, `plain words for the doctor: ${w.text}`);
        assert.doesNotMatch(w.text, JARGON);
        t.diagnostic(`doctor's waiting list: ${await doctor.screenshot('doctor-waiting-list')}`);

        // The test sound plays (keyboard), and "Check again" (keyboard) runs the check anew.
        await step('patient: focus play', patient.p.page.locator('[data-testid="precall-play"]').focus());
        await step('patient: Enter', patient.p.page.keyboard.press('Enter'));
        await eventually(async () => (await precallView(patient)).app.sound === 'played', { timeout: 10000, what: 'the test sound played' });
        const runs = v.app.runs;
        await step('patient: focus retry', patient.p.page.locator('[data-testid="precall-retry"]').focus());
        await step('patient: Enter', patient.p.page.keyboard.press('Enter'));
        await eventually(async () => (await precallView(patient)).app.runs > runs, { timeout: 5000, what: 'check again started' });
        const again = await waitVerdict(patient);
        assert.equal(again.result, 'good', `again: ${again.verdict}`);

        // 360 px wide (a phone): nothing sticks out sideways.
        await step('patient: phone viewport', patient.p.page.setViewportSize({ width: 360, height: 740 }));
        const phone = await precallView(patient);
        assert.ok(phone.overflow <= 0, `no horizontal scrolling at 360 px: ${phone.overflow} px`);
        t.diagnostic(`lobby with the check, 360 px: ${await patient.screenshot('patient-lobby-check-360')}`);

        // Admitted: the check stops and the call publishes the devices it chose (no second capture).
        await doctor.click(`admit-${P.id}`);
        await patient.screen('call');
        await waitAppFlowing(doctor.p);
        const after = await precallView(patient);
        assert.equal(after.state, 'stopped', 'the check stopped on admission');
        assert.equal(after.gum, 1, `the check's camera and microphone are published, not captured again (getUserMedia calls: ${after.gum})`);
    });
});

// A UDP socket that receives everything and answers nothing: a TURN port
// that drops every packet.
async function blackHole() {
    const sock = dgram.createSocket('udp4');
    let packets = 0;
    sock.on('message', () => { packets += 1; });
    await new Promise((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(0, '127.0.0.1', resolve);
    });
    return { port: sock.address().port, packets: () => packets, close: () => sock.close() };
}

// The app URL of `join` with every TURN url's port replaced by `port`.
function withTurnPort(join, port) {
    const url = new URL(appUrl(join));
    const frag = new URLSearchParams(url.hash.slice(1));
    const obj = JSON.parse(Buffer.from(frag.get('join'), 'base64url').toString('utf8'));
    let changed = 0;
    obj.ice_servers = obj.ice_servers.map((s) => ({
        ...s,
        urls: [].concat(s.urls).map((u) => {
            const m = /^(turns?:(?:\[[^\]]+\]|[^:?]+)):\d+(.*)$/.exec(u);
            if (!m) return u;
            changed += 1;
            return `${m[1]}:${port}${m[2]}`;
        }),
    }));
    assert.ok(changed > 0, `the join has TURN urls: ${JSON.stringify(obj.ice_servers.map((s) => s.urls))}`);
    frag.set('join', Buffer.from(JSON.stringify(obj)).toString('base64url'));
    url.hash = frag.toString();
    return { url: url.href, iceServers: obj.ice_servers };
}

test('pre-call check: with the TURN port dropping everything it says "cannot connect", and so does the doctor\'s list', T, async (t) => {
    const hole = await blackHole();
    t.after(() => hole.close());
    await withBrowser(t, async (b) => {
        const { D, P, doctor } = await moderatingDoctor(b);

        const { url, iceServers } = withTurnPort(P.join, hole.port);
        t.diagnostic(`patient's TURN urls: ${JSON.stringify(iceServers.map((x) => x.urls))}`);
        const p = await b.participant('patient');
        await p.goto(url);
        const patient = new AppPeer(p);
        await patient.screen('lobby');
        const started = Date.now();
        const v = await waitVerdict(patient, 30000);
        t.diagnostic(`check: ${JSON.stringify({ ...v, text: undefined })} after ${Date.now() - started} ms`);
        assert.equal(v.result, 'cannot_connect', `verdict: ${v.verdict}`);
        assert.equal(v.connection.state, 'fail', `connection check fails: ${JSON.stringify(v.connection)}`);
        assert.equal(v.app.relay, false, 'no relay candidate');
        assert.match(v.verdict, /cannot connect/i);
        assert.equal(v.camera.state, 'ok', 'the camera still works');
        assert.ok(hole.packets() > 0, 'Chromium did try the (black-holed) TURN port');
        assert.deepEqual(v.app.reported, { result: 'cannot_connect', camera: true, microphone: true }, 'the verdict sent to the moderators');
        assert.doesNotMatch(v.text, JARGON, `no jargon in the check: ${v.text}`);
        t.diagnostic(`lobby, cannot connect: ${await patient.screenshot('patient-lobby-cannot-connect')}`);
        await step('patient: phone viewport', patient.p.page.setViewportSize({ width: 360, height: 740 }));
        assert.ok((await precallView(patient)).overflow <= 0, 'no horizontal scrolling at 360 px');
        t.diagnostic(`lobby, cannot connect, 360 px: ${await patient.screenshot('patient-lobby-cannot-connect-360')}`);

        const w = await waitWaitingVerdict(doctor, P.id, 'cannot_connect');
        assert.match(w.text, /cannot connect/i, `plain words for the doctor: ${w.text}`);
        t.diagnostic(`doctor's waiting list: ${await doctor.screenshot('doctor-waiting-list-cannot-connect')}`);
    });
});
