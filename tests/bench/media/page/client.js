// Browser side of tests/bench/media/join_to_frame.mjs: a minimal Janus API
// client over WebSocket (subprotocol "janus-protocol") and the four roles a
// page can play, each written the plain way a client of that plugin works:
//
//   vrPublisher / vrJoiner       janus.plugin.videoroom: a publisher handle
//                                (join ptype=publisher, publish) and, for the
//                                joiner, a multistream subscriber handle
//                                (join ptype=subscriber streams=[{feed}],
//                                Janus offers, the client answers with start)
//   tmPublisher / tmJoiner       janus.plugin.telemed, raw Janus API: join
//                                {token}, ONE PeerConnection carrying the
//                                camera (sendrecv: also the first slots),
//                                configure with the client's offer
//   sdkJoiner / sdkPublisher     the same through web/telemed.js
//
// Times are performance.now() of this page. A joiner's clock starts when the
// `join` request leaves (window.__bench.joinSentAt, recorded by a wrapper of
// WebSocket.prototype.send so the SDK path is timed at the same point) and
// stops when getStats shows framesDecoded > 0 on an inbound video stream
// (polled every 20 ms). Everything before the join (getUserMedia, WebSocket,
// Janus session, attach) happens before the clock starts, for both plugins.

const POLL_MS = 20;

// ---------------------------------------------------------------- timing hook

window.__bench = { joinSentAt: null, marks: {} };
const origSend = WebSocket.prototype.send;
WebSocket.prototype.send = function send(data) {
    if (window.__bench.joinSentAt === null && typeof data === 'string' && data.length < 65536) {
        try {
            const m = JSON.parse(data);
            if (m.janus === 'message' && m.body && m.body.request === 'join' && m.body.ptype !== 'subscriber') {
                window.__bench.joinSentAt = performance.now();
            }
        } catch { /* not JSON: not ours to time */ }
    }
    return origSend.call(this, data);
};

function mark(name) {
    if (window.__bench.marks[name] === undefined) window.__bench.marks[name] = performance.now();
}

function withTimeout(promise, ms, what) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- Janus API

let txCounter = 0;
function tx() {
    txCounter += 1;
    return `b${txCounter}-${Math.random().toString(36).slice(2, 10)}`;
}

export class Janus {
    // janusToken: Janus token_auth (sent in every request but info/ping).
    constructor(url, janusToken = null) {
        this.url = url;
        this.janusToken = janusToken;
        this.ws = null;
        this.sessionId = null;
        this.pending = new Map();     // transaction -> {resolve, reject, wantEvent}
        this.handlers = new Map();    // handle id -> function(msg)
        this.handles = [];
        this.keepalive = null;
    }

    open(timeoutMs = 5000) {
        return withTimeout(new Promise((resolve, reject) => {
            const ws = new WebSocket(this.url, 'janus-protocol');
            this.ws = ws;
            ws.onopen = () => resolve();
            ws.onerror = () => reject(new Error('websocket error'));
            ws.onclose = () => {
                for (const p of this.pending.values()) p.reject(new Error('websocket closed'));
                this.pending.clear();
            };
            ws.onmessage = (ev) => this.onMessage(JSON.parse(ev.data));
        }), timeoutMs, 'websocket open');
    }

    onMessage(msg) {
        const p = msg.transaction ? this.pending.get(msg.transaction) : undefined;
        if (p) {
            if (msg.janus === 'ack' && p.wantEvent) return;
            this.pending.delete(msg.transaction);
            if (msg.janus === 'error') {
                p.reject(new Error(`janus error ${msg.error?.code}: ${msg.error?.reason}`));
                return;
            }
            const data = msg.plugindata?.data;
            if (data && (data.error_code || data.telemed === 'error')) {
                p.reject(new Error(`plugin error ${data.error_code}: ${data.error}`));
                return;
            }
            p.resolve(msg);
            return;
        }
        const h = msg.sender !== undefined ? this.handlers.get(msg.sender) : undefined;
        if (h) h(msg);
    }

