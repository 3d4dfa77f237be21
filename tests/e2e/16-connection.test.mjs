// Honest connection state in the web app (web/app/health.js): the header says
// "Connected" only when media flows, and a call whose media does not get
// through says so within 10 s, on both sides, in plain words with next steps.
//
// The patient's "network" is a UDP gate run by this test: its join link's
// ice_servers are rewritten to a TURN URL on the gate's port, and a page init
// script makes every RTCPeerConnection relay-only (a hospital firewall that
// only lets the clinic's TURN relay through). The gate either drops every
// datagram (a relay that does not answer) or forwards to the stack's coturn
// until told to drop (the network goes away in the middle of the call).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, ENV, appUrl, eventually, session, sleep } from './lib/telemed.mjs';

const T = { timeout: 120000 };
// The bound: a problem is on screen within 10 s.
const PROBLEM_MS = 10000;

// Emulates the patient's firewall: only relayed candidates, whatever the app asks.
const RELAY_ONLY = `(() => {
    const PC = window.RTCPeerConnection;
    class RelayOnly extends PC {
        constructor(config = {}, ...rest) {
            super({ ...config, iceTransportPolicy: 'relay' }, ...rest);
        }
        setConfiguration(config = {}) {
            return super.setConfiguration({ ...config, iceTransportPolicy: 'relay' });
        }
    }
    window.RTCPeerConnection = RelayOnly;
})();`;

// A UDP port between the browser and coturn: forwards both ways (one
// upstream socket per browser address, so coturn sees distinct clients), or
// drops everything. Without an upstream it only drops.
class UdpGate {
    constructor(upstreamPort = null) {
        this.upstreamPort = upstreamPort;
        this.drop = upstreamPort === null;
        this.seen = 0;           // datagrams from the browser
        this.ups = new Map();    // browser address -> upstream socket
    }

    async start() {
        this.sock = dgram.createSocket('udp4');
        this.sock.on('message', (msg, from) => this.fromBrowser(msg, from));
        this.sock.on('error', () => {});
        await new Promise((resolve) => this.sock.bind(0, '127.0.0.1', resolve));
        this.port = this.sock.address().port;
        return this;
    }

    fromBrowser(msg, from) {
        this.seen += 1;
        if (this.drop || this.upstreamPort === null) return;
        const key = `${from.address}:${from.port}`;
        let up = this.ups.get(key);
        if (!up) {
            up = dgram.createSocket('udp4');
            up.on('error', () => {});
            up.on('message', (back) => {
                if (!this.drop) this.sock.send(back, from.port, from.address);
            });
            up.bind(0, '127.0.0.1');
            this.ups.set(key, up);
        }
        up.send(msg, this.upstreamPort, '127.0.0.1');
    }

    close() {
        for (const up of this.ups.values()) up.close();
        this.ups.clear();
        this.sock?.close();
    }
}

function turnServer(join) {
    const turn = join.ice_servers.find((x) => [].concat(x.urls).some((u) => u.startsWith('turn:')));
    assert.ok(turn && turn.username && turn.credential, 'the join answer offers TURN with credentials');
    return turn;
}

// The stack's coturn port (udp).
function coturnPort(join) {
    const url = ENV.TURN_URL || [].concat(turnServer(join).urls).find((u) => u.startsWith('turn:'));
    const m = /^turn:[^:]+:(\d+)/.exec(url);
    assert.ok(m, `a TURN URL with a port: ${url}`);
    return Number(m[1]);
}

// The join object with its ice_servers replaced by the gate (same TURN
// credentials); the link is built from the fields (#join=base64url(JSON)).
function throughGate(join, gate) {
    const turn = turnServer(join);
    return {
        ...join,
        app_url: undefined,
        ice_servers: [{ urls: `turn:127.0.0.1:${gate.port}?transport=udp`, username: turn.username, credential: turn.credential }],
    };
}

