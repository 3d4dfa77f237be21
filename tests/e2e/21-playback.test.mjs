// The playback page (web/app/playback.html; docs/SDK.md "The playback
// page", docs/API.md "Playback links") in headless Chromium:
//  - always: a link that is malformed, or expired / revoked, shows the words
//    ("This link has expired. Ask the clinic for a new one.") and no video;
//  - a real recording made through the web app (both agree, ~5 s): one
//    output per participant and the composite, each VP8 + Opus lasting as
//    long as the recording (±1 s; read back decrypted through playback
//    links, ffprobe); a link for the doctor's user_id: the page plays it
//    (currentTime advances; a screenshot), the browser's requests are Range
//    requests answered 206 and a seek lands, the audit has a
//    recording.playback row per request, a revoked link says so in words.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ARTIFACTS, withBrowser } from './lib/browser.mjs';
import { appCall, ENV, api, eventually, session, show, sleep } from './lib/telemed.mjs';

const T = { timeout: 300000 };

// Downloads a playback URL (the decrypted output) and returns what ffprobe
// reads in it: {codecs, duration}.
async function probeUrl(url, keepAs = null) {
    const r = await fetch(url, { signal: AbortSignal.timeout(30000) });
    assert.equal(r.status, 200, `GET ${url.replace(/playback\/.*/, 'playback/…')}: ${r.status}`);
    const dir = mkdtempSync(join(tmpdir(), 'telemed-probe-'));
    try {
        const f = join(dir, 'out.webm');
        writeFileSync(f, Buffer.from(await r.arrayBuffer()));
        if (keepAs) copyFileSync(f, keepAs);   // for a human to watch (fake devices only)
        const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name',
            '-of', 'json', f], { encoding: 'utf8', timeout: 30000 }));
        // Mean level (0..255 over R, G and B) of a frame 2 s in: a picture,
        // not black (the fake camera is green: about 45 where it shows).
        const rgb = execFileSync('ffmpeg', ['-v', 'error', '-ss', '2', '-i', f, '-frames:v', '1', '-s', '64x36', '-pix_fmt', 'rgb24',
            '-f', 'rawvideo', '-'], { timeout: 30000, maxBuffer: 1 << 20 });
        const luma = rgb.length ? rgb.reduce((a, x) => a + x, 0) / rgb.length : 0;
        return { codecs: out.streams.map((x) => x.codec_name), duration: Number.parseFloat(out.format.duration), luma: Math.round(luma) };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

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

test('a real recording made in the web app: per-participant files and the composite are VP8 + Opus of the right length; the playback page plays it; seeking is a Range request', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor, patient, D, P } = await appCall(b, s);
        await doctor.click('toggle-recording');
        await doctor.p.waitVisible('consent');
        await patient.p.waitVisible('consent');
        // Each participant's file starts at its own consent; the composite at
        // the first one (the doctor's). On a loaded machine the patient's
        // consent and the page's "both recorded" can come a second or more
        // after the doctor's, so every length is measured from its own start.
        await doctor.click('consent-yes');
        const consented = { doctor: Date.now() };
        await patient.click('consent-yes');
        consented.patient = Date.now();
        // Both recorded (the doctor's page lists both), then ~5 s of media.
        await eventually(() => doctor.p.eval((ids) => ids.every((id) => window.telemedClient.recording.recorded.includes(id)), [D.id, P.id]),
            { timeout: 10000, interval: 100, what: 'both participants are recorded' });
        await sleep(5000);
        await doctor.click('toggle-recording');  // stop
        await eventually(() => doctor.p.eval(() => window.telemedClient.recording.state === 'off'),
            { timeout: 10000, interval: 100, what: 'the recording stopped' });
        const stopped = Date.now();
        const recordedS = {
            doctor: (stopped - consented.doctor) / 1000,
            patient: (stopped - consented.patient) / 1000,
            composite: (stopped - Math.min(consented.doctor, consented.patient)) / 1000,
        };
        const list = await eventually(async () => {
            const r = await api('GET', `/sessions/${s.sid}/recordings`);
            const done = r.json?.items?.find((x) => ['available', 'incomplete', 'failed'].includes(x.state));
            return done ?? null;
        }, { timeout: 240000, interval: 1000, what: 'the recording is processed' });
        assert.equal(list.state, 'available', show({ status: 200, json: list }));

        // The files: one per participant and the composite, each VP8 + Opus
        // lasting as long as the recording (±1 s), read back decrypted
        // through a playback link and probed with ffprobe.
        const kinds = list.outputs.map((o) => (o.kind === 'composite' ? 'composite' : o.participant_id)).sort();
        assert.deepEqual(kinds, ['composite', D.id, P.id].sort(), `outputs: ${JSON.stringify(list.outputs)}`);
        for (const o of list.outputs) {
            const l = await api('POST', `/recordings/${list.id}/playback-links`, { body: { user_id: D.userId, output_id: o.id } });
            assert.equal(l.status, 201, show(l));
            const which = o.kind === 'composite' ? 'composite' : o.participant_id === D.id ? 'doctor' : 'patient';
            mkdirSync(join(ARTIFACTS, 'playback-outputs'), { recursive: true });
            const probe = await probeUrl(l.json.url, join(ARTIFACTS, 'playback-outputs', `${which}.webm`));
            t.diagnostic(`${which}: ${JSON.stringify(probe)} (recorded ${recordedS[which].toFixed(2)} s)`);
            assert.deepEqual(probe.codecs.sort(), ['opus', 'vp8'], `${which}: VP8 video and Opus audio`);
            assert.ok(Math.abs(probe.duration - recordedS[which]) <= 1,
                `${which}: ${probe.duration} s for ${recordedS[which]} s recorded (±1 s)`);
            assert.ok(probe.luma > 15, `${which}: a picture 2 s in, not a black frame (mean level ${probe.luma})`);
        }
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
        // The browser asks with Range and gets 206 (what lets a <video>
        // seek without the whole file; a file this short it may fetch at
        // once), and a seek lands where asked.
        await eventually(() => requests.some((r) => r.status === 206 && r.range),
            { timeout: 15000, what: 'the media requests are Range requests answered 206' });
        const target = await viewer.eval(() => {
            const v = document.querySelector('[data-testid="playback-video"]');
            v.pause();
            v.currentTime = Math.max(0, (Number.isFinite(v.duration) ? v.duration : 5) - 1.5);
            return v.currentTime;
        });
        await until(viewer, (st) => Math.abs(st.currentTime - target) < 0.5 && st.readyState >= 2, 'the seek landed', 15000);
        t.diagnostic(`Range requests: ${JSON.stringify(requests)}`);
        const audit = await api('GET', `/sessions/${s.sid}/audit?limit=100`);
        const rows = audit.json.items.filter((x) => x.action === 'recording.playback');
        assert.ok(rows.every((x) => x.data.user_id === D.userId), 'each access names its viewer');
        const mine = rows.filter((x) => x.data.link_id === link.id);
        assert.equal(mine.length, requests.length, `an audit row per request of the page: ${JSON.stringify(mine.map((x) => x.data))}`);
        assert.equal(rows.length - mine.length, list.outputs.length, 'and one per download of the three files above');

        // Revoked: the page says the link has expired.
        assert.equal((await api('DELETE', `/recordings/${list.id}/playback-links/${link.id}`)).status, 204);
        await viewer.goto('about:blank');
        await viewer.goto(link.page_url);
        const gone = await until(viewer, (st) => st.error, 'the revoked link in words');
        assert.equal(gone.error, 'This link has expired. Ask the clinic for a new one.');
    });
});