    // Sends a Janus request; resolves the success (or, with wantEvent, the
    // plugin event answering the same transaction).
    send(body, { wantEvent = false, timeoutMs = 10000 } = {}) {
        const transaction = tx();
        const msg = { ...body, transaction };
        if (this.sessionId !== null && msg.session_id === undefined && body.janus !== 'create') msg.session_id = this.sessionId;
        if (this.janusToken) msg.token = this.janusToken;
        return withTimeout(new Promise((resolve, reject) => {
            this.pending.set(transaction, { resolve, reject, wantEvent });
            this.ws.send(JSON.stringify(msg));
        }), timeoutMs, `janus ${body.janus} ${body.body?.request ?? ''}`);
    }

    async createSession() {
        const r = await this.send({ janus: 'create' });
        this.sessionId = r.data.id;
        this.keepalive = setInterval(() => {
            if (this.ws.readyState === WebSocket.OPEN) {
                this.ws.send(JSON.stringify({ janus: 'keepalive', session_id: this.sessionId, transaction: tx(),
                    ...(this.janusToken ? { token: this.janusToken } : {}) }));
            }
        }, 25000);
    }

    async attach(plugin) {
        const r = await this.send({ janus: 'attach', plugin });
        const h = new Handle(this, r.data.id);
        this.handles.push(h);
        return h;
    }

    async destroy() {
        clearInterval(this.keepalive);
        if (this.ws && this.ws.readyState === WebSocket.OPEN && this.sessionId !== null) {
            try { await this.send({ janus: 'destroy' }, { timeoutMs: 3000 }); } catch { /* gone already */ }
        }
        try { this.ws.close(); } catch { /* closed */ }
    }
}

class Handle {
    constructor(janus, id) {
        this.janus = janus;
        this.id = id;
        this.events = [];          // unsolicited plugin events
        this.eventWaiters = [];
        this.pc = null;
        this.remoteCandidates = [];  // buffered until the remote description is set
        this.webrtcup = false;
        janus.handlers.set(id, (m) => this.onMessage(m));
    }

    onMessage(m) {
        if (m.janus === 'trickle') {
            const c = m.candidate;
            if (!c || c.completed) return;
            if (this.pc && this.pc.remoteDescription) this.pc.addIceCandidate(c).catch(() => {});
            else this.remoteCandidates.push(c);
        } else if (m.janus === 'webrtcup') {
            this.webrtcup = true;
        } else if (m.janus === 'event') {
            if (this.onEventHook) this.onEventHook(m.plugindata?.data ?? {});
            this.events.push(m);
            for (const w of this.eventWaiters.splice(0)) w();
        }
    }

    // Resolves the first unsolicited event for which pred(msg) is true.
    waitEvent(pred, timeoutMs, what) {
        return withTimeout(new Promise((resolve) => {
            const check = () => {
                const i = this.events.findIndex(pred);
                if (i >= 0) { resolve(this.events.splice(i, 1)[0]); return true; }
                return false;
            };
            if (check()) return;
            const loop = () => { if (!check()) this.eventWaiters.push(loop); };
            this.eventWaiters.push(loop);
        }), timeoutMs, what);
    }

    message(body, jsep, opts = {}) {
        const m = { janus: 'message', handle_id: this.id, body };
        if (jsep) m.jsep = jsep;
        return this.janus.send(m, { wantEvent: true, ...opts });
    }

    // A PeerConnection whose local candidates trickle to this handle.
    makePc() {
        const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
        pc.onicecandidate = (e) => {
            const candidate = e.candidate ? e.candidate.toJSON() : { completed: true };
            if (this.janus.ws.readyState !== WebSocket.OPEN) return;
            this.janus.ws.send(JSON.stringify({ janus: 'trickle', session_id: this.janus.sessionId,
                handle_id: this.id, transaction: tx(), candidate }));
        };
        this.pc = pc;
        return pc;
    }

    async setRemote(jsep) {
        await this.pc.setRemoteDescription(jsep);
        for (const c of this.remoteCandidates.splice(0)) this.pc.addIceCandidate(c).catch(() => {});
    }
}

// ---------------------------------------------------------------- helpers

export async function camera() {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 30 } });
}

async function waitConnected(pc, timeoutMs, what) {
    if (pc.connectionState === 'connected') return;
    await withTimeout(new Promise((resolve, reject) => {
        pc.addEventListener('connectionstatechange', () => {
            if (pc.connectionState === 'connected') resolve();
            if (pc.connectionState === 'failed') reject(new Error(`${what}: connection failed`));
        });
    }), timeoutMs, what);
}

