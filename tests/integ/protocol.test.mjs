// What docs/PROTOCOL.md promises a native client author (issue 11 item 12),
// checked against the real Janus + plugin:
//  - a non-trickle offer (every candidate in the SDP, no `trickle` message)
//    is answered, and the answer carries Janus's own candidates;
//  - the answer keeps exactly the RTP header extensions, RTCP feedback and
//    retransmission (rtx) settings the doc lists ("What the answer keeps"),
//    for a real Chromium offer (tests/integ/fixtures/chromium-offer.sdp:
//    microphone and camera sendrecv, one audio and one video slot recvonly,
//    gathered to completion before it was taken);
//  - after `kicked`, `ended`, `denied` and `replaced` the handle is attached
//    and not joined ("After kicked, ended, denied or replaced"), and a new
//    `join` on it answers what the doc says (4020, 4040, waiting, joined).
// The fixture was taken from Chromium 156 (Debian) in the test network
// namespace: getUserMedia (fake devices), the transceivers the SDK makes,
// setLocalDescription, then the offer once iceGatheringState was complete.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';

import { attached, joinWith } from './lib/janus.mjs';
import { addParticipant, api, createSession, show, transition, uniq } from './lib/stack.mjs';

const T = { timeout: 30000 };
const HERE = dirname(fileURLToPath(import.meta.url));
const CHROMIUM_OFFER = readFileSync(joinPath(HERE, 'fixtures', 'chromium-offer.sdp'), 'utf8')
    .replace(/\r?\n/g, '\r\n');
const SOURCES = [{ mid: '0', source: 'audio' }, { mid: '1', source: 'video' }];

const open = [];
after(async () => {
    for (const c of open) await c.close();
});

async function join(token) {
    const r = await joinWith(token);
    open.push(r.client);
    return r;
}

async function activeSession() {
    const s = await createSession({ kind: 'consultation' });
    const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
    await transition(s.id, 'start');
    return { sid: s.id, doc };
}

// configure with the Chromium fixture; resolves with the whole Janus answer
// (plugindata and jsep).
async function configureChromium(client, handle, { trickle } = {}) {
    const jsep = { type: 'offer', sdp: CHROMIUM_OFFER };
    if (trickle !== undefined) jsep.trickle = trickle;
    const r = await client.request({ janus: 'message', session_id: client.sessionId, handle_id: handle,
        body: { request: 'configure', sources: SOURCES }, jsep },
    { timeout: 10000 });
    assert.ok(r.plugindata && r.plugindata.data, `configure: ${JSON.stringify(r).slice(0, 300)}`);
    return { data: r.plugindata.data, jsep: r.jsep };
}

// The answer's m-sections: {kind, mid, direction, port, pts, rtpmap, extmaps
// (URIs), fb (per PT), apt (rtx PT -> PT), candidates}.
function sections(sdp) {
    const out = [];
    let cur = null;
    for (const line of sdp.split(/\r\n/)) {
        if (line.startsWith('m=')) {
            const [kind, port, , ...pts] = line.slice(2).split(' ');
            cur = { kind, port: Number(port), pts, mid: null, direction: 'sendrecv', rtpmap: {}, extmaps: [],
                fb: {}, apt: {}, candidates: 0 };
            out.push(cur);
            continue;
        }
        if (!cur) continue;
        let m;
        if ((m = /^a=mid:(.*)$/.exec(line))) cur.mid = m[1];
        else if ((m = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line))) cur.direction = m[1];
        else if ((m = /^a=rtpmap:(\d+) (.*)$/.exec(line))) cur.rtpmap[m[1]] = m[2];
        else if ((m = /^a=extmap:\d+(?:\/\w+)? (\S+)/.exec(line))) cur.extmaps.push(m[1]);
        else if ((m = /^a=rtcp-fb:(\d+) (.*)$/.exec(line))) (cur.fb[m[1]] ||= []).push(m[2]);
        else if ((m = /^a=fmtp:(\d+) apt=(\d+)/.exec(line))) cur.apt[m[1]] = m[2];
        else if (line.startsWith('a=candidate:')) cur.candidates += 1;
    }
    return out;
}