async function openApp(b, name, join, { relayOnly = false } = {}) {
    const p = await b.participant(name);
    if (relayOnly) await p.context.addInitScript({ content: RELAY_ONLY });
    await p.goto(appUrl(join));
    // Every text the header shows, from now on (a "Connected" flash counts).
    await p.eval(() => {
        const conn = document.getElementById('conn');
        window.__connTexts = [conn.textContent];
        new MutationObserver(() => window.__connTexts.push(conn.textContent))
            .observe(conn, { childList: true, characterData: true, subtree: true });
    });
    return new AppPeer(p);
}

// What a participant's screen says about the connection.
function view(peer) {
    return peer.p.eval(() => {
        const banner = document.getElementById('conn-banner');
        const tiles = {};
        for (const box of document.querySelectorAll('[data-testid^="media-state-"]')) {
            tiles[box.closest('[data-participant-id]').dataset.participantId] = {
                media: box.dataset.media, shown: !box.hidden,
                badge: box.querySelector('.badge').textContent, text: box.querySelector('.media-text').textContent,
            };
        }
        const call = document.getElementById('conn-call');
        return {
            health: window.telemedApp.health,
            header: document.getElementById('conn').textContent,
            headers: window.__connTexts,
            banner: banner.hidden ? null : {
                kind: banner.dataset.kind, role: banner.getAttribute('role'),
                text: document.getElementById('conn-banner-text').textContent,
                retry: !document.getElementById('conn-retry').hidden,
                audioOnly: !document.getElementById('conn-audio-only').hidden,
                call: call.hidden ? null : { href: call.getAttribute('href'), text: call.textContent },
            },
            tiles,
        };
    });
}

// Waits until f(view) holds; returns {view, ms since `from`}.
async function until(peer, f, { from = Date.now(), ms = PROBLEM_MS + 5000, what }) {
    let last;
    await eventually(async () => {
        last = await view(peer);
        return f(last);
    }, { timeout: ms, interval: 200, what: `${peer.name}: ${what}` }).catch((e) => {
        throw new Error(`${e.message}; last view: ${JSON.stringify(last)}`);
    });
    return { view: last, ms: Date.now() - from };
}

const JARGON = /\b(ICE|TURN|STUN|DTLS|relay|RTP|packets?|WebRTC)\b/i;

const flowing = (v, other) => v.health.call === 'flowing' && v.header === 'Connected' && v.banner === null &&
    v.tiles[other]?.media === 'flowing' && !v.tiles[other].shown;
const hasProblem = (v) => v.health.problem && v.header !== 'Connected' && v.banner !== null && /Connection problem/.test(v.banner.text);
const problemWith = (v, other) => v.tiles[other]?.media === 'interrupted' && v.tiles[other].shown &&
    v.tiles[other].badge === 'Connection problem' && v.header !== 'Connected';

function assertPlainWords(v, who) {
    for (const s of [v.header, v.banner?.text ?? '', ...Object.values(v.tiles).flatMap((x) => [x.badge, x.text])]) {
        assert.doesNotMatch(s, JARGON, `${who}: no jargon in "${s}"`);
    }
}