// What the inbound video streams of pc got so far (for failure messages).
async function videoDiag(pc) {
    const out = [];
    const stats = await pc.getStats();
    for (const s of stats.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
            const codec = s.codecId ? stats.get(s.codecId) : undefined;
            out.push(`mid ${s.mid} ssrc ${s.ssrc} codec ${codec ? `${codec.mimeType}/${codec.payloadType}` : 'none'}: packets ${s.packetsReceived} frames ${s.framesReceived ?? 0}/${s.framesDecoded ?? 0} ` +
                `keyframes ${s.keyFramesDecoded ?? 0} pli ${s.pliCount ?? 0} fir ${s.firCount ?? 0} nack ${s.nackCount ?? 0}`);
        }
    }
    return `pc ${pc.connectionState}; ${out.join('; ') || 'no inbound video stream'}`;
}

// Resolves performance.now() of the first poll that sees a decoded frame on
// any inbound video stream of pc.
function firstFrame(pc, timeoutMs) {
    return withTimeout(new Promise((resolve, reject) => {
        const poll = async () => {
            try {
                const stats = await pc.getStats();
                for (const s of stats.values()) {
                    if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
                    // Where the time goes: first packets, first complete frame, decode.
                    if (s.packetsReceived > 0) mark('video_rx');
                    if (s.framesReceived > 0) mark('frame_rx');
                    if (s.framesDecoded > 0) {
                        window.__bench.counts = { pli: s.pliCount ?? 0, nack: s.nackCount ?? 0, fir: s.firCount ?? 0 };
                        resolve(performance.now());
                        return;
                    }
                }
            } catch (e) {
                reject(e);
                return;
            }
            setTimeout(poll, POLL_MS);
        };
        poll();
    }), timeoutMs, 'first decoded frame').catch(async (e) => {
        throw new Error(`${e.message} (${await videoDiag(pc).catch(() => '?')}; ${window.__bench.diag ?? ''})`);
    });
}

function result(extra = {}) {
    const b = window.__bench;
    const phases = {};
    for (const [k, v] of Object.entries(b.marks)) phases[k] = Math.round((v - b.joinSentAt) * 10) / 10;
    return { joinSentAt: b.joinSentAt, joinEpoch: performance.timeOrigin + b.joinSentAt, phases, counts: b.counts ?? null, ...extra };
}

// ---------------------------------------------------------------- VideoRoom

const VR = 'janus.plugin.videoroom';

export async function vrPublisher({ wsUrl, room, janusToken, timeoutMs = 20000 }) {
    const stream = await camera();
    const janus = new Janus(wsUrl, janusToken);
    await janus.open();
    await janus.createSession();
    const h = await janus.attach(VR);
    const joined = await h.message({ request: 'join', ptype: 'publisher', room, display: 'pub' });
    const feed = joined.plugindata.data.id;
    const pc = h.makePc();
    for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    const r = await h.message({ request: 'publish', audiocodec: 'opus', videocodec: 'vp8' }, pc.localDescription);
    await h.setRemote(r.jsep);
    await waitConnected(pc, timeoutMs, 'publisher PeerConnection');
    window.__bench.keep = { janus, stream };
    return { feed };
}

// Joins as a publisher (publishing its own camera) and subscribes to `feed`
// with a multistream subscriber handle, the usual VideoRoom way.
export async function vrJoiner({ wsUrl, room, feed, janusToken, timeoutMs = 20000 }) {
    const stream = await camera();
    const janus = new Janus(wsUrl, janusToken);
    window.__bench.keep = { janus, stream };
    await janus.open();
    await janus.createSession();
    const pub = await janus.attach(VR);

    // --- clock starts when this join leaves
    const joined = await pub.message({ request: 'join', ptype: 'publisher', room, display: 'joiner' });
    mark('joined');
    const others = joined.plugindata.data.publishers || [];
    if (!others.some((p) => p.id === feed)) throw new Error('feed not listed in joined.publishers');

    const subscribe = (async () => {
        const sub = await janus.attach(VR);
        mark('sub_attached');
        const att = await sub.message({ request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
        mark('sub_offer');
        const pc = sub.makePc();
        await sub.setRemote(att.jsep);
        await pc.setLocalDescription(await pc.createAnswer());
        await sub.message({ request: 'start' }, pc.localDescription);
        mark('sub_started');
        pc.addEventListener('connectionstatechange', () => { if (pc.connectionState === 'connected') mark('sub_connected'); });
        return pc;
    })();
    const publish = (async () => {
        const pc = pub.makePc();
        for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [stream] });
        await pc.setLocalDescription(await pc.createOffer());
        const r = await pub.message({ request: 'publish', audiocodec: 'opus', videocodec: 'vp8' }, pc.localDescription);
        await pub.setRemote(r.jsep);
        mark('pub_answered');
    })();
    const subPc = await subscribe;
    const t1 = await firstFrame(subPc, timeoutMs);
    await publish;
    return result({ frameAt: t1, ms: t1 - window.__bench.joinSentAt });
}

