// telemed.js: the browser SDK of janus.plugin.telemed (docs/SDK.md).
//
// An ES module without dependencies. It speaks the Janus WebSocket API
// (subprotocol "janus-protocol": create, attach, message, trickle,
// keepalive, claim, detach, destroy) and the plugin protocol of
// docs/PROTOCOL.md on one handle, with ONE RTCPeerConnection per
// participant. The client always offers: its offer carries the publishing
// m-lines (microphone, camera, screen) and "slot" m-lines onto which the
// plugin puts the others' media; the microphone and camera m-lines are
// sendrecv and double as the first slot of their kind, further slots are
// recvonly. `streams` events say which slot mid carries which participant's
// source.
//
//   import { TelemedClient, decodeJoinLink } from '/sdk/telemed.js';
//   const join = decodeJoinLink(location.hash);
//   // or, from an invitation (#invite=<credential>): a fresh join object
//   //   const join = await exchangeCredential(decodeInviteLink(location.hash).credential);
//   const client = new TelemedClient({ janusUrl: join.janus_ws_url, token: join.token,
//                                      janusToken: join.janus_token, iceServers: join.ice_servers });
//   client.on('remote', ({ participant_id, source, stream }) => ...);
//   await client.connect();
//   await client.publish({ audio: true, video: true });
//
// Behaviour: trickle in both directions (remote candidates buffered per
// handle until the answer is applied; local ones held until the offer is
// sent), keepalive every 25 s, a timeout on every request, negotiation
// serialised (one configure in flight, later requests coalesce), slots added
// on `unassigned`, re-offer when a wanted publish permission arrives,
// reconnect after a WebSocket loss (claim the Janus session; if it is gone,
// a new session + join + publish again with the same tracks), ICE restart
// when ICE fails or stays disconnected for 2 s. Chat goes through the plugin
// (sendChat with one client_id per message, retried on 5030/4290/link loss;
// history synced after every join, rejoin, admission and claim, emitted once
// per message in seq order); files go to the controller's REST API with the
// participant credential (uploadFile over XHR for real progress, downloadUrl
// as a blob: URL). Tokens, credentials, names, file names and chat text never
// reach the log function.

const PLUGIN = 'janus.plugin.telemed';
const SOURCES = ['audio', 'video', 'screen'];
const SOURCE_KIND = { audio: 'audio', video: 'video', screen: 'video' };
const MAX_SLOTS_PER_KIND = 16;
const KEEPALIVE_MS = 25000;
const ICE_DISCONNECTED_GRACE_MS = 2000;
const RECONNECT_FIRST_DELAY_MS = 500;
const RECONNECT_MAX_DELAY_MS = 30000;
const MAX_INBOUND_MESSAGE_CHARS = 4 << 20;
const MAX_QUEUED_MESSAGES = 500;
const MAX_BUFFERED_CANDIDATES = 200;
const MAX_JOIN_LINK_CHARS = 16384;
// The controller's support_phone (docs/API.md): at most 32 of "+0-9 ()-." and spaces.
const SUPPORT_PHONE_RE = /^[+0-9 ().-]{1,32}$/;
// Join errors after which a rejoin cannot succeed (docs/PROTOCOL.md).
const TERMINAL_JOIN_ERRORS = new Map([[4020, 'kicked'], [4040, 'ended']]);
// After a Janus restart the room is gone until the controller restores it
// (within about a minute, usually seconds): while reconnecting, 4040 "no such
// room" is retried with the backoff for this long after the link was lost,
// then taken as "ended" (docs/SDK.md "When Janus restarts").
const ROOM_RESTORE_WINDOW_MS = 90000;

/** Error of every rejected SDK promise: code = plugin error code (number), a
 *  Janus error code (number, with janus = true), or one of 'timeout',
 *  'transport', 'closed', 'state', 'media', 'protocol', 'link', and from
 *  exchangeCredential 'credential', 'ended', 'rate-limited'. */
export class TelemedError extends Error {
    constructor(code, message, extra = {}) {
        super(message);
        this.name = 'TelemedError';
        this.code = code;
        Object.assign(this, extra);
    }
}

// ------------------------------------------------------------------ join link

function base64urlToBytes(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
}

function bytesToBase64url(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function checkIceServers(list) {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list) || list.length > 16) throw new TelemedError('link', 'join link: ice_servers must be an array');
    return list.map((s) => {
        const urls = s && s.urls;
        const ok = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
        if (!ok) throw new TelemedError('link', 'join link: ice server without urls');
        const out = { urls };
        if (typeof s.username === 'string') out.username = s.username;
        if (typeof s.credential === 'string') out.credential = s.credential;
        return out;
    });
}

/** Parses the web app's join link fragment "#join=<base64url(JSON)>[&name=<hint>]"
 *  (with or without the leading '#'). Returns {token, janus_ws_url,
 *  ice_servers, janus_token?, expires_at?, support_phone?, name?}; throws
 *  TelemedError code 'link'. A support_phone that is not one (at most 32 of
 *  "+0-9 ()-." and spaces) is left out. */
export function decodeJoinLink(hash) {
    if (typeof hash !== 'string' || hash.length === 0) throw new TelemedError('link', 'no join link');
    if (hash.length > MAX_JOIN_LINK_CHARS) throw new TelemedError('link', 'join link too long');
    const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
    const raw = params.get('join');
    if (!raw || !/^[A-Za-z0-9_-]+={0,2}$/.test(raw)) throw new TelemedError('link', 'join link: no join parameter');
    let obj;
    try {
        obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64urlToBytes(raw.replace(/=+$/, ''))));
    } catch {
        throw new TelemedError('link', 'join link: not base64url JSON');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new TelemedError('link', 'join link: not an object');
    if (typeof obj.token !== 'string' || obj.token.length === 0 || obj.token.length > 4096) {
        throw new TelemedError('link', 'join link: no token');
    }
    if (typeof obj.janus_ws_url !== 'string' || !/^wss?:\/\/[^\s]+$/i.test(obj.janus_ws_url) || obj.janus_ws_url.length > 2048) {
        throw new TelemedError('link', 'join link: janus_ws_url must be a ws:// or wss:// URL');
    }
    const out = { token: obj.token, janus_ws_url: obj.janus_ws_url, ice_servers: checkIceServers(obj.ice_servers) };
    if (typeof obj.janus_token === 'string' && obj.janus_token.length > 0 && obj.janus_token.length <= 1024) {
        out.janus_token = obj.janus_token;
    }
    if (typeof obj.expires_at === 'string') out.expires_at = obj.expires_at;
    if (typeof obj.support_phone === 'string' && SUPPORT_PHONE_RE.test(obj.support_phone)) out.support_phone = obj.support_phone;
    const name = params.get('name');
    // eslint-disable-next-line no-control-regex
    if (name) out.name = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 200);
    return out;
}

/** The inverse of decodeJoinLink (what the controller puts in join.app_url). */
export function encodeJoinLink(join) {
    const o = { token: join.token, janus_ws_url: join.janus_ws_url, ice_servers: join.ice_servers ?? [] };
    if (join.janus_token) o.janus_token = join.janus_token;
    if (join.expires_at) o.expires_at = join.expires_at;
    if (join.support_phone) o.support_phone = join.support_phone;
    return '#join=' + bytesToBase64url(new TextEncoder().encode(JSON.stringify(o)));
}

// ------------------------------------------------------------------ invitations

const CREDENTIAL_RE = /^tpc1\.[A-Za-z0-9_-]{64}\.[A-Za-z0-9_-]{43}$/;

/** Parses the web app's invitation fragment "#invite=<participant credential>"
 *  (with or without the leading '#'; the `invite_url` of a participant add).
 *  Returns {credential}, or null when the fragment carries no invite;
 *  throws TelemedError code 'link' when it carries a malformed one. */
export function decodeInviteLink(hash) {
    if (typeof hash !== 'string' || hash.length === 0 || hash.length > MAX_JOIN_LINK_CHARS) return null;
    const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
    if (!params.has('invite')) return null;
    const credential = params.get('invite');
    if (!CREDENTIAL_RE.test(credential)) throw new TelemedError('link', 'invite link: not a participant credential');
    return { credential };
}

/** Exchanges a participant credential for a fresh join object: POST /join
 *  with Authorization: Bearer <credential> (docs/API.md "Invitations").
 *  opts.joinUrl: the controller's /join URL (default: /join on the page's
 *  origin); opts.fetch (default: the global fetch); opts.timeoutMs (10000).
 *  Resolves the join object {token, expires_at, janus_ws_url, plugin,
 *  ice_servers, app_url}. Rejects with TelemedError code 'credential' (401:
 *  revoked, removed, expired or unknown), 'ended' (409: the session has
 *  ended or was cancelled), 'rate-limited' (429; retryAfter in seconds),
 *  'transport' (network, timeout or another status; status set when there
 *  was one), 'protocol' (an answer that is not a join object). The
 *  credential never reaches the log. */
