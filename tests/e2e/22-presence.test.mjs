// Presence from Janus's own events (docs/DESIGN.md "Janus events"): the
// stack's Janus posts to the controller through its HTTP event handler. The
// controller is restarted with webhook_urls pointing at a receiver started
// here (so participant.* webhooks are really delivered):
//   - a browser joins and publishes -> GET /sessions/{id} shows it online with
//     media up, and with a connection quality once a stats period (5 s) has
//     passed; participant.joined is delivered (signed, ids only);
//   - its page closes -> participant.left arrives once Janus gives the
//     session up (reclaim_session_timeout, 30 s, the window of a reconnect),
//     and presence says offline.
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { restartController } from '../integ/lib/stack.mjs';
import { withBrowser } from './lib/browser.mjs';
import { Peer, api, eventually, session, show } from './lib/telemed.mjs';

const T = { timeout: 150000 };
const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString('base64')}`;
const received = [];  // {type, data, verified}
let server;

function verify(headers, raw) {
    const mac = createHmac('sha256', KEY).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${raw}`)
        .digest('base64');
    const want = Buffer.from(`v1,${mac}`);
    return (headers['webhook-signature'] ?? '').split(' ').some((s) => {
        const got = Buffer.from(s);
        return got.length === want.length && timingSafeEqual(got, want);
    });
}

before(async () => {
    server = createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            try {
                const body = JSON.parse(raw);
                received.push({ type: body.type, data: body.data, verified: verify(req.headers, raw), raw });
            } catch {
                // not ours
            }
            res.writeHead(200);
            res.end('ok');
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${server.address().port}/hooks`;
    await restartController(`webhook_urls=${url};webhook_secret=${SECRET};webhook_retry_base_ms=50;webhook_retry_max_s=1`);
});

after(async () => {
    await restartController();
    await new Promise((r) => server.close(r));
});

async function presence(sid, pid) {
    const res = await api('GET', `/sessions/${sid}`);
    assert.equal(res.status, 200, show(res));
    return res.json.participants.find((p) => p.id === pid)?.presence;
}

test('a browser joins: presence online with a quality, participant.joined; the page closes: participant.left',
    T, async (t) => {
        await withBrowser(t, async (b) => {
            const s = await session({ roles: ['doctor'] });
            const D = s.people.doctor;
            assert.equal((await presence(s.sid, D.id)).online, false, 'offline before joining');

            const doctor = await Peer.open(b, 'doctor');
            const r = await doctor.start(D.join);
            assert.equal(r.joined.status, 'admitted', JSON.stringify(r.joined));

            // Online at once (the plugin's joined), media up (webrtcup), and a
            // quality once Janus's stats period (5 s) has passed.
            await eventually(async () => (await presence(s.sid, D.id))?.online === true,
                { timeout: 10000, what: 'presence online' });
            await eventually(async () => (await presence(s.sid, D.id))?.quality != null,
                { timeout: 20000, interval: 500, what: 'connection quality after a stats period' });
            const p = await presence(s.sid, D.id);
            assert.equal(p.state, 'in_room');
            assert.equal(p.media, 'up');
            assert.ok(['good', 'fair', 'poor'].includes(p.quality), JSON.stringify(p));
            assert.equal(typeof p.loss_pct, 'number');
            assert.equal(typeof p.jitter_ms, 'number');
            assert.match(p.since, /^\d{4}-\d\d-\d\dT/);
            t.diagnostic(`presence while connected: ${JSON.stringify(p)}`);

            await eventually(() => received.some((e) => e.type === 'participant.joined' && e.data.participant_id === D.id),
                { timeout: 15000, what: 'participant.joined delivered' });
            const joined = received.filter((e) => e.type === 'participant.joined' && e.data.participant_id === D.id);
            assert.equal(joined.length, 1, 'joined once');
            assert.ok(joined[0].verified, 'signature verifies');
            assert.equal(joined[0].data.session_id, s.sid);
            assert.equal(joined[0].data.user_id, D.userId);
            assert.equal(joined[0].data.role, 'doctor');
            assert.doesNotMatch(joined[0].raw, /Dr E2E/, 'no display name in the webhook');

            // The page closes: its WebSocket goes; Janus keeps the session for
            // reclaim_session_timeout (30 s: a reconnecting client may claim it
            // back, and that must make no noise), then drops it and the plugin
            // says left. So: within 30 s plus the Janus timer's tick.
            const closedAt = Date.now();
            await doctor.p.page.close();
            await eventually(() => received.some((e) => e.type === 'participant.left' && e.data.participant_id === D.id),
                { timeout: 40000, interval: 250, what: 'participant.left delivered' });
            t.diagnostic(`participant.left ${Date.now() - closedAt} ms after the page closed`);
            t.diagnostic(`participant.left data: ${JSON.stringify(received.find((e) => e.type === 'participant.left')?.data)}`);
            const left = received.filter((e) => e.type === 'participant.left' && e.data.participant_id === D.id);
            assert.equal(left.length, 1, 'left once');
            assert.ok(['left', 'hangup', 'ice_failed'].includes(left[0].data.reason), JSON.stringify(left[0].data));
            await eventually(async () => (await presence(s.sid, D.id))?.online === false,
                { timeout: 10000, what: 'presence offline' });
            const off = await presence(s.sid, D.id);
            assert.equal(off.media, 'down');
            assert.equal(off.quality, null);
        });
    });