test('blocked media: a relay that drops everything shows a connection problem on both sides within 10 s', T, async (t) => {
    const gate = await new UdpGate().start();   // answers nothing, forwards nothing
    t.after(() => gate.close());
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        const doctor = await openApp(b, 'doctor', D.join);
        await doctor.screen('call');
        await doctor.p.waitVisible(`tile-${D.id}`);

        const patient = await openApp(b, 'patient', throughGate(P.join, gate), { relayOnly: true });
        await patient.screen('call');
        const t0 = Date.now();

        const pv = await until(patient, hasProblem, { from: t0, what: 'a connection problem on screen' });
        t.diagnostic(`patient: problem shown ${pv.ms} ms after the call screen: ${JSON.stringify(pv.view.health)} "${pv.view.header}"`);
        const dv = await until(doctor, (v) => problemWith(v, P.id), { from: t0, what: 'a connection problem with the patient' });
        t.diagnostic(`doctor: problem with the patient shown ${dv.ms} ms after the patient's call screen: ${JSON.stringify(dv.view.health)} "${dv.view.header}"`);
        assert.ok(pv.ms <= PROBLEM_MS, `patient: within ${PROBLEM_MS} ms (took ${pv.ms})`);
        assert.ok(dv.ms <= PROBLEM_MS, `doctor: within ${PROBLEM_MS} ms (took ${dv.ms})`);
        assert.ok(gate.seen > 0, 'the patient\'s browser did try the relay');

        // The patient: never "Connected", a problem said in plain words, the next steps.
        await sleep(1000);
        const pNow = await view(patient);
        assert.ok(!pNow.headers.includes('Connected'), `the patient's header never said Connected: ${JSON.stringify(pNow.headers)}`);
        assert.ok(hasProblem(pNow), `the patient still sees the problem: ${JSON.stringify(pNow)}`);
        assert.ok(['failed', 'interrupted', 'connecting'].includes(pNow.health.call), `patient's call state: ${pNow.health.call}`);
        assert.equal(pNow.banner.kind, 'connection');
        assert.equal(pNow.banner.role, 'alert');
        assert.ok(pNow.banner.retry, 'a "Try again" button');
        assert.ok(pNow.banner.audioOnly, 'a "Continue with sound only" button (the camera is published)');
        if (P.join.support_phone) {
            assert.ok(pNow.banner.call && pNow.banner.call.href.startsWith('tel:'), `the clinic's number: ${JSON.stringify(pNow.banner.call)}`);
        } else {
            assert.equal(pNow.banner.call, null, 'no "Call the clinic" link without a configured number');
        }
        assert.notEqual(pNow.tiles[D.id]?.media, 'flowing', `the patient does not claim the doctor's media flows: ${JSON.stringify(pNow.tiles)}`);
        assertPlainWords(pNow, 'patient');

        // The doctor: its own link is fine, the patient's is not, and it says whose.
        const dNow = await view(doctor);
        assert.ok(problemWith(dNow, P.id), `the doctor still sees the patient's problem: ${JSON.stringify(dNow)}`);
        assert.match(dNow.tiles[P.id].text, /Patient E2E.*you may not see or hear them/, 'the tile explains it');
        assert.match(dNow.header, /Patient E2E/, `the header names whose connection has a problem: "${dNow.header}"`);
        assert.equal(dNow.health.participants[P.id], 'interrupted');
        assertPlainWords(dNow, 'doctor');

        t.diagnostic(`patient: ${await patient.screenshot('blocked-patient')}`);
        t.diagnostic(`doctor: ${await doctor.screenshot('blocked-doctor')}`);

        // "Continue with sound only": the camera is no longer sent, the microphone is.
        await patient.click('connection-audio-only');
        await eventually(async () => {
            const a = await patient.app();
            const v = await view(patient);
            return !a.publishing.video && a.publishing.audio && v.banner && !v.banner.audioOnly;
        }, { timeout: 10000, what: 'the patient publishes sound only' });
        await eventually(() => doctor.p.eval((pid) => {
            const p = window.telemedClient.participants.get(pid);
            return p && !p.publishing.includes('video') && p.publishing.includes('audio');
        }, P.id), { timeout: 10000, what: 'the doctor sees the patient publishing sound only' });
    });
});

test('normal call: "Connected" and flowing tiles on both sides', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        const doctor = await openApp(b, 'doctor', D.join);
        const patient = await openApp(b, 'patient', P.join);
        await doctor.screen('call');
        await patient.screen('call');
        const dv = await until(doctor, (v) => flowing(v, P.id), { ms: 20000, what: 'connected, the patient flowing' });
        const pv = await until(patient, (v) => flowing(v, D.id), { ms: 20000, what: 'connected, the doctor flowing' });
        assert.deepEqual(dv.view.health.participants, { [P.id]: 'flowing' });
        assert.deepEqual(pv.view.health.participants, { [D.id]: 'flowing' });
        // The patient turns the camera off: not a connection problem (its
        // sound still flows), and back on.
        await patient.click('toggle-camera');
        await eventually(() => doctor.p.eval((pid) => window.telemedClient.participants.get(pid)?.muted.includes('video'), P.id),
            { timeout: 10000, what: 'the doctor sees the patient\'s camera off' });
        await sleep(6000);
        const muted = await view(doctor);
        assert.ok(flowing(muted, P.id), `a camera turned off is not a connection problem: ${JSON.stringify(muted)}`);
        await patient.click('toggle-camera');
        // A few seconds later it still says so (no false alarm in a healthy call).
        await sleep(5000);
        for (const [peer, other] of [[doctor, P.id], [patient, D.id]]) {
            const v = await view(peer);
            assert.ok(flowing(v, other), `${peer.name}: still connected and flowing: ${JSON.stringify(v)}`);
            assert.ok(!v.headers.includes('Connection problem'), `${peer.name}: no problem was shown: ${JSON.stringify(v.headers)}`);
        }
        t.diagnostic(`doctor: ${await doctor.screenshot('normal-doctor')}`);
    });
});

