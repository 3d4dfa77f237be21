// The e2e harness page: drives one TelemedClient of the SDK the controller
// serves (/sdk/telemed.js, passed through by lib/pages.mjs) and reports what
// happened. Everything the tests
// call is on window.H; every call returns plain JSON (no Maps, no streams).
//
//   H.start({join, policy, publish, slots})  connect (+ publish) -> {joined, configured}
//   H.call(method, ...args)   client[method](...) -> {ok:true, value} | {ok:false, code, message}
//   H.waitEvent(name, {from, ms}) the data of the first event `name` at index >= from
//   H.state()                 the client's public state, as JSON
//   H.media()                 RTP counters of the client's PeerConnection per
//                             remote participant and source (via client.streams:
//                             `from`), per kind (`total`, monotonic even when
//                             slots are re-mapped) and sent per kind (`sent`)
//   H.msids()                 {mid: msid stream} of the answer's m-lines
//   H.events                  [{t, name, data}] every SDK event, in order
import * as sdk from '/sdk/telemed.js';

const H = { sdk, client: null, events: [], waiters: [], ready: true };
window.H = H;
const statusEl = document.getElementById('status');

// JSON-safe copy of SDK values (Maps, MediaStreams, errors).
function plain(v, depth = 0) {
    if (v === null || v === undefined) return v ?? null;
    if (depth > 6) return '…';
    if (typeof v !== 'object') return v;
    if (v instanceof MediaStream) return { stream: v.id, tracks: v.getTracks().map((t) => t.kind) };
    if (v instanceof MediaStreamTrack) return { track: v.kind, readyState: v.readyState };
    if (v instanceof Error) return { error: v.name, code: v.code ?? null, message: v.message };
    if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, plain(x, depth + 1)]);
    if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
    if (typeof RTCPeerConnection !== 'undefined' && v instanceof RTCPeerConnection) return { pc: v.connectionState };
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x, depth + 1);
    return o;
}

const EVENTS = ['joined', 'waiting', 'admitted', 'denied', 'participants', 'streams', 'remote', 'remote-removed',
    'muted', 'permissions', 'kicked', 'ended', 'error', 'connection', 'reconnecting', 'reconnected', 'closed',
    'configured', 'left', 'webrtcup', 'ice', 'event', 'recording', 'consent'];

function record(name, data) {
    const e = { t: Date.now(), name, data: plain(data) };
    H.events.push(e);
    const index = H.events.length - 1;
    for (const w of [...H.waiters]) {
        if (w.name === name && index >= w.from) {
            H.waiters.splice(H.waiters.indexOf(w), 1);
            w.resolve(e.data);
        }
    }
    statusEl.textContent = `${H.client?.status ?? '-'} ${name}`;
}

H.waitEvent = (name, { from = 0, ms = 10000 } = {}) => {
    for (let i = from; i < H.events.length; i++) {
        if (H.events[i].name === name) return Promise.resolve(H.events[i].data);
    }
    return new Promise((resolve, reject) => {
        const w = { name, from, resolve };
        H.waiters.push(w);
        setTimeout(() => {
            const i = H.waiters.indexOf(w);
            if (i >= 0) {
                H.waiters.splice(i, 1);
                reject(new Error(`no '${name}' event within ${ms} ms`));
            }
        }, ms);
    });
};

function showRemote({ participant_id: pid, source, stream }) {
    if (!stream) return;
    const id = `remote-${pid}-${source}`;
    let el = document.getElementById(id);
    if (!el) {
        el = document.createElement(stream.getVideoTracks().length ? 'video' : 'audio');
        el.id = id;
        el.autoplay = true;
        el.playsInline = true;
        el.muted = true;   // decoding does not need sound; autoplay never blocks
        document.getElementById('remote').appendChild(el);
    }
    if (el.srcObject !== stream) el.srcObject = stream;
    el.play?.().catch(() => {});
}

H.start = async ({ join, policy = 'all', publish = { audio: true, video: true }, slots = { audio: 4, video: 4 },
    iceServers } = {}) => {
    if (H.client) throw new Error('H.start called twice');
    const client = new sdk.TelemedClient({
        janusUrl: join.janus_ws_url,
        token: join.token,
        janusToken: join.janus_token,
        iceServers: iceServers ?? join.ice_servers ?? [],
        iceTransportPolicy: policy,
        slots,
        requestTimeoutMs: 8000,
        log: (level, msg) => console.log(`[sdk ${level}] ${msg}`),
    });
    H.client = client;
    for (const name of EVENTS) client.on(name, (d) => record(name, d));
    client.on('remote', showRemote);
    const joined = await client.connect();
    let configured = null;
    if (publish) {
        configured = await client.publish(publish);
        if (client.localStream) {
            const v = document.createElement('video');
            v.muted = true;
            v.autoplay = true;
            v.srcObject = client.localStream;
            document.getElementById('local').appendChild(v);
        }
    }
    return { joined: plain(joined), configured: plain(configured) };
};