// ---------------------------------------------------------------- telemed (raw Janus API)

const TM = 'janus.plugin.telemed';

async function tmConnect(wsUrl, janusToken) {
    const janus = new Janus(wsUrl, janusToken);
    await janus.open();
    await janus.createSession();
    const h = await janus.attach(TM);
    return { janus, h };
}

// One PeerConnection as web/telemed.js makes it: camera + mic sendrecv (the
// first slot of each kind), then `slots` - 1 recvonly audio and video
// transceivers; configure with the offer, apply the answer.
async function tmPublish(h, stream, slots) {
    const pc = h.makePc();
    const sources = [];
    for (const t of stream.getTracks()) {
        const tr = pc.addTransceiver(t, { direction: slots > 0 ? 'sendrecv' : 'sendonly', streams: [stream] });
        sources.push({ tr, source: t.kind });
    }
    for (let i = 1; i < slots; i += 1) {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
    }
    await pc.setLocalDescription(await pc.createOffer());
    mark('offer_set');
    const body = { request: 'configure', sources: sources.map((s) => ({ mid: s.tr.mid, source: s.source })) };
    const r = await h.message(body, pc.localDescription);
    mark('answer_rx');
    if (!r.jsep) throw new Error('configure answered without jsep');
    await h.setRemote(r.jsep);
    return { pc, configured: r.plugindata.data };
}

async function tmJoin(h, token) {
    const r = await h.message({ request: 'join', token });
    const d = r.plugindata.data;
    if (d.telemed !== 'joined') throw new Error(`join answered ${d.telemed}`);
    if (d.status && d.status !== 'admitted') throw new Error(`join: status ${d.status} (lobby)`);
    return d;
}

export async function tmPublisher({ wsUrl, token, janusToken, timeoutMs = 20000 }) {
    const stream = await camera();
    const { janus, h } = await tmConnect(wsUrl, janusToken);
    window.__bench.keep = { janus, stream };
    const joined = await tmJoin(h, token);
    const { pc } = await tmPublish(h, stream, 1);
    await waitConnected(pc, timeoutMs, 'publisher PeerConnection');
    return { participant: joined.participant_id };
}

export async function tmJoiner({ wsUrl, token, janusToken, slots = 1, timeoutMs = 20000 }) {
    const stream = await camera();
    const { janus, h } = await tmConnect(wsUrl, janusToken);
    window.__bench.keep = { janus, stream };

    // --- clock starts when this join leaves
    await tmJoin(h, token);
    mark('joined');
    const { pc, configured } = await tmPublish(h, stream, slots);
    mark('configured');
    window.__bench.diag = `configured streams ${JSON.stringify(configured.streams)} unassigned ${JSON.stringify(configured.unassigned)}`;
    h.onEventHook = (d) => {
        window.__bench.diag += `; event ${d.telemed} ${JSON.stringify(d.streams ?? '')}`;
        if (d.telemed === 'streams' && !window.__bench.counts) mark('streams_event');
    };
    pc.addEventListener('connectionstatechange', () => { if (pc.connectionState === 'connected') mark('connected'); });
    const t1 = await firstFrame(pc, timeoutMs);
    return result({ frameAt: t1, ms: t1 - window.__bench.joinSentAt });
}

// ---------------------------------------------------------------- telemed (web/telemed.js)