test('interruption: the patient\'s network drops mid-call, both sides say so within 10 s, and "Connected" once it is back', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        const gate = await new UdpGate(coturnPort(P.join)).start();
        t.after(() => gate.close());
        const doctor = await openApp(b, 'doctor', D.join);
        const patient = await openApp(b, 'patient', throughGate(P.join, gate), { relayOnly: true });
        await doctor.screen('call');
        await patient.screen('call');
        await until(doctor, (v) => flowing(v, P.id), { ms: 20000, what: 'connected, the patient flowing' });
        await until(patient, (v) => flowing(v, D.id), { ms: 20000, what: 'connected, the doctor flowing (through the relay)' });
        const pair = (await patient.stats()).find((x) => x.pair)?.pair;
        assert.equal(pair?.local?.type, 'relay', `the patient goes through the relay: ${JSON.stringify(pair)}`);

        // The network goes away (nothing in or out, no goodbye to anyone).
        gate.drop = true;
        const t0 = Date.now();
        const dv = await until(doctor, (v) => problemWith(v, P.id), { from: t0, what: 'the patient\'s media interrupted' });
        const pv = await until(patient, hasProblem, { from: t0, what: 'a connection problem on screen' });
        t.diagnostic(`doctor: patient interrupted after ${dv.ms} ms (${JSON.stringify(dv.view.health)}, "${dv.view.header}")`);
        t.diagnostic(`patient: problem after ${pv.ms} ms (${JSON.stringify(pv.view.health)}, "${pv.view.header}")`);
        assert.ok(dv.ms <= PROBLEM_MS, `doctor: within ${PROBLEM_MS} ms (took ${dv.ms})`);
        assert.ok(pv.ms <= PROBLEM_MS, `patient: within ${PROBLEM_MS} ms (took ${pv.ms})`);
        assert.match(dv.view.tiles[P.id].text, /Patient E2E/);
        t.diagnostic(`doctor: ${await doctor.screenshot('interrupted-doctor')}`);
        t.diagnostic(`patient: ${await patient.screenshot('interrupted-patient')}`);

        // "Try again" while the network is still down: a new ICE negotiation
        // (a new local ICE username), and still no false "Connected".
        const ufrag = async () => (await patient.stats()).filter((x) => x.signalingState !== 'closed').at(-1)?.ufrag;
        const before = await ufrag();
        const errors = (await patient.app()).errors.length;
        await patient.click('connection-retry');
        await eventually(async () => (await ufrag()) !== before, { timeout: 10000, what: 'an ICE restart (new ufrag)' });
        await sleep(1000);
        const still = await view(patient);
        assert.ok(hasProblem(still), `still a problem while the network is down: ${JSON.stringify(still)}`);
        assert.equal((await patient.app()).errors.length, errors, 'Try again raised no error');

        // The network is back: both sides say "Connected" again by themselves
        // (the SDK restarts ICE while it is disconnected).
        gate.drop = false;
        await until(patient, (v) => flowing(v, D.id), { ms: 25000, what: 'connected again' });
        await until(doctor, (v) => flowing(v, P.id), { ms: 15000, what: 'the patient flowing again' });
    });
});
