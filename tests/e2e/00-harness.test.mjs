// The e2e harness itself: Chromium starts inside the test namespace, reaches
// the controller, has fake camera and microphone that decode through a local
// PeerConnection pair, and the controller serves the SDK and the web app.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ARTIFACTS, withBrowser } from './lib/browser.mjs';
import { pagesBase } from './lib/pages.mjs';
import { ENV, api } from './lib/telemed.mjs';

const T = { timeout: 60000 };

test('chromium reaches the controller and has fake camera and microphone', T, async (t) => {
    await withBrowser(t, async (b) => {
        const p = await b.participant('probe');
        await p.goto(`${ENV.TELEMED_URL}/healthz`);
        const body = await p.eval(() => document.body.innerText);
        assert.ok(body.length > 0, 'healthz has a body');

        await p.goto(`${await pagesBase()}/__e2e/gum.html`);
        const r = await p.eval(() => window.G.run(), undefined, 20000);
        assert.deepEqual(r.tracks.map((x) => x.kind).sort(), ['audio', 'video'], JSON.stringify(r));
        assert.ok(r.tracks.every((x) => x.readyState === 'live'), JSON.stringify(r));
        assert.equal(r.width, 320, 'instrumentation keeps the fake camera small');
        assert.ok(r.frames > 0, `video decoded over a local PeerConnection pair: ${JSON.stringify(r)}`);
        assert.ok(r.audioPackets > 0, `audio packets over a local PeerConnection pair: ${JSON.stringify(r)}`);
        assert.equal(r.instrumentedPcs, 2, 'PeerConnections are recorded');
        t.diagnostic(`artifacts folder: ${ARTIFACTS}`);
    });
});

test('the controller serves the SDK and the web app', T, async () => {
    const sdk = await api('GET', '/sdk/telemed.js', { auth: false });
    assert.equal(sdk.status, 200, 'GET /sdk/telemed.js');
    assert.match(sdk.headers.get('content-type') ?? '', /javascript/, 'SDK content type');
    assert.match(sdk.text, /export\s+(class|\{)[^]*TelemedClient/, 'the SDK exports TelemedClient');
    const app = await api('GET', '/app/', { auth: false });
    assert.equal(app.status, 200, 'GET /app/');
    assert.match(app.headers.get('content-type') ?? '', /text\/html/, 'app content type');
});