H.call = async (method, ...args) => {
    try {
        const f = H.client[method];
        if (typeof f !== 'function') throw new Error(`no client.${method}()`);
        const value = await f.apply(H.client, args);
        return { ok: true, value: plain(value) };
    } catch (e) {
        return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) };
    }
};

// A second, throw-away client in this page that only tries to join with
// `join`: {ok:true, status} or {ok:false, code, message}. Always closed.
H.tryJoin = async (join) => {
    const c = new sdk.TelemedClient({
        janusUrl: join.janus_ws_url, token: join.token, janusToken: join.janus_token, iceServers: join.ice_servers ?? [],
        slots: { audio: 1, video: 1 }, requestTimeoutMs: 8000,
    });
    try {
        const joined = await c.connect();
        return { ok: true, status: joined?.status ?? c.status };
    } catch (e) {
        return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) };
    } finally {
        try {
            c.close();
        } catch {
            // ignore
        }
    }
};

H.state = () => {
    const c = H.client;
    if (!c) return null;
    return plain({
        participantId: c.participantId, sessionId: c.sessionId, janusSessionId: c.janusSessionId,
        role: c.role, permissions: c.permissions,
        status: c.status, muted: c.muted, mutedByModerator: c.mutedByModerator, waiting: c.waiting,
        participants: c.participants ? [...c.participants.values()] : [],
        streams: c.streams,
        pc: c.pc ? { connectionState: c.pc.connectionState, signalingState: c.pc.signalingState } : null,
    });
};

// Counters of the client's current PeerConnection: inbound per remote
// participant and source (slot mids mapped through client.streams; traffic
// on slots the mapping does not name is under 'unmapped'), outbound per kind.
H.media = async () => {
    const c = H.client;
    const all = await window.__e2e.stats();
    const idx = c && c.pc ? window.__e2e.pcs.indexOf(c.pc) : -1;
    const s = idx >= 0 ? all[idx] : null;
    const out = { state: s ? s.connectionState : (c?.pc ? 'unknown' : 'none'), ufrag: s?.ufrag ?? null,
        pair: s?.pair ?? null, from: {}, total: {}, sent: {}, pcs: all.length };
    if (!s) return out;
    const map = new Map();
    for (const st of (c.streams || [])) map.set(String(st.mid), st);
    for (const i of s.inbound) {
        const st = i.mid !== null ? map.get(String(i.mid)) : undefined;
        const who = st ? st.participant_id : 'unmapped';
        const src = st ? st.source : i.kind;
        const slot = ((out.from[who] ??= {})[src] ??= { packets: 0, bytes: 0, frames: 0 });
        slot.packets += i.packets;
        slot.bytes += i.bytes;
        slot.frames += i.frames;
        const k = (out.total[i.kind] ??= { packets: 0, bytes: 0, frames: 0 });
        k.packets += i.packets;
        k.bytes += i.bytes;
        k.frames += i.frames;
    }
    for (const o of s.outbound) {
        const k = (out.sent[o.kind] ??= { packets: 0, bytes: 0, frames: 0 });
        k.packets += o.packets;
        k.bytes += o.bytes;
        k.frames += o.frames;
    }
    return out;
};

// H.msids(): {mid: msid stream id} of the m-lines of the current remote
// description (the answer) that name one.
H.msids = () => {
    const sdp = H.client?.pc?.remoteDescription?.sdp ?? '';
    const out = {};
    for (const section of sdp.split(/\r?\nm=/).slice(1)) {
        const mid = /^a=mid:(\S+)/m.exec(section);
        const msid = /^a=msid:(\S+)/m.exec(section);
        if (mid && msid) out[mid[1]] = msid[1];
    }
    return out;
};

// H.sampleMedia(ms, n): n snapshots of H.media(), every ms: [{t, media}].
H.sampleMedia = async (ms, n) => {
    const series = [];
    for (let i = 0; i < n; i++) {
        const t = Date.now();
        series.push({ t, media: await H.media() });
        const wait = ms - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return series;
};

statusEl.textContent = 'ready';
