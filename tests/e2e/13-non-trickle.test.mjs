// docs/PROTOCOL.md "Trickle or not", with a real Chromium (issue 11 item 12):
// a client that does not trickle at all connects and its media reaches the
// plugin. The page speaks the Janus API itself (no SDK): it gathers every
// candidate before it sends the offer (`trickle: false`), never sends a
// `trickle` message, and ignores Janus's trickled candidates (the weakest
// client the doc describes: it learns Janus's address from Janus's
// connectivity checks).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { pagesBase } from './lib/pages.mjs';
import { eventually, roomParticipant, session } from './lib/telemed.mjs';

const T = { timeout: 90000 };

// Runs in the page: Janus session, attach, join, one PeerConnection with the
// camera and microphone sendonly, offer once gathering is complete,
// `configure` with trickle:false, the answer applied, then wait for
// `connected`. Returns what it saw.
async function nonTrickleClient({ url, plugin, token, janusToken, ms }) {
    const seen = { trickleFromJanus: 0, trickleSent: 0 };
    const ws = new WebSocket(url, 'janus-protocol');
    const pending = new Map();
    let n = 0;
    ws.onmessage = (ev) => {
        const m = JSON.parse(ev.data);
        if (m.janus === 'trickle') seen.trickleFromJanus += 1;  // ignored on purpose
        if (m.janus === 'ack') return;
        const p = pending.get(m.transaction);
        if (p) {
            pending.delete(m.transaction);
            p(m);
        }
    };
    await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
    });
    const call = (msg) => new Promise((resolve) => {
        const transaction = `nt-${++n}`;
        pending.set(transaction, resolve);
        ws.send(JSON.stringify({ ...msg, token: janusToken, transaction }));  // Janus token_auth
    });
    const created = await call({ janus: 'create' });
    const session_id = created.data.id;
    const attachedH = await call({ janus: 'attach', session_id, plugin });
    const handle_id = attachedH.data.id;
    const joined = await call({ janus: 'message', session_id, handle_id, body: { request: 'join', token } });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection();
    window.__ntpc = pc;
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
    const gathered = new Promise((resolve) => {
        pc.addEventListener('icegatheringstatechange', () => {
            if (pc.iceGatheringState === 'complete') resolve();
        });
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered;
    const offer = pc.localDescription.sdp;
    const conf = await call({
        janus: 'message', session_id, handle_id,
        body: { request: 'configure', sources: [{ mid: '0', source: 'audio' }, { mid: '1', source: 'video' }] },
        jsep: { type: 'offer', sdp: offer, trickle: false },
    });
    await pc.setRemoteDescription(conf.jsep);
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not connected within ${ms} ms: ${pc.connectionState}`)), ms);
        const check = () => {
            if (pc.connectionState === 'connected') {
                clearTimeout(timer);
                resolve();
            }
        };
        pc.addEventListener('connectionstatechange', check);
        check();
    });
    const keepalive = setInterval(() => ws.send(JSON.stringify({ janus: 'keepalive', session_id, token: janusToken, transaction: 'ka' })),
        20000);
    window.__ntka = keepalive;
    return {
        joined: joined.plugindata?.data,
        configured: conf.plugindata?.data,
        offerCandidates: (offer.match(/^a=candidate:/gm) || []).length,
        answerCandidates: (conf.jsep.sdp.match(/^a=candidate:/gm) || []).length,
        connectMs: Math.round(performance.now() - t0),
        ...seen,
    };
}

test('a client that neither sends nor applies trickle connects; its media reaches the plugin', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor'] });
        const doc = s.people.doctor;
        const p = await b.participant('doctor');
        await p.goto(`${await pagesBase()}/__e2e/harness.html`);
        const r = await p.eval(nonTrickleClient,
            { url: doc.join.janus_ws_url, plugin: doc.join.plugin, token: doc.join.token, janusToken: doc.join.janus_token, ms: 15000 }, 40000);
        assert.equal(r.joined?.telemed, 'joined', JSON.stringify(r));
        assert.equal(r.configured?.telemed, 'configured', JSON.stringify(r));
        assert.ok(r.offerCandidates > 0, `the offer carries its candidates: ${JSON.stringify(r)}`);
        assert.equal(r.answerCandidates, 0, 'Janus trickles its own (full_trickle)');
        t.diagnostic(`connected ${r.connectMs} ms after the answer; ${r.trickleFromJanus} Janus trickles ignored`);
        // Its camera and microphone reach the plugin's gate.
        await eventually(async () => {
            const me = await roomParticipant(s.sid, doc.id);
            return (me?.stats?.rtp_in ?? 0) > 50;
        }, { timeout: 10000, what: 'RTP from the non-trickle client reaches the plugin' });
    });
});
