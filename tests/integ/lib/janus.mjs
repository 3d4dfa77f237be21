// A small Janus WebSocket client (subprotocol "janus-protocol") for tests:
// create a Janus session, attach janus.plugin.telemed, send messages and
// await the event answering a transaction, watch asynchronous events.
//
// Janus runs with token_auth (conf/janus/janus.jcfg): every request but
// info/ping carries a Janus signed token. A client sends the one it was
// given (JanusClient.connect(url, {janusToken}): e.g. a join object's
// janus_token), else one minted here from the stack's JANUS_TOKEN_SECRET
// (for tests that mint join tokens by hand); janusToken: null sends none.
import { createHmac } from 'node:crypto';

import WebSocket from 'ws';

import { ENV, PLUGIN, transaction, within } from './stack.mjs';

// A Janus signed token (docs/API.md "janus_token", common/janus_token.hpp):
// "<expiry>,janus,<plugin>[,...]:<base64 HMAC-SHA1(secret, data)>".
export function mintJanusToken({ plugins = [PLUGIN], ttlSeconds = 3600, secret = ENV.JANUS_TOKEN_SECRET,
    expiresAt } = {}) {
    if (!secret) throw new Error('stack.env lacks JANUS_TOKEN_SECRET');
    const exp = expiresAt ?? Math.floor(Date.now() / 1000) + ttlSeconds;
    const data = `${exp},janus,${plugins.join(',')}`;
    return `${data}:${createHmac('sha1', secret).update(data).digest('base64')}`;
}

export class JanusClient {
    constructor(ws, janusToken) {
        this.ws = ws;
        this.janusToken = janusToken;  // null: requests go without a token
        this.received = [];   // every message, in arrival order
        this.waiters = new Set();
        this.closed = false;
        this.sessionId = undefined;
        ws.on('message', (buf) => {
            let msg;
            try {
                msg = JSON.parse(buf.toString('utf8'));
            } catch {
                return;
            }
            this.received.push(msg);
            for (const w of [...this.waiters]) {
                if (w.pred(msg)) {
                    this.waiters.delete(w);
                    w.resolve(msg);
                }
            }
        });
        ws.on('close', () => {
            this.closed = true;
            for (const w of [...this.waiters]) {
                this.waiters.delete(w);
                w.reject(new Error('janus websocket closed'));
            }
        });
        ws.on('error', () => {});
    }

    static async connect(url = ENV.JANUS_WS_URL, { timeout = 5000, janusToken = mintJanusToken() } = {}) {
        const ws = new WebSocket(url, 'janus-protocol');
        const client = new JanusClient(ws, janusToken);
        await within(new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
        }), timeout, `connect ${url}`);
        return client;
    }

    // Adds the client's Janus token unless msg has one (or is info/ping).
    send(msg) {
        const needsToken = this.janusToken && msg.token === undefined && msg.janus !== 'info' && msg.janus !== 'ping';
        this.ws.send(JSON.stringify(needsToken ? { ...msg, token: this.janusToken } : msg));
    }

    // Resolves with the first message (already received after index `from`,
    // or future) satisfying `pred`.
    waitFor(pred, { timeout = 5000, from = 0, what = 'janus message' } = {}) {
        for (let i = from; i < this.received.length; i++) {
            if (pred(this.received[i])) return Promise.resolve(this.received[i]);
        }
        if (this.closed) return Promise.reject(new Error('janus websocket closed'));
        let entry;
        const p = new Promise((resolve, reject) => {
            entry = { pred, resolve, reject };
            this.waiters.add(entry);
        });
        return within(p, timeout, what).finally(() => this.waiters.delete(entry));
    }

    // Sends a Janus request and resolves with its answer (skips "ack").
    async request(msg, { timeout = 5000 } = {}) {
        const t = transaction('ws');
        const from = this.received.length;
        this.send({ ...msg, transaction: t });
        return this.waitFor((m) => m.transaction === t && m.janus !== 'ack',
            { timeout, from, what: `answer to ${msg.janus}` });
    }

    async createSession() {
        const r = await this.request({ janus: 'create' });
        if (r.janus !== 'success') throw new Error(`janus create: ${JSON.stringify(r)}`);
        this.sessionId = r.data.id;
        return this.sessionId;
    }

    async attach(plugin = PLUGIN) {
        const r = await this.request({ janus: 'attach', session_id: this.sessionId, plugin });
        if (r.janus !== 'success') throw new Error(`janus attach: ${JSON.stringify(r)}`);
        return r.data.id;
    }

    // Sends a plugin message on `handle` and resolves with plugindata.data of
    // the answer (asynchronous event or synchronous success).
    async message(handle, body, { jsep, timeout = 5000 } = {}) {
        const msg = { janus: 'message', session_id: this.sessionId, handle_id: handle, body };
        if (jsep) msg.jsep = jsep;
        const r = await this.request(msg, { timeout });
        if (r.janus === 'error') throw new Error(`janus error ${r.error?.code}: ${r.error?.reason}`);
        if (!r.plugindata || !r.plugindata.data) throw new Error(`no plugindata in ${JSON.stringify(r).slice(0, 300)}`);
        return r.plugindata.data;
    }

    // Resolves with plugindata.data of a later plugin event on `handle`
    // whose data satisfies `pred`.
    async pluginEvent(handle, pred, { timeout = 5000, from = 0, what = 'plugin event' } = {}) {
        const m = await this.waitFor((msg) => msg.janus === 'event' && msg.sender === handle &&
            msg.plugindata && msg.plugindata.data && pred(msg.plugindata.data), { timeout, from, what });
        return m.plugindata.data;
    }

    async close() {
        if (this.closed) return;
        const done = new Promise((resolve) => this.ws.once('close', resolve));
        try {
            if (this.sessionId !== undefined && this.ws.readyState === WebSocket.OPEN) {
                this.send({ janus: 'destroy', session_id: this.sessionId, transaction: transaction('ws') });
            }
        } catch {
            // ignore
        }
        this.ws.close();
        try {
            await within(done, 3000, 'websocket close');
        } catch {
            this.ws.terminate();
        }
    }
}

// Connects, creates a Janus session, attaches the plugin and sends
// {"request":"join","token":...}. Returns {client, handle, data} where data
// is the plugin's answer. The caller closes the client.
export async function joinWith(token, { sessionId, extra = {}, timeout = 5000, janusToken } = {}) {
    const client = await JanusClient.connect(undefined, janusToken === undefined ? {} : { janusToken });
    try {
        await client.createSession();
        const handle = await client.attach();
        const body = { request: 'join', token, ...extra };
        if (sessionId !== undefined) body.session_id = sessionId;
        const data = await client.message(handle, body, { timeout });
        return { client, handle, data };
    } catch (e) {
        await client.close();
        throw e;
    }
}

// Opens a client with an attached handle, without joining.
export async function attached() {
    const client = await JanusClient.connect();
    try {
        await client.createSession();
        const handle = await client.attach();
        return { client, handle };
    } catch (e) {
        await client.close();
        throw e;
    }
}