export async function sdkJoiner({ wsUrl, token, janusToken, sdkUrl, slots = 1, timeoutMs = 20000 }) {
    const { TelemedClient } = await import(sdkUrl);
    const stream = await camera();
    const client = new TelemedClient({ janusUrl: wsUrl, token, janusToken, iceServers: [], slots: { audio: slots, video: slots },
        requestTimeoutMs: timeoutMs });
    window.__bench.keep = { client, stream };
    // connect() opens the WebSocket, creates the session, attaches and joins;
    // the clock starts inside it, when the join request is sent.
    const joined = await client.connect();
    mark('joined');
    if (joined.status && joined.status !== 'admitted') throw new Error(`join: status ${joined.status} (lobby)`);
    await client.publish({ stream, audio: true, video: true });
    mark('configured');
    const t1 = await firstFrame(client.pc, timeoutMs);
    return result({ frameAt: t1, ms: t1 - window.__bench.joinSentAt });
}

export async function sdkPublisher({ wsUrl, token, janusToken, sdkUrl, timeoutMs = 20000 }) {
    const { TelemedClient } = await import(sdkUrl);
    const stream = await camera();
    const client = new TelemedClient({ janusUrl: wsUrl, token, janusToken, iceServers: [], slots: { audio: 1, video: 1 },
        requestTimeoutMs: timeoutMs });
    window.__bench.keep = { client, stream };
    const joined = await client.connect();
    await client.publish({ stream, audio: true, video: true });
    await waitConnected(client.pc, timeoutMs, 'publisher PeerConnection');
    return { participant: joined.participant_id };
}

// What the publisher page's PeerConnections sent (failure messages of the joiners).
export async function publisherDiag() {
    const k = window.__bench.keep;
    const pcs = k?.client ? [k.client.pc] : (k?.janus?.handles ?? []).map((h) => h.pc);
    const out = [];
    for (const pc of pcs.filter(Boolean)) {
        for (const s of (await pc.getStats()).values()) {
            if (s.type === 'outbound-rtp' && s.kind === 'video') {
                out.push(`sent ${s.packetsSent} pkts ${s.framesEncoded} frames ${s.keyFramesEncoded} keyframes; ` +
                    `got pli ${s.pliCount} fir ${s.firCount} nack ${s.nackCount}`);
            }
        }
    }
    return `publisher: ${out.join('; ') || 'no outbound video'}`;
}

// Publisher side of the join diagnostics: polls its outbound video every
// 10 ms and records when a PLI/FIR arrived and when a keyframe was encoded
// and sent, as epoch ms (performance.timeOrigin + now, comparable across the
// pages of one browser). publisherEvents(since) returns those after `since`.
export function publisherWatch() {
    const k = window.__bench.keep;
    const pcs = k?.client ? [k.client.pc] : (k?.janus?.handles ?? []).map((h) => h.pc);
    const ev = [];
    let last = null;
    const poll = async () => {
        for (const pc of pcs.filter(Boolean)) {
            for (const s of (await pc.getStats()).values()) {
                if (s.type !== 'outbound-rtp' || s.kind !== 'video') continue;
                const now = performance.timeOrigin + performance.now();
                const cur = { req: (s.pliCount ?? 0) + (s.firCount ?? 0), key: s.keyFramesEncoded ?? 0 };
                if (last && cur.req > last.req) ev.push({ at: now, what: 'pli' });
                if (last && cur.key > last.key) ev.push({ at: now, what: 'keyframe' });
                last = cur;
            }
        }
        if (ev.length > 1000) ev.splice(0, 500);
        window.__bench.watchTimer = setTimeout(poll, 10);
    };
    poll();
    window.__bench.pubEvents = ev;
    return true;
}

export function publisherEvents(since) {
    return (window.__bench.pubEvents ?? []).filter((e) => e.at >= since);
}

// ---------------------------------------------------------------- teardown

// Leaves and destroys the Janus session explicitly (Janus keeps a session
// whose WebSocket closed for reclaim_session_timeout seconds).
export async function teardown() {
    const k = window.__bench.keep;
    if (!k) return;
    if (k.stream) for (const t of k.stream.getTracks()) t.stop();
    if (k.client) {
        try { await withTimeout(k.client.leave(), 3000, 'sdk leave'); } catch { /* best effort */ }
        k.client.close();
    }
    if (k.janus) {
        for (const h of k.janus.handles) if (h.pc) h.pc.close();
        await k.janus.destroy();
    }
    window.__bench.keep = null;
}