// docs/PROTOCOL.md, "What the answer keeps", for this offer.
const AUDIO_EXTMAPS = [
    'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'urn:ietf:params:rtp-hdrext:sdes:mid',
];
const VIDEO_EXTMAPS = [
    'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'urn:3gpp:video-orientation',
    'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'urn:ietf:params:rtp-hdrext:sdes:mid',
];
const VP8_FEEDBACK = ['ccm fir', 'goog-remb', 'nack', 'nack pli', 'transport-cc'];

describe('offers and answers', () => {
    test('a non-trickle offer (all candidates in the SDP, no trickle) is answered; Janus trickles its own', T,
        async () => {
            assert.ok(CHROMIUM_OFFER.includes('a=candidate:'), 'the fixture carries its candidates');
            const { doc } = await activeSession();
            const { client, handle, data } = await join(doc.join.token);
            assert.equal(data.telemed, 'joined', JSON.stringify(data));
            // "trickle": false tells Janus the offer holds every candidate.
            const { data: conf, jsep } = await configureChromium(client, handle, { trickle: false });
            assert.equal(conf.telemed, 'configured', JSON.stringify(conf));
            assert.deepEqual(conf.publishing, SOURCES);
            assert.deepEqual(conf.slots, { audio: 2, video: 2 });
            assert.ok(jsep && jsep.type === 'answer' && typeof jsep.sdp === 'string', 'an answer jsep');
            const ms = sections(jsep.sdp);
            assert.equal(ms.length, 4);
            // Janus runs full trickle (conf/janus/janus.jcfg): its own
            // candidates are not in the answer but come as `trickle`
            // messages for the handle, then `completed`.
            assert.ok(ms.every((m) => m.candidates === 0), `no candidates in the answer:\n${jsep.sdp}`);
            const cand = await client.waitFor((m) => m.janus === 'trickle' && m.sender === handle &&
                m.candidate && typeof m.candidate.candidate === 'string', { what: 'a trickled Janus candidate' });
            assert.ok(/ typ host/.test(cand.candidate.candidate), JSON.stringify(cand));
            // sdpMLineIndex always; sdpMid only once Janus knows the mids.
            assert.equal(cand.candidate.sdpMLineIndex, 0, JSON.stringify(cand));
            await client.waitFor((m) => m.janus === 'trickle' && m.sender === handle && m.candidate &&
                m.candidate.completed === true, { what: 'trickle completed' });
            assert.ok(!client.received.some((m) => m.janus === 'error'), 'no Janus error');
        });

    test('the answer keeps exactly the extensions, feedback and rtx the doc lists', T, async () => {
        const { doc } = await activeSession();
        const { client, handle } = await join(doc.join.token);
        const { jsep } = await configureChromium(client, handle);
        const ms = sections(jsep.sdp);
        const text = `\n${jsep.sdp}`;
        assert.deepEqual(ms.map((m) => [m.kind, m.mid, m.direction]),
            [['audio', '0', 'sendrecv'], ['video', '1', 'sendrecv'], ['audio', '2', 'sendonly'],
                ['video', '3', 'sendonly']], text);
        for (const m of ms) {
            if (m.kind === 'audio') {
                // Opus only: no red, no telephone-event, no CN, no G.722/PCM.
                assert.deepEqual(m.rtpmap, { 111: 'opus/48000/2' }, text);
                assert.deepEqual(m.pts, ['111'], text);
                assert.deepEqual([...m.extmaps].sort(), [...AUDIO_EXTMAPS].sort(), text);
                assert.deepEqual(m.fb, {}, text);
            } else {
                // VP8 with its RFC 4588 rtx payload type, nothing else.
                assert.deepEqual(m.rtpmap, { 96: 'VP8/90000', 97: 'rtx/90000' }, text);
                assert.deepEqual([...m.pts].sort(), ['96', '97'], text);
                assert.deepEqual(m.apt, { 97: '96' }, text);
                assert.deepEqual([...m.extmaps].sort(), [...VIDEO_EXTMAPS].sort(), text);
                assert.deepEqual([...(m.fb['96'] || [])].sort(), VP8_FEEDBACK, text);
                assert.equal(m.fb['97'], undefined, text);
            }
        }
        assert.ok(!/a=(rid|simulcast|ssrc-group:SIM)/.test(jsep.sdp), 'no simulcast');
    });
});