export async function exchangeCredential(credential, opts = {}) {
    if (typeof credential !== 'string' || !CREDENTIAL_RE.test(credential)) {
        throw new TelemedError('credential', 'not a participant credential');
    }
    const doFetch = opts.fetch ?? globalThis.fetch;
    const url = opts.joinUrl ?? new URL('/join', globalThis.location?.origin ?? 'http://localhost').href;
    const timeoutMs = Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0 ? opts.timeoutMs : 10000;
    let res;
    let body;
    try {
        const signal = typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? AbortSignal.timeout(timeoutMs) : undefined;
        res = await doFetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${credential}`, accept: 'application/json' },
            cache: 'no-store',
            credentials: 'omit',
            signal,
        });
        body = await res.json().catch(() => null);
    } catch (e) {
        throw new TelemedError('transport', `POST /join failed: ${e && e.name}`);
    }
    if (res.status === 401) throw new TelemedError('credential', 'the invitation is no longer valid', { status: 401 });
    if (res.status === 409) throw new TelemedError('ended', 'the session has ended', { status: 409 });
    if (res.status === 429) {
        const retryAfter = Math.max(1, Math.min(3600, Number.parseInt(res.headers.get('retry-after'), 10) || 5));
        throw new TelemedError('rate-limited', 'too many join requests', { status: 429, retryAfter });
    }
    if (res.status !== 200) throw new TelemedError('transport', `POST /join answered ${res.status}`, { status: res.status });
    if (!body || typeof body.token !== 'string' || !body.token || typeof body.janus_ws_url !== 'string' ||
        !/^wss?:\/\//i.test(body.janus_ws_url)) {
        throw new TelemedError('protocol', 'POST /join: not a join object');
    }
    return { ...body, ice_servers: checkIceServers(body.ice_servers) };
}

// ------------------------------------------------------------------ helpers

function randomId() {
    const c = globalThis.crypto;
    if (c && typeof c.getRandomValues === 'function') {
        const b = new Uint8Array(9);
        c.getRandomValues(b);
        return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    }
    return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const strArray = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
const isMedia = (m) => m === 'audio' || m === 'video' || m === 'screen';

function rosterEntry(p) {
    return {
        participant_id: p.participant_id,
        role: typeof p.role === 'string' ? p.role : null,
        display_name: typeof p.display_name === 'string' ? p.display_name : null,
        publishing: strArray(p.publishing),
        muted: strArray(p.muted),
        muted_by_moderator: strArray(p.muted_by_moderator),
        // Sources its permissions do not allow (e.g. a REST PATCH turned its camera off).
        not_permitted: strArray(p.not_permitted),
        precheck: precheckEntry(p.precheck),
        consent: consentOf(p.consent),
    };
}

// A recording consent as the plugin reports it: true, false, or null (not answered).
const consentOf = (v) => (typeof v === 'boolean' ? v : null);

/** The room's recording state from the plugin's `recording` event (or the
 *  `recording` object of `joined` / `admitted`): {state: 'on' | 'off',
 *  recordingId, policy ('disabled' | 'optional' | 'required' | null),
 *  recorded: participant ids whose tracks are being written now, fault:
 *  while off, why the last recording stopped by itself ('write_failed': the
 *  server could not save it) or null}. */
function recordingState(v) {
    const o = v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    return {
        state: o.state === 'on' ? 'on' : 'off',
        recordingId: typeof o.recording_id === 'string' ? o.recording_id : null,
        policy: ['disabled', 'optional', 'required'].includes(o.policy) ? o.policy : null,
        recorded: strArray(o.recorded),
        fault: o.state !== 'on' && typeof o.fault === 'string' && o.fault.length <= 64 ? o.fault : null,
    };
}

/** The pre-call check results of the plugin's `precheck` (docs/PROTOCOL.md). */
export const PRECHECK_RESULTS = Object.freeze(['good', 'audio_only', 'cannot_connect']);

// A waiting / roster entry's `precheck` as received: {result, camera,
// microphone} (camera / microphone true, false or null = not reported), or
// null when none was reported (or it is not one).
function precheckEntry(v) {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !PRECHECK_RESULTS.includes(v.result)) return null;
    const flag = (b) => (typeof b === 'boolean' ? b : null);
    return { result: v.result, camera: flag(v.camera), microphone: flag(v.microphone) };
}

function rosterMap(list) {
    const m = new Map();
    if (Array.isArray(list)) {
        for (const p of list) if (p && typeof p.participant_id === 'string') m.set(p.participant_id, rosterEntry(p));
    }
    return m;
}

// ------------------------------------------------------------------ chat and files helpers

/** What the controller accepts as shared files (docs/API.md, files): media
 *  type -> file name extensions. uploadFile() refuses anything else before
 *  sending a byte (code 'type-not-allowed'). */
export const FILE_TYPES = Object.freeze({
    'application/pdf': ['pdf'],
    'image/png': ['png'],
    'image/jpeg': ['jpg', 'jpeg'],
    'application/dicom': ['dcm', 'dicom'],
    'text/plain': ['txt', 'text', 'log'],
});
/** The controller's upload cap (25 MiB): larger files are refused before sending ('too-large'). */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;
/** Chat text limit in code points (the plugin answers 4003 beyond). */
export const MAX_CHAT_CHARS = 4000;

const CHAT_RETRY_CODES = new Set([5030, 4290, 'timeout', 'transport']);
const CHAT_RETRY_FIRST_DELAY_MS = 500;
const CHAT_RETRY_MAX_WAIT_MS = 5000;
const CHAT_HISTORY_PAGE = 100;
const CHAT_HISTORY_MAX_PAGES = 200;
const CLIENT_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CHAT_FORBIDDEN_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

// The controller's base URL (ends with '/'): opts.apiUrl, else the page's origin.
function apiBase(url) {
    const origin = globalThis.location?.origin && globalThis.location.origin !== 'null' ? globalThis.location.origin : 'http://localhost';
    try {
        const u = new URL(typeof url === 'string' && url ? url : '/', origin);
        if (!u.pathname.endsWith('/')) u.pathname += '/';
        u.search = '';
        u.hash = '';
        return u.href;
    } catch {
        return `${origin}/`;
    }
}

/** The media type uploadFile() sends for a file: its own type when it is
 *  one of FILE_TYPES, else the one its name's extension says, else ''. */
export function fileType(file, name = file && file.name) {
    const own = file && typeof file.type === 'string' ? file.type.toLowerCase().split(';')[0].trim() : '';
    if (own && FILE_TYPES[own]) return own;
    const ext = typeof name === 'string' && name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
    for (const [type, exts] of Object.entries(FILE_TYPES)) if (exts.includes(ext)) return type;
    return own === 'image/jpg' ? 'image/jpeg' : own === 'application/x-pdf' ? 'application/pdf' : own;
}

// Content-Disposition for an upload: an ASCII filename="…" and, for any
// other name, RFC 5987 filename*=UTF-8''<percent-encoded> beside it.
export function contentDisposition(name) {
    // eslint-disable-next-line no-control-regex
    const clean = String(name || 'file').replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '_').trim().slice(0, 255) || 'file';
    const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '_');
    if (ascii === clean) return `attachment; filename="${ascii}"`;
    const ext = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return `attachment; filename="${ascii}"; filename*=UTF-8''${ext}`;
}

function chatMessage(m) {
    if (!m || typeof m !== 'object' || typeof m.id !== 'string' || !Number.isInteger(m.seq) || typeof m.text !== 'string') return null;
    return {
        id: m.id,
        seq: m.seq,
        sender: typeof m.sender === 'string' ? m.sender : null,
        to: strArray(m.to),
        text: m.text,
        created_at: typeof m.created_at === 'string' ? m.created_at : null,
    };
}

function fileResource(f) {
    if (!f || typeof f !== 'object' || typeof f.id !== 'string' || !f.id) return null;
    return {
        id: f.id,
        session_id: typeof f.session_id === 'string' ? f.session_id : null,
        name: typeof f.name === 'string' && f.name ? f.name : 'file',
        size: Number.isFinite(f.size) ? f.size : null,
        content_type: typeof f.content_type === 'string' ? f.content_type : null,
        sha256: typeof f.sha256 === 'string' ? f.sha256 : null,
        sender: typeof f.sender === 'string' ? f.sender : null,
        to: strArray(f.to),
        created_at: typeof f.created_at === 'string' ? f.created_at : null,
    };
}

// A TelemedError for a REST answer that is not a success (docs/SDK.md "Errors").
function httpError(status, body, what) {
    const detail = body && typeof body.detail === 'string' ? body.detail.slice(0, 300) : undefined;
    // The problem's type slug (…/problems/<slug>), e.g. session-quota-exceeded beside payload-too-large.
    const problem = body && typeof body.type === 'string' ? body.type.slice(body.type.lastIndexOf('/') + 1).slice(0, 80) : undefined;
    const extra = { status, detail, problem };
    const codes = { 401: 'credential', 403: 'forbidden', 404: 'not-found', 409: 'ended', 413: 'too-large',
        415: 'type-not-allowed', 422: 'invalid', 429: 'rate-limited' };
    const code = codes[status] ?? (status === 503 ? 'unavailable' : 'transport');
    return new TelemedError(code, `${what} answered ${status}${detail ? `: ${detail}` : ''}`, extra);
}

// ------------------------------------------------------------------ client

export class TelemedClient {
    /**
     * @param {object} opts
     *   janusUrl, token (required); janusToken (the join object's janus_token:
     *   sent in every Janus request, which Janus with token_auth requires);
     *   iceServers, iceTransportPolicy ('all'|'relay'),
     *   slots {audio, video} (initial slots per kind, counting the sendrecv
     *   microphone / camera m-line; default 4 + 4),
     *   requestTimeoutMs (10000), log (function(level, msg) or null),
     *   getToken (optional async () => a fresh join token, or a join object
     *   {token, janus_token}, for a rejoin after the Janus session was lost;
     *   called before the new Janus session is created), reconnect (default true),
     *   reconnectTimeoutMs (give up after this long without a link, default 300000),
     *   WebSocket / RTCPeerConnection / MediaStream / mediaDevices (defaults: the browser's).
     */
    constructor(opts = {}) {
        if (typeof opts.janusUrl !== 'string' || !/^wss?:\/\//i.test(opts.janusUrl)) {
            throw new TelemedError('state', 'janusUrl must be a ws:// or wss:// URL');
        }
        if (typeof opts.token !== 'string' || !opts.token) throw new TelemedError('state', 'token is required');
        this.janusUrl = opts.janusUrl;
        Object.defineProperty(this, '_token', { value: opts.token, writable: true, enumerable: false });
        Object.defineProperty(this, '_janusToken', { value: typeof opts.janusToken === 'string' && opts.janusToken ? opts.janusToken : null, writable: true, enumerable: false });
        this._getToken = typeof opts.getToken === 'function' ? opts.getToken : null;
        this.iceServers = Array.isArray(opts.iceServers) ? opts.iceServers : [];
        this.iceTransportPolicy = opts.iceTransportPolicy === 'relay' ? 'relay' : 'all';
        const slots = opts.slots ?? {};
        this._slotTarget = {
            audio: Math.min(MAX_SLOTS_PER_KIND, Math.max(0, Number.isInteger(slots.audio) ? slots.audio : 4)),
            video: Math.min(MAX_SLOTS_PER_KIND, Math.max(0, Number.isInteger(slots.video) ? slots.video : 4)),
        };
        this.requestTimeoutMs = Number.isFinite(opts.requestTimeoutMs) && opts.requestTimeoutMs > 0 ? opts.requestTimeoutMs : 10000;
        this._logFn = typeof opts.log === 'function' ? opts.log : null;
        this._reconnectEnabled = opts.reconnect !== false;
        this._reconnectTimeoutMs = Number.isFinite(opts.reconnectTimeoutMs) ? opts.reconnectTimeoutMs : 300000;
        this._WebSocket = opts.WebSocket ?? globalThis.WebSocket;
        this._RTCPeerConnection = opts.RTCPeerConnection ?? globalThis.RTCPeerConnection;
        this._MediaStream = opts.MediaStream ?? globalThis.MediaStream;
        this._mediaDevices = opts.mediaDevices ?? globalThis.navigator?.mediaDevices;
        this._fetch = opts.fetch ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : null);
        this._XMLHttpRequest = opts.XMLHttpRequest ?? globalThis.XMLHttpRequest;
        Object.defineProperty(this, '_credential', {
            value: typeof opts.credential === 'string' && CREDENTIAL_RE.test(opts.credential) ? opts.credential : null,
            writable: true, enumerable: false,
        });
        this.apiUrl = apiBase(opts.apiUrl);

        // Public state (read-only for users of the SDK).
        this.participantId = null;
        this.sessionId = null;          // the telemed session (room) id from `joined`
        this.janusSessionId = null;     // the Janus session id
        this.handleId = null;           // the Janus handle id
        this.role = null;
        this.permissions = [];
        this.status = null;             // null | 'waiting' | 'admitted' | 'left' | 'ended' | 'kicked' | 'denied'
        this.sessionState = null;       // 'scheduled' | 'active' (from `joined`)
        this.participants = new Map();
        this.waiting = [];
        this.muted = [];
        this.mutedByModerator = [];
        this.pc = null;
        this.localStream = null;
        this.screenStream = null;
        this.remote = new Map();
        this.streams = [];
        this.publishing = [];
        this.refused = [];
        this.connected = false;         // Janus link up (WebSocket open and session valid)

        this._handlers = new Map();
        this._ws = null;
        this._wsGen = 0;
        this._pending = new Map();      // transaction -> {expect, resolve, reject, timer}
        this._outQueue = [];            // messages waiting for the link
        this._keepaliveTimer = null;
        this._closedByUser = false;
        this._everJoined = false;
        this._reconnecting = false;
        this._connectPromise = null;
        this._pubTx = { audio: null, video: null, screen: null };
        this._slotTx = { audio: [], video: [] };
        this._want = { audio: false, video: false, screen: false };
        this._holdLocal = false;
        this._localCands = [];
        this._remoteCands = [];         // for this._remoteCandsHandle
        this._remoteCandsHandle = null;
        this._assign = new Map();       // "pid|source" -> {mid, stream, track}
        this._neg = { running: false, requested: false, iceRestart: false, waiters: [] };
        this._iceTimer = null;
        this._lastPcReset = 0;
        this._needsJoin = false;
        this._closed = false;
        this._precheck = null;          // the last reportPrecheck body, re-sent after a rejoin
        // Recording (docs/SDK.md "Recording and consent").
        this.recording = recordingState(null);
        this.consent = null;            // this participant's recording consent: null (not answered) | true | false
        this.waitingReason = null;      // why this participant waits: null | 'consent_required' | …
        this._consentGiven = null;      // the answer to give again after a rejoin (null: none)
        this._consentSeq = 0;

        // Chat and files (docs/SDK.md "Chat and files").
        this.chat = [];                 // known messages, in seq order
        this.files = new Map();         // file id -> file resource, in arrival order
        this._chatIds = new Set();
        this._chatLastSeq = 0;
        this._chatSync = null;          // the running history sync (a promise)
        this._chatSyncAgain = false;
        this._chatBuffer = [];          // live messages held while a sync runs
        this._blobUrls = new Set();
    }

    // -------------------------------------------------------------- events

    on(name, fn) {
        if (typeof fn !== 'function') return this;
        if (!this._handlers.has(name)) this._handlers.set(name, new Set());
        this._handlers.get(name).add(fn);
        return this;
    }

    off(name, fn) {
        this._handlers.get(name)?.delete(fn);
        return this;
    }

    _emit(name, data) {
        const set = this._handlers.get(name);
        if (!set) return;
        for (const fn of [...set]) {
            try {
                fn(data);
            } catch (e) {
                this._log('warn', `listener of '${name}' threw: ${e && e.name}`);
            }
        }
    }

    _log(level, msg) {
        if (!this._logFn) return;
        try {
            this._logFn(level, msg);
        } catch {
            // a broken logger must not break the client
        }
    }

    _fail(err, what) {
        this._log('warn', `${what}: ${err && err.code !== undefined ? err.code : ''} ${err && err.message}`);
        this._emit('error', err instanceof TelemedError ? err : new TelemedError('state', String(err && err.message)));
    }

    // -------------------------------------------------------------- Janus link

    _openSocket() {
        const WS = this._WebSocket;
        if (typeof WS !== 'function') return Promise.reject(new TelemedError('transport', 'no WebSocket available'));
        return new Promise((resolve, reject) => {
            const gen = ++this._wsGen;
            let ws;
            let opened = false;
            try {
                ws = new WS(this.janusUrl, 'janus-protocol');
            } catch (e) {
                reject(new TelemedError('transport', `cannot open the WebSocket: ${e && e.name}`));
                return;
            }
            const timer = setTimeout(() => {
                if (opened) return;
                try {
                    ws.close();
                } catch {
                    // ignore
                }
                reject(new TelemedError('timeout', 'WebSocket open timed out'));
            }, this.requestTimeoutMs);
            ws.onopen = () => {
                clearTimeout(timer);
                if (gen !== this._wsGen || this._closedByUser) {
                    try {
                        ws.close();
                    } catch {
                        // ignore
                    }
                    reject(new TelemedError('closed', 'client closed'));
                    return;
                }
                opened = true;
                this._ws = ws;
                resolve();
            };
            ws.onerror = () => {};
            ws.onclose = (ev) => {
                clearTimeout(timer);
                if (!opened) {
                    reject(new TelemedError('transport', `WebSocket closed (${ev && ev.code})`));
                    return;
                }
                if (gen === this._wsGen) this._onSocketLost();
            };
            ws.onmessage = (ev) => {
                if (gen === this._wsGen) this._onRaw(ev.data);
            };
        });
    }

    _socketOpen() {
        return this._ws && this._ws.readyState === 1;
    }

    // Sends now when the link is up (or `raw`: for create/claim/attach during
    // a (re)connect), else queues until it is.
    _send(msg, raw = false) {
        if ((raw || this.connected) && this._socketOpen()) {
            try {
                this._ws.send(JSON.stringify(msg));
                return;
            } catch {
                // fall through: queue it
            }
        }
        if (raw) throw new TelemedError('transport', 'WebSocket not open');
        if (this._outQueue.length >= MAX_QUEUED_MESSAGES) {
            const i = this._outQueue.findIndex((m) => m.janus === 'trickle');
            this._outQueue.splice(i >= 0 ? i : 0, 1);
        }
        this._outQueue.push(msg);
    }

    _flushQueue() {
        const q = this._outQueue;
        this._outQueue = [];
        for (const m of q) {
            if (m.session_id !== undefined) m.session_id = this.janusSessionId;
            this._send(m);
        }
    }

    // One Janus request. expect: 'success' (create/attach/claim/detach/destroy),
    // 'ack' (keepalive/trickle) or 'event' (plugin message: ack, then the event).
    _janus(msg, expect, { raw = false, timeoutMs = this.requestTimeoutMs } = {}) {
        const transaction = randomId();
        const full = { ...msg, transaction };
        if (msg.janus !== 'create' && full.session_id === undefined) full.session_id = this.janusSessionId;
        if (this._janusToken) full.token = this._janusToken;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this._pending.delete(transaction);
                reject(new TelemedError('timeout', `${msg.janus}${msg.body ? ' ' + msg.body.request : ''} timed out`));
            }, timeoutMs);
            this._pending.set(transaction, { expect, resolve, reject, timer });
            try {
                this._send(full, raw);
            } catch (e) {
                clearTimeout(timer);
                this._pending.delete(transaction);
                reject(e);
            }
        });
    }

    _rejectPending(err) {
        for (const [t, p] of this._pending) {
            clearTimeout(p.timer);
            this._pending.delete(t);
            p.reject(err);
        }
    }

    _onRaw(text) {
        if (typeof text !== 'string') text = String(text);
        if (text.length > MAX_INBOUND_MESSAGE_CHARS) {
            this._log('warn', 'oversized message from Janus dropped');
            return;
        }
        let msg;
        try {
            msg = JSON.parse(text);
        } catch {
            this._log('warn', 'unparsable message from Janus dropped');
            return;
        }
        if (!msg || typeof msg !== 'object') return;
        try {
            this._onJanus(msg);
        } catch (e) {
            this._log('error', `handling '${msg.janus}' failed: ${e && e.name}: ${e && e.message}`);
        }
    }

    _onJanus(msg) {
        const pending = msg.transaction !== undefined ? this._pending.get(msg.transaction) : undefined;
        const settle = (fn, value) => {
            clearTimeout(pending.timer);
            this._pending.delete(msg.transaction);
            fn(value);
        };
        switch (msg.janus) {
            case 'ack':
                if (pending && pending.expect === 'ack') settle(pending.resolve, msg);
                return;
            case 'success':
                if (!pending) return;
                if (pending.expect === 'event' && msg.plugindata) {
                    this._onPluginMessage(msg, pending, settle);
                } else {
                    settle(pending.resolve, msg);
                }
                return;
            case 'error': {
                if (!pending) return;
                const code = msg.error && Number.isInteger(msg.error.code) ? msg.error.code : 500;
                const reason = msg.error && typeof msg.error.reason === 'string' ? msg.error.reason.slice(0, 200) : 'Janus error';
                settle(pending.reject, new TelemedError(code, reason, { janus: true }));
                return;
            }
            case 'event':
                if (msg.sender !== undefined && msg.sender !== this.handleId) {
                    if (pending) settle(pending.reject, new TelemedError('state', 'answer for a stale handle'));
                    return;
                }
                this._onPluginMessage(msg, pending, settle);
                return;
            case 'trickle':
                if (msg.sender === this.handleId) this._onRemoteCandidate(msg.candidate);
                return;
            case 'webrtcup':
                if (msg.sender === this.handleId) {
                    this._log('info', 'webrtcup');
                    this._emit('webrtcup', {});
                }
                return;
            case 'media':
                if (msg.sender === this.handleId) this._emit('media', { type: msg.type, mid: msg.mid, receiving: msg.receiving });
                return;
            case 'slowlink':
                if (msg.sender === this.handleId) this._emit('slowlink', { mid: msg.mid, uplink: msg.uplink });
                return;
            case 'hangup':
                if (msg.sender === this.handleId) this._onHangup(typeof msg.reason === 'string' ? msg.reason.slice(0, 100) : '');
                return;
            case 'detached':
                if (msg.sender === this.handleId && this._active()) {
                    this._log('warn', 'handle detached by Janus: rejoining');
                    this._startRejoin();
                }
                return;
            case 'timeout':
                if (msg.session_id === this.janusSessionId && this._active()) {
                    this._log('warn', 'Janus session timed out: rejoining');
                    this._startRejoin();
                }
                return;
            default:
        }
    }

    _onPluginMessage(msg, pending, settle) {
        const data = msg.plugindata && msg.plugindata.data;
        if (!data || typeof data !== 'object') {
            if (pending) settle(pending.reject, new TelemedError('protocol', 'answer without plugin data'));
            return;
        }
        if (data.telemed === 'error') {
            const code = Number.isInteger(data.error_code) ? data.error_code : 5000;
            const extra = {};
            if (Number.isFinite(data.retry_after_ms) && data.retry_after_ms >= 0) extra.retryAfterMs = data.retry_after_ms;
            if (data.retryable === true) extra.retryable = true;
            const err = new TelemedError(code, typeof data.error === 'string' ? data.error.slice(0, 300) : 'plugin error', extra);
            if (pending) settle(pending.reject, err);
            else this._fail(err, 'plugin error event');
            return;
        }
        this._onPluginEvent(data);
        if (pending) settle(pending.resolve, { data, jsep: msg.jsep });
    }

    _startKeepalive() {
        this._stopKeepalive();
        this._keepaliveTimer = setInterval(() => {
            if (!this.connected) return;
            this._janus({ janus: 'keepalive' }, 'ack').catch((e) => {
                if (e.code === 'timeout' && this.connected) {
                    this._log('warn', 'keepalive timed out: dropping the WebSocket');
                    this._dropSocket();
                }
            });
        }, KEEPALIVE_MS);
    }

    _stopKeepalive() {
        if (this._keepaliveTimer) clearInterval(this._keepaliveTimer);
        this._keepaliveTimer = null;
    }

    // Abandons the current socket as if it had closed.
    _dropSocket() {
        const ws = this._ws;
        this._wsGen++;
        this._ws = null;
        try {
            ws && ws.close();
        } catch {
            // ignore
        }
        this._onSocketLost();
    }

    _onSocketLost() {
        this.connected = false;
        this._ws = null;
        this._stopKeepalive();
        if (this._closedByUser) return;
        if (!this._everJoined || !this._active() || !this._reconnectEnabled) {
            this._rejectPending(new TelemedError('transport', 'WebSocket closed'));
            if (this._everJoined && !this._closed) this._finish(this._active() ? 'left' : this.status, null, null);
            return;
        }
        this._reconnectLoop();
    }

    async _reconnectLoop() {
        if (this._reconnecting) return;
        this._reconnecting = true;
        this._lostAt = Date.now();
        this._log('info', 'connection lost: reconnecting');
        this._emit('reconnecting', {});
        const started = Date.now();
        let delay = RECONNECT_FIRST_DELAY_MS;
        try {
            while (!this._closedByUser && this._active()) {
                await sleep(delay);
                if (this._closedByUser || !this._active()) return;
                try {
                    await this._openSocket();
                    let claimed = false;
                    try {
                        await this._janus({ janus: 'claim', session_id: this.janusSessionId }, 'success', { raw: true });
                        claimed = true;
                    } catch (e) {
                        if (!e.janus) throw e;   // transport trouble: try again later
                        this._log('info', `claim refused (${e.code}): joining again`);
                    }
                    if (claimed && this._needsJoin) {
                        // A rejoin broke off after creating this session: start over.
                        try {
                            this._ws.send(JSON.stringify({ janus: 'destroy', session_id: this.janusSessionId, transaction: randomId(),
                                ...(this._janusToken ? { token: this._janusToken } : {}) }));
                        } catch {
                            // ignore
                        }
                        claimed = false;
                    }
                    if (claimed) {
                        this.connected = true;
                        this._startKeepalive();
                        this._flushQueue();
                        this._reconnecting = false;
                        this._log('info', 'reconnected: Janus session claimed');
                        this._emit('reconnected', { claimed: true });
                        this._syncChat();
                        // Events sent while we were away are lost: a re-offer
                        // refreshes the slot mapping (and restarts ICE if needed).
                        if (this.pc) {
                            const bad = ['failed', 'disconnected'].includes(this.pc.iceConnectionState);
                            this._background(this._negotiate({ iceRestart: bad }), 'refresh after claim');
                        }
                        return;
                    }
                    await this._rejoinOnOpenSocket();
                    this._reconnecting = false;
                    this._emit('reconnected', { claimed: false });
                    return;
                } catch (e) {
                    if (e && e.terminal) return;   // kicked / ended: already handled
                    this._log('info', `reconnect attempt failed: ${e && e.code}`);
                    const ws = this._ws;
                    // A failed rejoin (e.g. 4040 while the room is being
                    // restored) may have created a Janus session and handle:
                    // destroy it, or it would hold a handle (of the plugin's
                    // max_handles) until Janus reclaims it 30 s later.
                    if (ws && this._socketOpen() && this.janusSessionId !== null) {
                        try {
                            ws.send(JSON.stringify({ janus: 'destroy', session_id: this.janusSessionId, transaction: randomId(),
                                ...(this._janusToken ? { token: this._janusToken } : {}) }));
                        } catch {
                            // ignore
                        }
                    }
                    this._wsGen++;
                    this._ws = null;
                    this.connected = false;
                    try {
                        ws && ws.close();
                    } catch {
                        // ignore
                    }
                    if (Date.now() - started > this._reconnectTimeoutMs) {
                        this._fail(new TelemedError('transport', 'could not reconnect'), 'reconnect');
                        this._finish('left', null, null);
                        return;
                    }
                    delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
                }
            }
        } finally {
            this._reconnecting = false;
        }
    }

    // The Janus session or handle is gone while the socket may be fine.
    _startRejoin() {
        if (this._reconnecting) return;
        this._reconnecting = true;
        this._lostAt = Date.now();
        this._emit('reconnecting', {});
        this._rejoinOnOpenSocket().then(() => {
            this._reconnecting = false;
            this._emit('reconnected', { claimed: false });
        }, (e) => {
            this._reconnecting = false;
            if (e && e.terminal) return;
            if (!this._closedByUser && this._active()) this._dropSocket();  // full reconnect with backoff
        });
    }

    // New Janus session + attach + join + the same tracks again.
    async _rejoinOnOpenSocket() {
        this._rejectPending(new TelemedError('transport', 'Janus session lost'));
        this._outQueue = [];
        this.connected = false;
        this._stopKeepalive();
        this._resetPc();
        this._needsJoin = true;
        // A fresh token first: a join object from getToken also brings a
        // fresh Janus token, which create/attach need.
        if (this._getToken) {
            try {
                const t = await this._getToken();
                if (typeof t === 'string' && t) {
                    this._token = t;
                } else if (t && typeof t.token === 'string' && t.token) {
                    this._token = t.token;
                    if (typeof t.janus_token === 'string' && t.janus_token) this._janusToken = t.janus_token;
                }
            } catch (e) {
                // The credential exchange says the session is over, or the
                // participant was removed: no rejoin can succeed.
                if (e && (e.code === 'ended' || e.code === 'credential')) {
                    this._fail(e, 'rejoin');
                    this._finish(e.code === 'ended' ? 'ended' : 'left', e.code === 'ended' ? 'ended' : null, e.code === 'ended' ? {} : null);
                    e.terminal = true;
                    throw e;
                }
                this._log('warn', 'getToken failed: using the previous token');
            }
        }
        await this._createAndAttach();
        try {
            await this._join();
        } catch (e) {
            // 4040 while the controller may still be restoring the room after
            // a Janus restart: not terminal yet, the loop retries with backoff.
            const restoring = e.code === 4040 && this._lostAt && Date.now() - this._lostAt < ROOM_RESTORE_WINDOW_MS;
            if (restoring) this._log('info', 'room not there (yet): retrying the rejoin');
            const terminal = restoring ? undefined : TERMINAL_JOIN_ERRORS.get(e.code);
            if (restoring) {
                // retried by the reconnect loop
            } else if (terminal) {
                this._fail(e, 'rejoin');
                if (terminal === 'kicked') this._finish('kicked', 'kicked', { reason: 'removed' });
                else this._finish('ended', 'ended', {});
                e.terminal = true;
            } else if (!e.janus && e.code !== 'timeout' && e.code !== 'transport' && e.code !== 'closed') {
                // token expired or invalid: nothing a retry can fix
                this._fail(e, 'rejoin');
                this._finish('left', null, null);
                e.terminal = true;
            }
            throw e;
        }
        this._needsJoin = false;
        this._log('info', 'rejoined on a new Janus session');
        this._resendPrecheck();
        this._resendConsent();
    }

    // A new Janus session (with keepalives) and a handle on the plugin.
    async _createAndAttach() {
        const created = await this._janus({ janus: 'create' }, 'success', { raw: true });
        this.janusSessionId = created.data.id;
        this.connected = true;
        this._startKeepalive();
        const attached = await this._janus({ janus: 'attach', plugin: PLUGIN, opaque_id: 'telemed-sdk' }, 'success');
        this._setHandle(attached.data.id);
    }

    _setHandle(id) {
        this.handleId = id;
        if (this._remoteCandsHandle !== id) {
            this._remoteCands = [];
            this._remoteCandsHandle = id;
        }
    }

    // -------------------------------------------------------------- lifecycle

    /** WebSocket, Janus session, attach, join. Resolves the `joined` data. */
    connect() {
        if (this._connectPromise) return this._connectPromise;
        if (this._active()) return Promise.reject(new TelemedError('state', 'already joined'));
        this._closedByUser = false;
        this._closed = false;
        this._connectPromise = (async () => {
            try {
                await this._openSocket();
                await this._createAndAttach();
                return await this._join();
            } catch (e) {
                this._abortConnect();
                throw e instanceof TelemedError ? e : new TelemedError('transport', String(e && e.message));
            } finally {
                this._connectPromise = null;
            }
        })();
        return this._connectPromise;
    }

    _abortConnect() {
        this._stopKeepalive();
        this._rejectPending(new TelemedError('closed', 'connect failed'));
        this._dropSocket();
        this.janusSessionId = null;
        this.handleId = null;
    }

    // Destroys the Janus session (when the socket is still open) and closes
    // the socket; queued requests are dropped and no reconnect follows.
    _dropSocket() {
        this._outQueue = [];
        const ws = this._ws;
        if (ws && this._socketOpen() && this.janusSessionId !== null) {
            try {
                ws.send(JSON.stringify({ janus: 'destroy', session_id: this.janusSessionId, transaction: randomId(),
                    ...(this._janusToken ? { token: this._janusToken } : {}) }));
            } catch {
                // ignore
            }
        }
        this._wsGen++;
        this._ws = null;
        this.connected = false;
        try {
            ws && ws.close(1000);
        } catch {
            // ignore
        }
    }

    async _join() {
        const { data } = await this._message({ request: 'join', token: this._token });
        if (data.telemed !== 'joined') throw new TelemedError('protocol', `unexpected answer to join: ${String(data.telemed).slice(0, 40)}`);
        return data;
    }

    /** Plugin leave; the PeerConnection is closed and local media stopped. */
    async leave() {
        if (this._active() && this.connected) {
            try {
                await this._message({ request: 'leave' });
            } catch (e) {
                this._log('info', `leave: ${e.code}`);
            }
        }
        this._closeMedia(true);
        this.status = 'left';
        this._emit('left', {});
    }

    /** Tears everything down (no reconnect): Janus session destroyed, WebSocket closed. */
    close() {
        for (const url of [...this._blobUrls]) this.revokeDownloadUrl(url);
        if (this._closed) return;
        this._finish(this._active() || this.status === null ? 'left' : this.status, null, null);
    }

    // Tears down, then emits `event` (if any) and 'closed'.
    _finish(status, event, data) {
        this._teardown(status);
        if (event) this._emit(event, data);
        this._emit('closed', { status });
    }

    _teardown(status) {
        this._closedByUser = true;
        this._closed = true;
        this.status = status;
        this._stopKeepalive();
        this._clearIceTimer();
        this._rejectPending(new TelemedError('closed', 'client closed'));
        this._dropSocket();
        this._closeMedia(true);
    }

    _active() {
        return this.status === 'waiting' || this.status === 'admitted';
    }

    // -------------------------------------------------------------- plugin requests

    // Sends a plugin message; resolves {data, jsep}; rejects TelemedError.
    _message(body, jsep) {
        const msg = { janus: 'message', handle_id: this.handleId, body };
        if (jsep) msg.jsep = jsep;
        return this._janus(msg, 'event');
    }

    /** Low-level: a plugin request; resolves the answer's data. */
    async request(body, jsep) {
        if (!body || typeof body !== 'object' || typeof body.request !== 'string') {
            throw new TelemedError('state', 'request needs a body with "request"');
        }
        if (this.handleId === null) throw new TelemedError('state', 'not connected');
        const { data } = await this._message(body, jsep);
        return data;
    }

    admit(pid) { return this.request({ request: 'admit', participant_id: pid }); }
    deny(pid) { return this.request({ request: 'deny', participant_id: pid }); }
    kick(pid) { return this.request({ request: 'kick', participant_id: pid }); }

    mute(pid, media) {
        if (!isMedia(media)) return Promise.reject(new TelemedError('state', 'media must be audio, video or screen'));
        return this.request({ request: 'mute', participant_id: pid, media });
    }

    unmute(pid, media) {
        if (!isMedia(media)) return Promise.reject(new TelemedError('state', 'media must be audio, video or screen'));
        return this.request({ request: 'unmute', participant_id: pid, media });
    }

    /** Disables the local track at once, then asks the plugin to enforce it. */
    async muteSelf(media) {
        if (!isMedia(media)) throw new TelemedError('state', 'media must be audio, video or screen');
        const t = this._trackFor(media);
        if (t) t.enabled = false;
        if (!this.muted.includes(media)) this.muted = [...this.muted, media];
        try {
            return await this.request({ request: 'mute', media });
        } catch (e) {
            if (e.code === 4002) return null;  // a plugin without mute: the local mute stands
            throw e;
        }
    }

    /** Asks the plugin first (4044 when a moderator muted it), then enables the track. */
    async unmuteSelf(media) {
        if (!isMedia(media)) throw new TelemedError('state', 'media must be audio, video or screen');
        let data = null;
        try {
            data = await this.request({ request: 'unmute', media });
        } catch (e) {
            if (e.code !== 4002) throw e;  // a plugin without mute: only the local mute to lift
        }
        if (!this.mutedByModerator.includes(media)) {
            this.muted = this.muted.filter((m) => m !== media);
            const t = this._trackFor(media);
            if (t) t.enabled = true;
        }
        return data;
    }

    /** Reports the lobby's pre-call check (plugin `precheck`): `result` one
     *  of PRECHECK_RESULTS ('good', 'audio_only', 'cannot_connect'),
     *  `camera` / `microphone` optional booleans. The moderators see it with
     *  this participant's waiting entry (and later its roster entry).
     *  Resolves the plugin's `ok` answer once it is stored. Checked before
     *  sending (4003). The report is remembered: after a rejoin (a new Janus
     *  session, e.g. after a Janus restart) the SDK sends it again by itself;
     *  so even when this call rejects for a lost link, the report goes out
     *  once the client is back. Needs a joined client ('state' before). */
    async reportPrecheck({ result, camera, microphone } = {}) {
        if (!PRECHECK_RESULTS.includes(result)) {
            throw new TelemedError(4003, 'result must be good, audio_only or cannot_connect');
        }
        const body = { request: 'precheck', result };
        for (const [k, v] of [['camera', camera], ['microphone', microphone]]) {
            if (v === undefined) continue;
            if (typeof v !== 'boolean') throw new TelemedError(4003, `${k} must be true or false`);
            body[k] = v;
        }
        if (!this._active()) throw new TelemedError('state', 'not joined');
        this._precheck = body;
        return this.request(body);
    }

    // After a rejoin on a new Janus session: the remembered pre-call check
    // again (the plugin lost it when Janus restarted; a repeat is harmless).
    _resendPrecheck() {
        if (!this._precheck || !this._active()) return;
        this._background(this.request(this._precheck), 'precheck after a rejoin');
    }

    // -------------------------------------------------------------- recording

    /** Gives (true) or withdraws (false) this participant's consent to be
     *  recorded (plugin `consent`). A yes counts only once the server has
     *  stored it: the promise resolves then ({recording, consent_id}); a
     *  store that cannot be reached rejects with 5031 (retryable) and the
     *  consent stays as it was. A no takes effect at once: from the next
     *  packet on nothing of this participant is written. In a session whose
     *  recording is `required`, consent is a condition of being admitted.
     *  The answer is remembered and given again after a rejoin. */
    async setRecordingConsent(value) {
        if (typeof value !== 'boolean') throw new TelemedError(4003, 'recording must be true or false');
        if (!this._active()) throw new TelemedError('state', 'not joined');
        // The latest answer wins, also over an earlier yes still in flight.
        const seq = ++this._consentSeq;
        if (!value) {
            // A no counts at once, also for the rejoin's repeat, even if
            // this request is lost: never a yes the user took back.
            this.consent = false;
            this._consentGiven = false;
        }
        const data = await this.request({ request: 'consent', recording: value });
        if (seq === this._consentSeq) {
            this.consent = value;
            this._consentGiven = value;   // a yes is repeated after a rejoin only once acknowledged
            this._emit('consent', { recording: value });
        }
        return data;
    }

    /** Starts (`start`) or stops (`stop`) the session's recording (plugin
     *  `record`; needs the `record` permission). Resolves the recording state
     *  (the same object as the `recording` event). Only participants who
     *  consented are recorded. */
    async record(action) {
        if (action !== 'start' && action !== 'stop') throw new TelemedError(4003, 'action must be start or stop');
        this._assertJoined();
        const data = await this.request({ request: 'record', action });
        if (data && data.telemed === 'recording') this._applyRecording(data);
        return this.recording;
    }

    _applyRecording(data) {
        if (!data) return;
        this.recording = recordingState(data);
        this._emit('recording', this.recording);
    }

    // After a rejoin: the consent given before (the plugin forgot it with
    // the old Janus session; each answer is a new consent record).
    _resendConsent() {
        if (typeof this._consentGiven !== 'boolean' || !this._active()) return;
        this._background(this.request({ request: 'consent', recording: this._consentGiven }), 'consent after a rejoin');
    }

    // -------------------------------------------------------------- plugin events

    _onPluginEvent(data) {
        switch (data.telemed) {
            case 'joined':
                this._everJoined = true;
                this._needsJoin = false;
                this.participantId = typeof data.participant_id === 'string' ? data.participant_id : null;
                this.sessionId = typeof data.session_id === 'string' ? data.session_id : null;
                this.role = typeof data.role === 'string' ? data.role : null;
                this.permissions = strArray(data.permissions);
                this.sessionState = typeof data.session_state === 'string' ? data.session_state : null;
                this.status = data.status === 'waiting' ? 'waiting' : 'admitted';
                this.participants = rosterMap(data.participants);
                if (Array.isArray(data.muted)) this.muted = strArray(data.muted);
                if (Array.isArray(data.muted_by_moderator)) this.mutedByModerator = strArray(data.muted_by_moderator);
                this.waitingReason = this.status === 'waiting' && typeof data.reason === 'string' ? data.reason.slice(0, 40) : null;
                if ('consent' in data) this.consent = consentOf(data.consent);
                if (data.recording) this._applyRecording(data.recording);
                this._log('info', `joined as ${this.participantId} (${this.role}, ${this.status})`);
                this._emit('joined', data);
                this._emit('participants', this.participants);
                this._syncChat();
                // After the caller's own reaction to connect() (e.g. publish()),
                // so that both land in one offer.
                setTimeout(() => {
                    if (!this._active()) return;
                    if (this._wantsPc()) this._background(this._negotiate(), 'initial offer');
                    else if (this._neg.requested && !this._neg.running) this._runNegotiation();
                }, 0);
                return;
            case 'admitted':
                this.status = 'admitted';
                this.waitingReason = null;
                this.participants = rosterMap(data.participants);
                if (data.recording) this._applyRecording(data.recording);
                this._log('info', 'admitted');
                this._emit('admitted', data);
                this._emit('participants', this.participants);
                this._syncChat();
                return;
            case 'waiting':
                this.waiting = Array.isArray(data.waiting)
                    ? data.waiting.filter((w) => w && typeof w.participant_id === 'string').map((w) => ({
                        participant_id: w.participant_id,
                        role: typeof w.role === 'string' ? w.role : null,
                        display_name: typeof w.display_name === 'string' ? w.display_name : null,
                        precheck: precheckEntry(w.precheck),
                        consent: consentOf(w.consent),
                        reason: typeof w.reason === 'string' ? w.reason.slice(0, 40) : null,
                    }))
                    : [];
                this._emit('waiting', this.waiting);
                return;
            case 'participants':
                this.participants = rosterMap(data.participants);
                this._emit('participants', this.participants);
                return;
            case 'denied':
                this._log('info', 'denied by a moderator');
                this._finish('denied', 'denied', {});
                return;
            case 'kicked': {
                const reason = typeof data.reason === 'string' ? data.reason.slice(0, 40) : 'kicked';
                this._log('info', `kicked (${reason})`);
                this._finish('kicked', 'kicked', { reason });
                return;
            }
            case 'ended':
                this._log('info', 'session ended');
                this._finish('ended', 'ended', {});
                return;
            case 'left':
                return;
            case 'recording':
                this._applyRecording(data);
                return;
            case 'lobby':
                // Back in the lobby (a `required` session: consent withdrawn).
                this.status = 'waiting';
                this.waitingReason = typeof data.reason === 'string' ? data.reason.slice(0, 40) : null;
                this._log('info', `back in the lobby (${this.waitingReason})`);
                this._emit('lobby', { reason: this.waitingReason });
                return;
            case 'chat':
                this._onChatEvent(data.message);
                return;
            case 'file':
                this._acceptFile(data.file);
                return;
            case 'chat_sent':
            case 'chat_history':
                return;   // answers: resolved on their transaction
            case 'permissions': {
                const before = new Set(this.permissions);
                this.permissions = strArray(data.permissions);
                if (typeof data.role === 'string') this.role = data.role;
                this._emit('permissions', { permissions: this.permissions, role: this.role });
                const gained = this.permissions.filter((p) => !before.has(p));
                const wanted = gained.some((p) => (p === 'publish_audio' && this._want.audio) ||
                    (p === 'publish_video' && this._want.video) || (p === 'publish_screen' && this._want.screen) ||
                    p === 'subscribe');
                if (wanted && this._active() && this._wantsPc()) this._background(this._negotiate(), 'permission gained');
                return;
            }
            case 'muted':
                this.muted = strArray(data.muted);
                this.mutedByModerator = strArray(data.muted_by_moderator);
                this._syncTrackEnabled();
                this._emit('muted', { muted: this.muted, mutedByModerator: this.mutedByModerator, by: data.by ?? null });
                return;
            case 'configured':
                this.publishing = Array.isArray(data.publishing) ? data.publishing : [];
                this.refused = Array.isArray(data.refused) ? data.refused : [];
                if (Array.isArray(data.streams)) this._applyStreams(data.streams, true);
                this._applyUnassigned(data.unassigned);
                this._emit('configured', data);
                return;
            case 'streams':
                if (Array.isArray(data.streams)) this._applyStreams(data.streams, true);
                this._applyUnassigned(data.unassigned);
                return;
            default:
                // 'ok' answers and anything newer: only the generic event below.
        }
        this._emit('event', data);
    }

    // -------------------------------------------------------------- chat

    /** Sends a chat message (plugin `chat`): to everyone admitted, or with
     *  opts.to (participant ids) as a direct message. Resolves the message
     *  {id, seq, sender, to, text, created_at, mine: true, client_id,
     *  duplicate} once the server has stored it (it is also emitted as
     *  `chat`). A stored-store hiccup (5030), a rate limit (4290), a timeout
     *  or a lost link is retried with the same client_id (so the message is
     *  stored once) up to opts.retries (3) times with backoff; other errors
     *  reject at once. The rejection's TelemedError has clientId: pass it
     *  back as opts.clientId to retry by hand without a duplicate. */
    async sendChat(text, { to, clientId, retries = 3 } = {}) {
        if (typeof text !== 'string') throw new TelemedError(4003, 'text must be a string');
        const body = text.replace(/\r\n?/g, '\n');
        const chars = [...body].length;
        if (chars === 0 || chars > MAX_CHAT_CHARS || CHAT_FORBIDDEN_RE.test(body)) {
            throw new TelemedError(4003, `text must be 1-${MAX_CHAT_CHARS} characters without control characters`);
        }
        const recipients = to === undefined || to === null ? null : [...new Set(strArray(Array.isArray(to) ? to : [to]))];
        if (recipients && recipients.length === 0) throw new TelemedError(4041, 'no recipient');
        const cid = clientId ?? `m-${randomId()}`;
        if (!CLIENT_ID_RE.test(cid)) throw new TelemedError('state', 'clientId must be 1-64 of [A-Za-z0-9._:-]');
        const req = { request: 'chat', text: body, client_id: cid };
        if (recipients) req.to = recipients;
        let delay = CHAT_RETRY_FIRST_DELAY_MS;
        let data;
        for (let attempt = 0; ; attempt++) {
            try {
                this._assertJoined();
                data = await this.request(req);
                break;
            } catch (e) {
                const err = e instanceof TelemedError ? e : new TelemedError('state', String(e && e.message));
                err.clientId = cid;
                if (!CHAT_RETRY_CODES.has(err.code) || attempt >= retries || this._closed || !this._active()) throw err;
                const wait = err.code === 4290 && Number.isFinite(err.retryAfterMs) ? Math.max(50, err.retryAfterMs) : delay;
                if (wait > CHAT_RETRY_MAX_WAIT_MS) throw err;
                this._log('info', `chat: ${err.code}, retrying in ${wait} ms`);
                await sleep(wait);
                delay *= 2;
            }
        }
        if (!data || data.telemed !== 'chat_sent' || typeof data.id !== 'string' || !Number.isInteger(data.seq)) {
            throw new TelemedError('protocol', 'chat answered without chat_sent', { clientId: cid });
        }
        const msg = {
            id: data.id, seq: data.seq, sender: this.participantId, to: recipients ?? [], text: body,
            created_at: typeof data.created_at === 'string' ? data.created_at : new Date().toISOString(),
        };
        const known = this.chat.find((m) => m.id === msg.id);
        if (known) return { ...known, client_id: cid, duplicate: true };
        this._onChatEvent(msg, cid);
        return { ...msg, mine: true, client_id: cid, duplicate: data.duplicate === true };
    }

    /** Chat history from the plugin (`chat_history`, allowed in the lobby):
     *  the messages this participant may see with seq > since, in seq order.
     *  all (default true) follows next_since to the end; limit is the page
     *  size (<= 500). Does not emit `chat` (the SDK's own sync does). */
    async chatHistory({ since = 0, limit = CHAT_HISTORY_PAGE, all = true } = {}) {
        const out = [];
        let cursor = Number.isInteger(since) && since > 0 ? since : 0;
        const size = Math.min(500, Math.max(1, Number.isInteger(limit) ? limit : CHAT_HISTORY_PAGE));
        for (let page = 0; page < CHAT_HISTORY_MAX_PAGES; page++) {
            const req = { request: 'chat_history', limit: size };
            if (cursor > 0) req.since = cursor;
            const data = await this.request(req);
            if (!data || data.telemed !== 'chat_history' || !Array.isArray(data.items)) {
                throw new TelemedError('protocol', 'chat_history answered without items');
            }
            for (const item of data.items) {
                const m = chatMessage(item);
                if (m) out.push(m);
            }
            const next = data.next_since;
            if (!all || !Number.isInteger(next) || next <= cursor) break;
            cursor = next;
        }
        out.sort((a, b) => a.seq - b.seq);
        return out;
    }

    // A message from the plugin (a `chat` event, or our own after its ack):
    // held while a history sync runs, so that `chat` is emitted in seq order.
    _onChatEvent(raw, clientId) {
        const m = chatMessage(raw);
        if (!m) return;
        if (clientId) m.client_id = clientId;
        if (this._chatSync) this._chatBuffer.push(m);
        else this._acceptChat(m);
    }

    _acceptChat(m) {
        if (this._chatIds.has(m.id)) return false;
        this._chatIds.add(m.id);
        if (m.seq > this._chatLastSeq) this._chatLastSeq = m.seq;
        const msg = { ...m, mine: m.sender !== null && m.sender === this.participantId };
        // Usually the newest: append; else insert in seq order.
        let i = this.chat.length;
        while (i > 0 && this.chat[i - 1].seq > msg.seq) i--;
        this.chat.splice(i, 0, msg);
        this._emit('chat', msg);
        return true;
    }

    // After join, rejoin, admission and a claimed reconnect: history since
    // the last seq seen (and, with a credential, the session's files), so
    // nothing sent while we were away is missing. Runs one at a time.
    _syncChat() {
        if (this._chatSync) {
            this._chatSyncAgain = true;
            return;
        }
        this._chatSync = (async () => {
            do {
                this._chatSyncAgain = false;
                // A busy store (5030), the rate limit or a timeout: a few more tries.
                for (let attempt = 0; ; attempt++) {
                    try {
                        const items = await this.chatHistory({ since: this._chatLastSeq });
                        this._chatBuffer.push(...items);
                        break;
                    } catch (e) {
                        if (e && e.code !== 'closed') this._log('info', `chat history: ${e && e.code}`);
                        if (!e || !CHAT_RETRY_CODES.has(e.code) || e.code === 'transport' || attempt >= 3 || !this._active()) break;
                        await sleep(Number.isFinite(e.retryAfterMs) ? Math.min(CHAT_RETRY_MAX_WAIT_MS, Math.max(50, e.retryAfterMs))
                            : CHAT_RETRY_FIRST_DELAY_MS * 2 ** attempt);
                        if (!this._active()) break;
                    }
                }
                if (this._credential && this.sessionId) {
                    try {
                        await this.listFiles();
                    } catch (e) {
                        this._log('info', `file list: ${e && e.code}`);
                    }
                }
                if (this._chatBuffer.length) {
                    const list = this._chatBuffer.sort((a, b) => a.seq - b.seq);
                    this._chatBuffer = [];
                    for (const m of list) this._acceptChat(m);
                }
            } while (this._chatSyncAgain && this._active());
        })().finally(() => {
            this._chatSync = null;
            const list = this._chatBuffer.sort((a, b) => a.seq - b.seq);
            this._chatBuffer = [];
            for (const m of list) this._acceptChat(m);
        });
    }

    // -------------------------------------------------------------- files

    /** The participant credential for the file endpoints (and chat history
     *  over REST). Never logged. */
    setCredential(credential) {
        if (credential !== null && (typeof credential !== 'string' || !CREDENTIAL_RE.test(credential))) {
            throw new TelemedError('credential', 'not a participant credential');
        }
        this._credential = credential;
    }

    /** True when file upload and download can work (a credential is held). */
    get canShareFiles() {
        return this._credential !== null;
    }

    _acceptFile(raw) {
        const f = fileResource(raw);
        if (!f || this.files.has(f.id)) return this.files.get(f && f.id) ?? f;
        f.mine = f.sender !== null && f.sender === this.participantId;
        this.files.set(f.id, f);
        this._emit('file', f);
        return f;
    }

    _needCredential() {
        if (!this._credential) throw new TelemedError('credential', 'file sharing needs the participant credential');
        if (!this.sessionId) throw new TelemedError('state', 'not joined');
    }

    // A REST call to the controller with the credential; resolves the Response (2xx).
    async _api(method, path, what) {
        this._needCredential();
        if (typeof this._fetch !== 'function') throw new TelemedError('transport', 'fetch is not available');
        let res;
        try {
            res = await this._fetch(new URL(path, this.apiUrl).href, {
                method,
                headers: { authorization: `Bearer ${this._credential}` },
                cache: 'no-store',
                credentials: 'omit',
                signal: typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? AbortSignal.timeout(60000) : undefined,
            });
        } catch (e) {
            throw new TelemedError('transport', `${what} failed: ${e && e.name}`);
        }
        if (res.status < 200 || res.status > 299) {
            const body = await res.json().catch(() => null);
            throw httpError(res.status, body, what);
        }
        return res;
    }

    /** The session's files this participant may see (GET
     *  /sessions/<sid>/files with the credential, every page). New ones are
     *  also emitted as `file`. Resolves an array of file resources. */
    async listFiles() {
        this._needCredential();
        const out = [];
        let cursor = null;
        for (let page = 0; page < 100; page++) {
            const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
            const res = await this._api('GET', `sessions/${encodeURIComponent(this.sessionId)}/files${q}`, 'GET files');
            const body = await res.json().catch(() => null);
            if (!body || !Array.isArray(body.items)) throw new TelemedError('protocol', 'GET files: no items');
            for (const item of body.items) {
                const f = fileResource(item);
                if (f) out.push(f);
            }
            if (typeof body.next_cursor !== 'string' || !body.next_cursor || body.next_cursor === cursor) break;
            cursor = body.next_cursor;
        }
        out.sort((a, b) => (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0));
        return out.map((f) => this._acceptFile(f));
    }

    /** Uploads a File/Blob to the session (POST /sessions/<sid>/files with
     *  the credential; XMLHttpRequest, so opts.onProgress({loaded, total,
     *  fraction}) follows the bytes really sent). opts.to: participant ids
     *  (default everyone admitted); opts.name: the file name (default
     *  file.name); opts.signal: an AbortSignal to cancel. Resolves the file
     *  resource {id, session_id, name, size, content_type, sha256, sender,
     *  to, created_at} (also emitted as `file`). Rejects with TelemedError
     *  'too-large' (over MAX_FILE_BYTES, or 413), 'type-not-allowed' (not a
     *  FILE_TYPES type, or 415), 'credential' (none held, or 401),
     *  'forbidden' (403: no share_files), 'ended' (409), 'rate-limited'
     *  (429), 'aborted', 'transport'. */
    uploadFile(file, { to, onProgress, signal, name } = {}) {
        return new Promise((resolve, reject) => {
            try {
                this._needCredential();
            } catch (e) {
                reject(e);
                return;
            }
            const Blob_ = globalThis.Blob;
            if (!file || (Blob_ && !(file instanceof Blob_)) || !Number.isFinite(file.size)) {
                reject(new TelemedError('state', 'uploadFile needs a File or Blob'));
                return;
            }
            const fname = typeof name === 'string' && name ? name : (typeof file.name === 'string' && file.name ? file.name : 'file');
            const type = fileType(file, fname);
            if (file.size > MAX_FILE_BYTES) {
                reject(new TelemedError('too-large', `the file is larger than ${MAX_FILE_BYTES} bytes`, { size: file.size, max: MAX_FILE_BYTES }));
                return;
            }
            if (!FILE_TYPES[type]) {
                reject(new TelemedError('type-not-allowed', 'this type of file cannot be shared', { type }));
                return;
            }
            if (file.size === 0) {
                reject(new TelemedError('empty', 'the file is empty'));
                return;
            }
            const XHR = this._XMLHttpRequest;
            if (typeof XHR !== 'function') {
                reject(new TelemedError('transport', 'XMLHttpRequest is not available'));
                return;
            }
            const recipients = to === undefined || to === null ? [] : strArray(Array.isArray(to) ? to : [to]);
            const url = new URL(`sessions/${encodeURIComponent(this.sessionId)}/files`, this.apiUrl);
            if (recipients.length) url.search = `?to=${recipients.map(encodeURIComponent).join(',')}`;
            const progress = (loaded) => {
                if (typeof onProgress !== 'function') return;
                try {
                    onProgress({ loaded, total: file.size, fraction: file.size > 0 ? Math.min(1, loaded / file.size) : 1 });
                } catch {
                    // a broken callback must not break the upload
                }
            };
            const xhr = new XHR();
            let done = false;
            const finish = (fn, v) => {
                if (done) return;
                done = true;
                if (signal) signal.removeEventListener?.('abort', onAbort);
                fn(v);
            };
            const onAbort = () => xhr.abort();
            xhr.open('POST', url.href);
            xhr.setRequestHeader('Authorization', `Bearer ${this._credential}`);
            xhr.setRequestHeader('Content-Type', type);
            xhr.setRequestHeader('Content-Disposition', contentDisposition(fname));
            xhr.setRequestHeader('Accept', 'application/json');
            xhr.responseType = 'text';
            if (xhr.upload) {
                xhr.upload.onprogress = (ev) => progress(ev.loaded);
            }
            xhr.onload = () => {
                let body = null;
                try {
                    body = JSON.parse(xhr.responseText);
                } catch {
                    // not JSON
                }
                if (xhr.status !== 201 && xhr.status !== 200) {
                    finish(reject, httpError(xhr.status, body, 'POST files'));
                    return;
                }
                const f = fileResource(body);
                if (!f) {
                    finish(reject, new TelemedError('protocol', 'POST files: not a file resource'));
                    return;
                }
                progress(file.size);
                finish(resolve, this._acceptFile(f));
            };
            xhr.onerror = () => finish(reject, new TelemedError('transport', 'the upload failed (network)'));
            xhr.ontimeout = () => finish(reject, new TelemedError('timeout', 'the upload timed out'));
            xhr.onabort = () => finish(reject, new TelemedError('aborted', 'the upload was cancelled'));
            if (signal) {
                if (signal.aborted) {
                    finish(reject, new TelemedError('aborted', 'the upload was cancelled'));
                    return;
                }
                signal.addEventListener?.('abort', onAbort);
            }
            progress(0);
            xhr.send(file);
        });
    }

    /** Fetches a file (GET /files/<id> with the credential) and resolves a
     *  Blob (its type the file's). */
    async downloadBlob(id) {
        if (typeof id !== 'string' || !id) throw new TelemedError('state', 'a file id is required');
        const res = await this._api('GET', `files/${encodeURIComponent(id)}`, 'GET file');
        try {
            return await res.blob();
        } catch (e) {
            throw new TelemedError('transport', `GET file: ${e && e.name}`);
        }
    }

    /** A plain link cannot carry the Authorization header, so this fetches
     *  the file with the credential and resolves a blob: object URL for an
     *  <a href download>. Each URL holds the bytes in memory until
     *  revokeDownloadUrl(url) (or close()). */
    async downloadUrl(id) {
        const blob = await this.downloadBlob(id);
        const url = URL.createObjectURL(blob);
        this._blobUrls.add(url);
        return url;
    }

    revokeDownloadUrl(url) {
        if (!this._blobUrls.delete(url)) return;
        try {
            URL.revokeObjectURL(url);
        } catch {
            // ignore
        }
    }

    // -------------------------------------------------------------- media

    _trackFor(source) {
        if (source === 'screen') return this.screenStream?.getVideoTracks()[0] ?? null;
        if (!this.localStream) return null;
        return (source === 'audio' ? this.localStream.getAudioTracks() : this.localStream.getVideoTracks())[0] ?? null;
    }

    _streamFor(source) {
        return source === 'screen' ? this.screenStream : this.localStream;
    }

    _syncTrackEnabled() {
        for (const s of SOURCES) {
            const t = this._trackFor(s);
            if (t) t.enabled = !this.muted.includes(s);
        }
    }

    _wantsPc() {
        return this._want.audio || this._want.video || this._want.screen ||
            this.permissions.includes('subscribe') || this.pc !== null;
    }

    _assertJoined() {
        if (!this._active()) throw new TelemedError('state', 'not joined');
    }

    /** Captures (or takes opts.stream) and publishes microphone and camera.
     *  A kind set to false stops publishing it. Resolves the `configured` data. */
    async publish({ audio = true, video = true, stream = null } = {}) {
        this._assertJoined();
        let src = stream;
        if (!src && (audio || video)) {
            const md = this._mediaDevices;
            if (!md || typeof md.getUserMedia !== 'function') throw new TelemedError('media', 'getUserMedia is not available');
            try {
                src = await md.getUserMedia({
                    audio: audio ? (audio === true ? { echoCancellation: true, noiseSuppression: true } : audio) : false,
                    video: video ? (video === true ? { width: { ideal: 640 }, height: { ideal: 480 } } : video) : false,
                });
            } catch (e) {
                throw new TelemedError('media', `${e && e.name}: camera or microphone not available`, { cause: e });
            }
            this._assertJoined();
        }
        const a = audio ? src?.getAudioTracks()[0] ?? null : null;
        const v = video ? src?.getVideoTracks()[0] ?? null : null;
        if (!this.localStream) {
            if (typeof this._MediaStream !== 'function') throw new TelemedError('media', 'MediaStream is not available');
            this.localStream = new this._MediaStream();
        }
        for (const [kind, track] of [['audio', a], ['video', v]]) {
            const old = this._trackFor(kind);
            if (old && old !== track) {
                this.localStream.removeTrack(old);
                if (!stream || !stream.getTracks().includes(old)) old.stop();
            }
            if (track && old !== track) this.localStream.addTrack(track);
            if (track) track.enabled = !this.muted.includes(kind);
            this._want[kind] = !!track;
        }
        return this._negotiate();
    }

    /** Stops publishing microphone and camera (tracks stopped). */
    async unpublish() {
        for (const kind of ['audio', 'video']) {
            const t = this._trackFor(kind);
            if (t) {
                this.localStream.removeTrack(t);
                t.stop();
            }
            this._want[kind] = false;
        }
        if (this._active() && this.pc) return this._negotiate();
        return null;
    }

    async startScreenShare(stream = null) {
        this._assertJoined();
        let src = stream;
        if (!src) {
            const md = this._mediaDevices;
            if (!md || typeof md.getDisplayMedia !== 'function') throw new TelemedError('media', 'screen capture is not available');
            try {
                src = await md.getDisplayMedia({ video: true, audio: false });
            } catch (e) {
                throw new TelemedError('media', `${e && e.name}: screen capture refused`, { cause: e });
            }
        }
        const track = src.getVideoTracks()[0];
        if (!track) throw new TelemedError('media', 'no video track to share');
        const old = this._trackFor('screen');
        if (old && old !== track) old.stop();
        this.screenStream = src;
        track.enabled = !this.muted.includes('screen');
        track.addEventListener?.('ended', () => {
            if (this.screenStream === src) this.stopScreenShare().catch(() => {});
        });
        this._want.screen = true;
        return this._negotiate();
    }

    async stopScreenShare() {
        const t = this._trackFor('screen');
        this.screenStream = null;
        this._want.screen = false;
        if (t) t.stop();
        if (this._active() && this.pc) return this._negotiate();
        return null;
    }

    /** At least this many slots per kind (at most 16), then re-offer. */
    async setSlots({ audio, video } = {}) {
        if (Number.isInteger(audio)) this._slotTarget.audio = Math.min(MAX_SLOTS_PER_KIND, Math.max(this._slotTarget.audio, audio));
        if (Number.isInteger(video)) this._slotTarget.video = Math.min(MAX_SLOTS_PER_KIND, Math.max(this._slotTarget.video, video));
        this._assertJoined();
        return this._negotiate();
    }

    renegotiate({ iceRestart = false } = {}) {
        try {
            this._assertJoined();
        } catch (e) {
            return Promise.reject(e);
        }
        return this._negotiate({ iceRestart });
    }

    iceRestart() {
        return this.renegotiate({ iceRestart: true });
    }

    // -------------------------------------------------------------- negotiation

    _background(promise, what) {
        promise.catch((e) => {
            if (e && (e.code === 'closed' || (e.code === 'state' && !this._active()))) return;
            this._fail(e, what);
        });
    }

    // Serialised: one configure in flight; requests made meanwhile share the
    // next one. Resolves the `configured` data of a configure that started
    // after the call.
    _negotiate({ iceRestart = false } = {}) {
        if (iceRestart) this._neg.iceRestart = true;
        return new Promise((resolve, reject) => {
            this._neg.waiters.push({ resolve, reject });
            this._neg.requested = true;
            if (!this._neg.running) this._runNegotiation();
        });
    }

    async _runNegotiation() {
        this._neg.running = true;
        let superseded = 0;
        try {
            while (this._neg.requested) {
                // A rejoin is under way: the handle is not joined yet. The
                // request stays queued; `joined` runs the loop again.
                if (this._needsJoin) break;
                this._neg.requested = false;
                const waiters = this._neg.waiters;
                this._neg.waiters = [];
                const iceRestart = this._neg.iceRestart;
                this._neg.iceRestart = false;
                try {
                    const data = await this._configureOnce(iceRestart);
                    superseded = 0;
                    for (const w of waiters) w.resolve(data);
                } catch (e) {
                    if (e && e.superseded && this._active() && superseded++ < 3) {
                        // The PeerConnection was replaced meanwhile (rejoin,
                        // hangup): the same callers get the next offer.
                        this._neg.waiters.unshift(...waiters);
                        this._neg.requested = true;
                        continue;
                    }
                    for (const w of waiters) w.reject(e);
                }
            }
        } finally {
            this._neg.running = false;
        }
    }

    async _configureOnce(iceRestart) {
        if (!this._active()) throw new TelemedError('state', 'not joined');
        const pc = this._ensurePc();
        const handle = this.handleId;
        await this._syncTransceivers(pc);
        if (pc.getTransceivers().length === 0) return null;
        this._holdLocal = true;
        let sent = false;
        try {
            const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
            if (pc !== this.pc) throw new TelemedError('state', 'PeerConnection replaced', { superseded: true });
            await pc.setLocalDescription(offer);
            const sources = [];
            for (const s of SOURCES) {
                const tx = this._pubTx[s];
                if (tx && tx.mid !== null && tx.mid !== undefined && !tx.stopped &&
                    (tx.direction === 'sendonly' || tx.direction === 'sendrecv') && tx.sender.track) {
                    sources.push({ mid: String(tx.mid), source: s });
                }
            }
            const answerP = this._message({ request: 'configure', sources },
                { type: 'offer', sdp: pc.localDescription.sdp });
            sent = true;
            this._releaseLocalCandidates();
            let ans;
            try {
                ans = await answerP;
            } catch (e) {
                await this._rollback(pc);
                throw e;
            }
            if (pc !== this.pc || handle !== this.handleId) {
                throw new TelemedError('state', 'PeerConnection replaced', { superseded: true });
            }
            if (!ans.jsep || ans.jsep.type !== 'answer' || typeof ans.jsep.sdp !== 'string') {
                await this._rollback(pc);
                throw new TelemedError('protocol', 'configure answered without an SDP answer');
            }
            await pc.setRemoteDescription({ type: 'answer', sdp: ans.jsep.sdp });
            this._flushRemoteCandidates();
            this._applyStreams(this.streams);  // mids known now for every slot
            return ans.data;
        } finally {
            if (!sent) {
                this._holdLocal = false;
                this._localCands = [];
            }
        }
    }

    async _rollback(pc) {
        if (pc === this.pc && pc.signalingState === 'have-local-offer') {
            try {
                await pc.setLocalDescription({ type: 'rollback' });
            } catch {
                // ignore: the next offer starts from whatever state remains
            }
        }
    }

    _ensurePc() {
        if (this.pc) return this.pc;
        const PC = this._RTCPeerConnection;
        if (typeof PC !== 'function') throw new TelemedError('media', 'RTCPeerConnection is not available');
        const pc = new PC({
            iceServers: this.iceServers,
            iceTransportPolicy: this.iceTransportPolicy,
            bundlePolicy: 'max-bundle',
            rtcpMuxPolicy: 'require',
        });
        pc.onicecandidate = (ev) => {
            if (pc !== this.pc) return;
            const c = ev.candidate;
            let cand;
            if (!c || !c.candidate) cand = { completed: true };
            else cand = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
            if (this._holdLocal) this._localCands.push(cand);
            else this._sendCandidate(cand);
        };
        pc.onconnectionstatechange = () => {
            if (pc === this.pc) this._emit('connection', pc.connectionState);
        };
        pc.oniceconnectionstatechange = () => {
            if (pc === this.pc) this._onIceState(pc);
        };
        pc.ontrack = () => {
            if (pc === this.pc) this._applyStreams(this.streams);
        };
        this.pc = pc;
        return pc;
    }

    // The microphone and camera transceivers are also the first slot of
    // their kind (sendrecv m-lines): a 1:1 call needs two m-lines, not four
    // (smaller offers, half the RTCP reports). Screen share and further
    // slots are sendonly / recvonly m-lines.
    async _syncTransceivers(pc) {
        for (const s of SOURCES) {
            const kind = SOURCE_KIND[s];
            const track = this._want[s] ? this._trackFor(s) : null;
            let tx = this._pubTx[s];
            if (tx && tx.stopped) tx = this._pubTx[s] = null;
            if (track && !tx) {
                const first = s === 'screen' ? null : this._slotTx[kind][0];
                const stream = this._streamFor(s);
                if (first && !first.stopped && !Object.values(this._pubTx).includes(first)) {
                    // Slots came first (subscribed before publishing): send on the first one.
                    tx = this._pubTx[s] = first;
                    if (stream && typeof tx.sender.setStreams === 'function') tx.sender.setStreams(stream);
                } else {
                    tx = this._pubTx[s] = pc.addTransceiver(track, { direction: 'sendonly', streams: stream ? [stream] : [] });
                }
            }
            if (!tx) continue;
            if (tx.sender.track !== track) await tx.sender.replaceTrack(track);
            if (s !== 'screen' && this._slotTx[kind].length === 0 && this.permissions.includes('subscribe') &&
                this._slotTarget[kind] > 0) {
                this._slotTx[kind].push(tx);
            }
        }
        if (this.permissions.includes('subscribe')) {
            for (const kind of ['audio', 'video']) {
                while (this._slotTx[kind].length < this._slotTarget[kind]) {
                    this._slotTx[kind].push(pc.addTransceiver(kind, { direction: 'recvonly' }));
                }
            }
        }
        // Directions: send where a track is published, receive on slots.
        const all = new Set([...Object.values(this._pubTx), ...this._slotTx.audio, ...this._slotTx.video]);
        for (const tx of all) {
            if (!tx || tx.stopped) continue;
            const send = SOURCES.some((s) => this._pubTx[s] === tx && tx.sender.track);
            const recv = this._slotTx.audio.includes(tx) || this._slotTx.video.includes(tx);
            const dir = send ? (recv ? 'sendrecv' : 'sendonly') : (recv ? 'recvonly' : 'inactive');
            if (tx.direction !== dir) tx.direction = dir;
        }
    }

    _applyUnassigned(u) {
        if (!u || typeof u !== 'object') return;
        let grow = false;
        for (const kind of ['audio', 'video']) {
            const n = Number.isInteger(u[kind]) ? u[kind] : 0;
            if (n <= 0) continue;
            const target = Math.min(MAX_SLOTS_PER_KIND, this._slotTx[kind].length + n);
            if (target > this._slotTarget[kind]) {
                this._slotTarget[kind] = target;
                grow = true;
            }
        }
        if (grow && this._active()) {
            this._log('info', `adding slots (audio ${this._slotTarget.audio}, video ${this._slotTarget.video})`);
            this._background(this._negotiate(), 'more slots');
        }
    }

    _sendCandidate(cand) {
        if (this.handleId === null) return;
        this._janus({ janus: 'trickle', handle_id: this.handleId, candidate: cand }, 'ack')
            .catch((e) => this._log('debug', `trickle: ${e.code}`));
    }

    _releaseLocalCandidates() {
        this._holdLocal = false;
        const list = this._localCands;
        this._localCands = [];
        for (const c of list) this._sendCandidate(c);
    }

    _onRemoteCandidate(c) {
        if (!c || typeof c !== 'object') return;
        const pc = this.pc;
        if (pc && pc.remoteDescription && pc.signalingState === 'stable') {
            this._addRemoteCandidate(pc, c);
        } else if (this._remoteCands.length < MAX_BUFFERED_CANDIDATES) {
            this._remoteCands.push(c);
        }
    }

    _flushRemoteCandidates() {
        const pc = this.pc;
        const list = this._remoteCands;
        this._remoteCands = [];
        if (pc) for (const c of list) this._addRemoteCandidate(pc, c);
    }

    _addRemoteCandidate(pc, c) {
        if (c.completed) {
            pc.addIceCandidate().catch(() => {});
            return;
        }
        if (typeof c.candidate !== 'string') return;
        const init = { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
        if (init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0;
        pc.addIceCandidate(init).catch((e) => this._log('debug', `remote candidate refused: ${e && e.name}`));
    }

    _onIceState(pc) {
        const s = pc.iceConnectionState;
        this._emit('ice', s);
        if (s === 'failed') {
            this._clearIceTimer();
            this._log('warn', 'ICE failed: restarting ICE');
            if (this._active()) this._background(this.iceRestart(), 'ICE restart');
        } else if (s === 'disconnected') {
            if (!this._iceTimer) {
                this._iceTimer = setTimeout(() => {
                    this._iceTimer = null;
                    if (pc === this.pc && pc.iceConnectionState === 'disconnected' && this._active()) {
                        this._log('warn', 'ICE disconnected for 2 s: restarting ICE');
                        this._background(this.iceRestart(), 'ICE restart');
                    }
                }, ICE_DISCONNECTED_GRACE_MS);
            }
        } else {
            this._clearIceTimer();
        }
    }

    _clearIceTimer() {
        if (this._iceTimer) clearTimeout(this._iceTimer);
        this._iceTimer = null;
    }

    // Janus closed our PeerConnection without a terminal event (ICE/DTLS
    // failure on its side): a new one with the same tracks.
    _onHangup(reason) {
        if (!this._active() || !this.pc) return;
        this._log('warn', `PeerConnection hung up by Janus (${reason}): negotiating a new one`);
        const wait = Math.max(0, 2000 - (Date.now() - this._lastPcReset));
        this._lastPcReset = Date.now() + wait;
        setTimeout(() => {
            if (!this._active()) return;
            this._resetPc();
            if (this._wantsPc()) this._background(this._negotiate(), 'new PeerConnection');
        }, wait);
    }

    // Closes the PeerConnection (tracks kept) and forgets slots and mapping.
    _resetPc() {
        this._clearIceTimer();
        const pc = this.pc;
        this.pc = null;
        this._pubTx = { audio: null, video: null, screen: null };
        this._slotTx = { audio: [], video: [] };
        this._remoteCands = [];
        this._localCands = [];
        this._holdLocal = false;
        if (pc) {
            try {
                pc.close();
            } catch {
                // ignore
            }
        }
        this._applyStreams([]);
    }

    _closeMedia(stopLocal) {
        this._resetPc();
        this._neg.requested = false;
        const waiters = this._neg.waiters;
        this._neg.waiters = [];
        for (const w of waiters) w.reject(new TelemedError('closed', 'media closed'));
        if (stopLocal) {
            for (const s of [this.localStream, this.screenStream]) {
                if (s) for (const t of s.getTracks()) t.stop();
            }
            this.localStream = null;
            this.screenStream = null;
            this._want = { audio: false, video: false, screen: false };
        }
        this.participants = new Map();
        this.waiting = [];
    }

    // -------------------------------------------------------------- slot mapping

    // Maps slot mids to (participant, source). `fromPlugin`: a new list from
    // the plugin (emits 'streams'); otherwise a re-application after the
    // transceivers changed.
    _applyStreams(list, fromPlugin = false) {
        const valid = (Array.isArray(list) ? list : []).filter((s) => s && (typeof s.mid === 'string' || typeof s.mid === 'number') &&
            typeof s.participant_id === 'string' && isMedia(s.source));
        this.streams = valid.map((s) => ({ mid: String(s.mid), participant_id: s.participant_id, source: s.source }));
        const transceivers = this.pc ? this.pc.getTransceivers() : [];
        const byMid = new Map();
        for (const t of transceivers) if (t.mid !== null && t.mid !== undefined) byMid.set(String(t.mid), t);
        const next = new Map();
        for (const s of this.streams) {
            const tx = byMid.get(s.mid);
            if (tx && tx.receiver && tx.receiver.track && tx.receiver.track.kind === SOURCE_KIND[s.source]) {
                next.set(`${s.participant_id}|${s.source}`, { mid: s.mid, track: tx.receiver.track });
            }
        }
        let changed = false;
        for (const [key, cur] of this._assign) {
            const n = next.get(key);
            if (n && n.mid === cur.mid && n.track === cur.track) continue;
            this._assign.delete(key);
            const [pid, source] = key.split('|');
            const entry = this.remote.get(pid);
            if (entry) {
                entry[source] = null;
                if (!entry.audio && !entry.video && !entry.screen) this.remote.delete(pid);
            }
            changed = true;
            this._emit('remote-removed', { participant_id: pid, source });
        }
        for (const [key, n] of next) {
            if (this._assign.has(key)) continue;
            const [pid, source] = key.split('|');
            const stream = this._MediaStream ? new this._MediaStream([n.track]) : null;
            this._assign.set(key, { mid: n.mid, track: n.track, stream });
            const entry = this.remote.get(pid) ?? { audio: null, video: null, screen: null };
            entry[source] = stream;
            this.remote.set(pid, entry);
            changed = true;
            this._emit('remote', { participant_id: pid, source, stream, track: n.track, mid: n.mid });
        }
        if (fromPlugin || changed) this._emit('streams', this.streams);
    }
}

export default TelemedClient;
