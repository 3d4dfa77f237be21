// A small Janus API client over WebSocket for Node (subprotocol
// "janus-protocol"), used by the non-browser peers of fixed_cost.mjs: one
// Janus session per connection, handles with an event queue, trickle in both
// directions (remote candidates buffered until the remote description is set).
import { randomUUID } from 'node:crypto';

import WebSocket from 'ws';
import { RTCPeerConnection, useOPUS, useSdesMid, useVP8 } from 'werift';

import { within } from './common.mjs';

export class JanusNode {
    // janusToken: Janus token_auth (sent in every request).
    constructor(url, janusToken = null) {
        this.url = url;
        this.janusToken = janusToken;
        this.ws = null;
        this.sessionId = null;
        this.pending = new Map();
        this.handles = new Map();
        this.keepalive = null;
    }

    async open() {
        this.ws = new WebSocket(this.url, 'janus-protocol');
        this.ws.on('message', (buf) => this.onMessage(JSON.parse(buf.toString())));
        this.ws.on('close', () => {
            for (const p of this.pending.values()) p.reject(new Error('websocket closed'));
            this.pending.clear();
        });
        await within(new Promise((resolve, reject) => {
            this.ws.once('open', resolve);
            this.ws.once('error', reject);
        }), 5000, 'websocket open');
        const r = await this.send({ janus: 'create' });
        this.sessionId = r.data.id;
        this.keepalive = setInterval(() => this.raw({ janus: 'keepalive' }), 25000);
    }

    raw(msg) {
        if (this.ws.readyState !== WebSocket.OPEN) return;
        this.ws.send(JSON.stringify({ ...msg, session_id: this.sessionId, transaction: randomUUID(),
            ...(this.janusToken ? { token: this.janusToken } : {}) }));
    }

    onMessage(m) {
        const p = m.transaction ? this.pending.get(m.transaction) : undefined;
        if (p) {
            if (m.janus === 'ack' && p.wantEvent) return;
            this.pending.delete(m.transaction);
            const data = m.plugindata?.data;
            if (m.janus === 'error') p.reject(new Error(`janus error ${m.error?.code}: ${m.error?.reason}`));
            else if (data && (data.error_code || data.telemed === 'error')) p.reject(new Error(`plugin error ${data.error_code}: ${data.error}`));
            else p.resolve(m);
            return;
        }
        const h = m.sender !== undefined ? this.handles.get(m.sender) : undefined;
        if (h) h.onMessage(m);
    }

    send(body, { wantEvent = false, timeoutMs = 15000 } = {}) {
        const transaction = randomUUID();
        const msg = { ...body, transaction };
        if (this.sessionId !== null) msg.session_id = this.sessionId;
        if (this.janusToken) msg.token = this.janusToken;
        return within(new Promise((resolve, reject) => {
            this.pending.set(transaction, { resolve, reject, wantEvent });
            this.ws.send(JSON.stringify(msg));
        }), timeoutMs, `janus ${body.janus} ${body.body?.request ?? ''}`);
    }

    async attach(plugin) {
        const r = await this.send({ janus: 'attach', plugin });
        const h = new NodeHandle(this, r.data.id);
        this.handles.set(h.id, h);
        return h;
    }

    async close() {
        clearInterval(this.keepalive);
        for (const h of this.handles.values()) await h.closePc();
        if (this.ws && this.ws.readyState === WebSocket.OPEN) {
            try { await this.send({ janus: 'destroy' }, { timeoutMs: 5000 }); } catch { /* gone */ }
            this.ws.close();
        }
    }
}

export class NodeHandle {
    constructor(janus, id) {
        this.janus = janus;
        this.id = id;
        this.pc = null;
        this.remoteCandidates = [];
        this.webrtcup = false;
        this.events = [];
        this.waiters = [];
    }

    onMessage(m) {
        if (m.janus === 'trickle') {
            const c = m.candidate;
            if (!c || c.completed) return;
            if (this.pc && this.pc.remoteDescription) this.pc.addIceCandidate(c).catch(() => {});
            else this.remoteCandidates.push(c);
        } else if (m.janus === 'webrtcup') {
            this.webrtcup = true;
            this.wake();
        } else if (m.janus === 'event') {
            this.events.push(m);
            this.wake();
        }
    }

    wake() {
        for (const w of this.waiters.splice(0)) w();
    }

    // Resolves when pred() is true (checked on every message of this handle).
    until(pred, timeoutMs, what) {
        return within(new Promise((resolve) => {
            const check = () => { if (pred()) resolve(); else this.waiters.push(check); };
            check();
        }), timeoutMs, what);
    }

    message(body, jsep, opts = {}) {
        const m = { janus: 'message', handle_id: this.id, body };
        if (jsep) m.jsep = jsep;
        return this.janus.send(m, { wantEvent: true, ...opts });
    }

    // Takes a werift RTCPeerConnection: local candidates trickle to Janus.
    usePc(pc) {
        this.pc = pc;
        pc.onIceCandidate.subscribe((c) => {
            const candidate = c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : { completed: true };
            this.janus.raw({ janus: 'trickle', handle_id: this.id, candidate });
        });
    }

    async setRemote(jsep) {
        await this.pc.setRemoteDescription(jsep);
        for (const c of this.remoteCandidates.splice(0)) this.pc.addIceCandidate(c).catch(() => {});
    }

    async closePc() {
        if (this.pc) {
            const pc = this.pc;
            this.pc = null;
            try { await within(pc.close(), 3000, 'pc close'); } catch { /* best effort */ }
        }
    }
}

// A werift PeerConnection as the benchmarks' peers use it: Opus/111 and
// VP8/96 only, the mid header extension, one BUNDLE transport, IPv4.
export function newPc() {
    return new RTCPeerConnection({
        codecs: { audio: [useOPUS({ payloadType: 111 })], video: [useVP8({ payloadType: 96 })] },
        headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
        iceUseIpv6: false,
        bundlePolicy: 'max-bundle',
    });
}

// Resolves when a werift PeerConnection is connected (ICE and DTLS up);
// rejects when it fails or after `ms`.
export function waitConnected(pc, ms, what) {
    return within(new Promise((resolve, reject) => {
        const check = () => {
            if (pc.connectionState === 'connected') resolve();
            else if (pc.connectionState === 'failed') reject(new Error(`${what}: ICE/DTLS failed`));
        };
        pc.connectionStateChange.subscribe(check);
        check();
    }), ms, what);
}