describe('the handle after kicked, ended, denied, replaced, left', () => {
    // After each of them: the handle is attached and not joined (4031 to
    // requests that need a join), the Janus session and the WebSocket work.
    async function assertDetachedFromRoom(client, handle, what) {
        // A PeerConnection had been set up: Janus says when it is gone.
        await client.waitFor((m) => m.janus === 'hangup' && m.sender === handle, { what: `${what}: hangup` });
        const mark = client.received.length;
        const c = await client.message(handle, { request: 'configure' },
            { jsep: { type: 'offer', sdp: CHROMIUM_OFFER } });
        assert.equal(c.error_code, 4031, `${what}: configure: ${JSON.stringify(c)}`);
        // Janus had built a PeerConnection for that offer: the plugin has it
        // closed, so the next offer is not refused (490).
        await client.waitFor((m) => m.janus === 'hangup' && m.sender === handle,
            { from: mark, what: `${what}: hangup after the refused offer` });
        const l = await client.message(handle, { request: 'leave' });
        assert.equal(l.error_code, 4031, `${what}: leave: ${JSON.stringify(l)}`);
        const info = await client.request({ janus: 'info' });
        assert.equal(info.janus, 'server_info', `${what}: the WebSocket answers: ${JSON.stringify(info).slice(0, 200)}`);
    }

    test('kicked: Janus hangs up the PeerConnection, the same handle joins no more (4020)', T, async () => {
        const { sid } = await activeSession();
        const pat = await addParticipant(sid, { user_id: uniq('doc'), role: 'doctor' });
        const { client, handle, data } = await join(pat.join.token);
        assert.equal(data.status, 'admitted', JSON.stringify(data));
        await configureChromium(client, handle);
        const mark = client.received.length;
        const del = await api('DELETE', `/sessions/${sid}/participants/${pat.participant.id}`);
        assert.equal(del.status, 204, show(del));
        const kicked = await client.pluginEvent(handle, (d) => d.telemed === 'kicked', { from: mark, what: 'kicked' });
        assert.equal(kicked.reason, 'removed');
        // The plugin closed the PeerConnection: Janus tells the client.
        const hangup = await client.waitFor((m) => m.janus === 'hangup' && m.sender === handle,
            { from: mark, what: 'janus hangup' });
        assert.equal(typeof hangup.reason, 'string', JSON.stringify(hangup));
        await assertDetachedFromRoom(client, handle, 'kicked');
        const again = await client.message(handle, { request: 'join', token: pat.join.token });
        assert.equal(again.error_code, 4020, JSON.stringify(again));
    });

    test('ended: a join on the same handle is 4040', T, async () => {
        const { sid, doc } = await activeSession();
        const { client, handle } = await join(doc.join.token);
        await configureChromium(client, handle);
        const mark = client.received.length;
        await transition(sid, 'end');
        await client.pluginEvent(handle, (d) => d.telemed === 'ended', { from: mark, what: 'ended' });
        await assertDetachedFromRoom(client, handle, 'ended');
        const again = await client.message(handle, { request: 'join', token: doc.join.token });
        assert.equal(again.error_code, 4040, JSON.stringify(again));
    });

    test('denied: the same handle may join again (waiting) and negotiate a new PeerConnection', T, async () => {
        const { sid, doc } = await activeSession();
        const pat = await addParticipant(sid, { user_id: uniq('pat'), role: 'patient' });
        const d = await join(doc.join.token);
        const p = await join(pat.join.token);
        assert.equal(p.data.status, 'waiting', JSON.stringify(p.data));
        await configureChromium(p.client, p.handle);  // allowed in the lobby
        const mark = p.client.received.length;
        const denied = await d.client.message(d.handle, { request: 'deny', participant_id: pat.participant.id });
        assert.equal(denied.telemed, 'ok', JSON.stringify(denied));
        await p.client.pluginEvent(p.handle, (x) => x.telemed === 'denied', { from: mark, what: 'denied' });
        await assertDetachedFromRoom(p.client, p.handle, 'denied');

        const again = await p.client.message(p.handle, { request: 'join', token: pat.join.token });
        assert.equal(again.telemed, 'joined', JSON.stringify(again));
        assert.equal(again.status, 'waiting');
        const admit = await d.client.message(d.handle, { request: 'admit', participant_id: pat.participant.id });
        assert.equal(admit.telemed, 'ok', JSON.stringify(admit));
        const { data: conf, jsep } = await configureChromium(p.client, p.handle);
        assert.equal(conf.telemed, 'configured', JSON.stringify(conf));
        assert.equal(jsep && jsep.type, 'answer');
    });

    test('replaced: the old handle is out; a join on it would take the seat back', T, async () => {
        const { doc } = await activeSession();
        const first = await join(doc.join.token);
        await configureChromium(first.client, first.handle);
        const mark = first.client.received.length;
        const second = await join(doc.join.token);
        assert.equal(second.data.telemed, 'joined');
        const ev = await first.client.pluginEvent(first.handle, (x) => x.telemed === 'kicked',
            { from: mark, what: 'replaced' });
        assert.equal(ev.reason, 'replaced');
        await assertDetachedFromRoom(first.client, first.handle, 'replaced');
        const mark2 = second.client.received.length;
        const back = await first.client.message(first.handle, { request: 'join', token: doc.join.token });
        assert.equal(back.telemed, 'joined', JSON.stringify(back));
        const out = await second.client.pluginEvent(second.handle, (x) => x.telemed === 'kicked',
            { from: mark2, what: 'replaced back' });
        assert.equal(out.reason, 'replaced');
    });

    test('left: the same handle joins again, admitted without the lobby', T, async () => {
        const { sid } = await activeSession();
        const pat = await addParticipant(sid, { user_id: uniq('pat'), role: 'patient' });
        const d = await join((await addParticipant(sid, { user_id: uniq('doc'), role: 'doctor' })).join.token);
        const p = await join(pat.join.token);
        assert.equal(p.data.status, 'waiting');
        assert.equal((await d.client.message(d.handle, { request: 'admit', participant_id: pat.participant.id })).telemed,
            'ok');
        await p.client.pluginEvent(p.handle, (x) => x.telemed === 'admitted', { what: 'admitted' });
        await configureChromium(p.client, p.handle);
        assert.equal((await p.client.message(p.handle, { request: 'leave' })).telemed, 'left');
        await assertDetachedFromRoom(p.client, p.handle, 'left');
        const again = await p.client.message(p.handle, { request: 'join', token: pat.join.token });
        assert.equal(again.telemed, 'joined', JSON.stringify(again));
        assert.equal(again.status, 'admitted', 'within reconnect_grace_s: no lobby');
        const { data: conf } = await configureChromium(p.client, p.handle);
        assert.equal(conf.telemed, 'configured', JSON.stringify(conf));
    });

    test('a handle that never joined answers 4031, and a detached one is gone', T, async () => {
        const { client, handle } = await attached();
        open.push(client);
        const l = await client.message(handle, { request: 'leave' });
        assert.equal(l.error_code, 4031);
        const det = await client.request({ janus: 'detach', session_id: client.sessionId, handle_id: handle });
        assert.equal(det.janus, 'success', JSON.stringify(det));
        const gone = await client.request({ janus: 'message', session_id: client.sessionId, handle_id: handle,
            body: { request: 'leave' } });
        assert.equal(gone.janus, 'error', JSON.stringify(gone));
    });
});
