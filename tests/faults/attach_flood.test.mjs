// Issue 11 item 5: Janus is not open to the world.
//
// Before: 3,000 attaches without any token made 3,014 Janus threads and
// 3,032 file descriptors in 3 s (a loop thread and its wake-up descriptor per
// handle); near the default descriptor limit real joins would fail.
// Now (conf/janus/janus.jcfg, scripts/lib/janus.sh): token_auth with signed
// tokens (the join object's janus_token), event_loops (a fixed pool of handle
// loops), and the plugin's max_handles bound on handles overall.
//
// 1. 2,000 token-less `create`s and 2,000 token-less `attach`es over the
//    Janus WebSocket are all refused (403), while one real join (controller
//    join object: token + janus_token) gets in; Janus's threads and
//    descriptors (/proc/<pid>/task, /fd) stay flat.
// 2. Token holders are bounded too: 2,500 attaches WITH a valid token stop at
//    max_handles (default 2000; refused with 461 "error '4090'"), threads
//    stay flat (event_loops), and after the flood a real join still works.
// 3. The token is checked on every request, keepalives included.
//
// Measured (2 cores; Janus 1.1.2), before -> after this change:
//   token-less creates accepted       2,000 -> 0 (2,000 x 403)
//   token-less attaches accepted      2,000 -> 0 (2,000 x 403)
//   Janus threads during that flood   13 -> 2,015   ->  15 -> 16
//   Janus descriptors                 21 -> 2,034   ->  23 -> 35 (the flood's own 10 sockets + clients)
//   attaches with a token accepted    2,500 of 2,500 -> 1,999 of 2,500 (501 x 461 "error '4090'")
//   Janus threads / fds at that peak  4,476 / 4,539 -> 16 / 40
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import WebSocket from 'ws';

import { JanusClient, joinWith, mintJanusToken } from '../integ/lib/janus.mjs';
import { ENV, addParticipant, createSession, stack, transition, within } from '../integ/lib/stack.mjs';

const FLOOD = 2000;
const CONNECTIONS = 10;
const MAX_HANDLES = 2000;            // conf/janus.plugin.telemed.jcfg.sample default
const TOKEN_FLOOD = MAX_HANDLES + 500;

// The Janus PID from stack.env now (an earlier file may have restarted it).
function janusPid() {
    const line = readFileSync(join(stack.dir, 'stack.env'), 'utf8').split('\n').find((l) => l.startsWith('JANUS_PID='));
    const pid = Number(line?.slice('JANUS_PID='.length));
    assert.ok(Number.isInteger(pid) && pid > 0, 'stack.env names the Janus PID');
    return pid;
}

function janusCounts(pid) {
    return {
        threads: readdirSync(`/proc/${pid}/task`).length,
        fds: readdirSync(`/proc/${pid}/fd`).length,
    };
}

const toClose = [];  // clients and sockets to close when the file ends

// Samples Janus's threads and descriptors every 50 ms until stop(): the peaks.
function sampler(pid) {
    const peak = janusCounts(pid);
    const timer = setInterval(() => {
        try {
            const c = janusCounts(pid);
            peak.threads = Math.max(peak.threads, c.threads);
            peak.fds = Math.max(peak.fds, c.fds);
        } catch {
            // Janus gone: the assertions below fail on their own
        }
    }, 50);
    return { peak, stop: () => clearInterval(timer) };
}

// A raw Janus WebSocket that sends many requests at once and tallies the
// answers by transaction: {success, errors: Map(code -> n), ids: [...]}.
async function openRaw() {
    const ws = new WebSocket(ENV.JANUS_WS_URL, 'janus-protocol');
    await within(new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
    }), 5000, 'janus websocket open');
    const pending = new Map();
    ws.on('message', (buf) => {
        let m;
        try {
            m = JSON.parse(buf.toString('utf8'));
        } catch {
            return;
        }
        const p = m.transaction && pending.get(m.transaction);
        if (!p || m.janus === 'ack') return;
        pending.delete(m.transaction);
        p(m);
    });
    ws.on('error', () => {});
    const burst = (msgs, timeout = 30000) => {
        const answers = msgs.map((msg, i) => new Promise((resolve) => {
            const t = `flood-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}`;
            pending.set(t, resolve);
            ws.send(JSON.stringify({ ...msg, transaction: t }));
        }));
        return within(Promise.all(answers), timeout, `${msgs.length} answers`);
    };
    const raw = { ws, burst, close: () => ws.terminate() };
    toClose.push(raw);  // closed by after() whatever happens: an open socket would keep node alive
    return raw;
}

function tally(answers) {
    const out = { success: 0, errors: new Map(), ids: [], reasons: new Set() };
    for (const m of answers) {
        if (m.janus === 'success') {
            out.success += 1;
            if (m.data?.id) out.ids.push(m.data.id);
        } else if (m.janus === 'error') {
            out.errors.set(m.error?.code, (out.errors.get(m.error?.code) ?? 0) + 1);
            if (out.reasons.size < 5) out.reasons.add(String(m.error?.reason).slice(0, 120));
        }
    }
    return out;
}

// A controller session with one doctor: a real join object.
async function realJoin() {
    const s = await createSession({ kind: 'consultation' });
    await transition(s.id, 'start');
    const p = await addParticipant(s.id, { user_id: `flood-${Date.now()}-${Math.random().toString(36).slice(2)}`, role: 'doctor' });
    return p.join;
}

after(async () => {
    for (const c of toClose) {
        try {
            await c.close();
        } catch {
            // ignore
        }
    }
});

test('2,000 token-less creates and attaches are refused; Janus threads and fds stay flat; a real join gets in meanwhile', async (t) => {
    const pid = janusPid();
    const before = janusCounts(pid);
    const s = sampler(pid);
    const join0 = await realJoin();

    // A Janus session created WITH a token, so that token-less attaches have
    // a session to aim at.
    const owner = await JanusClient.connect(undefined, { janusToken: mintJanusToken() });
    toClose.push(owner);
    const sessionId = await owner.createSession();

    const raws = [];
    for (let i = 0; i < CONNECTIONS; i++) raws.push(await openRaw());
    const per = FLOOD / CONNECTIONS;
    const creates = raws.map((r) => r.burst(Array.from({ length: per }, () => ({ janus: 'create' }))));
    const attaches = raws.map((r) => r.burst(Array.from({ length: per },
        () => ({ janus: 'attach', session_id: sessionId, plugin: 'janus.plugin.telemed' }))));
    // The real join, during the flood.
    const joining = joinWith(join0.token, { janusToken: join0.janus_token, timeout: 10000 });

    const c = tally((await Promise.all(creates)).flat());
    const a = tally((await Promise.all(attaches)).flat());
    const joined = await joining;
    toClose.push(joined.client);
    s.stop();
    const afterCounts = janusCounts(pid);
    t.diagnostic(`token-less creates: ${c.success} accepted, refused ${JSON.stringify([...c.errors])}`);
    t.diagnostic(`token-less attaches: ${a.success} accepted, refused ${JSON.stringify([...a.errors])}`);
    t.diagnostic(`janus threads ${before.threads} -> peak ${s.peak.threads} -> ${afterCounts.threads}; ` +
        `fds ${before.fds} -> peak ${s.peak.fds} -> ${afterCounts.fds}`);

    assert.equal(typeof join0.janus_token, 'string', 'the join object carries janus_token');
    assert.equal(joined.data.telemed, 'joined', `the real join got in during the flood: ${JSON.stringify(joined.data)}`);
    assert.equal(c.success, 0, `no token-less create accepted (${[...c.reasons]})`);
    assert.equal(c.errors.get(403), FLOOD, 'every token-less create refused with 403');
    assert.equal(a.success, 0, `no token-less attach accepted (${[...a.reasons]})`);
    assert.equal(a.errors.get(403), FLOOD, 'every token-less attach refused with 403');
    // The flood's own connections (and the test's clients) hold descriptors;
    // nothing per refused request.
    assert.ok(s.peak.threads <= before.threads + 10, `threads bounded: ${before.threads} -> ${s.peak.threads}`);
    assert.ok(s.peak.fds <= before.fds + CONNECTIONS + 40, `descriptors bounded: ${before.fds} -> ${s.peak.fds}`);
});

test('token holders are bounded too: attaches stop at max_handles, threads stay flat, a real join works after', async (t) => {
    const pid = janusPid();
    const before = janusCounts(pid);
    const s = sampler(pid);
    const token = mintJanusToken();
    // Five Janus sessions, each with its share of the attaches, all at once.
    const raws = [];
    const sessions = [];
    for (let i = 0; i < 5; i++) {
        const r = await openRaw();
        raws.push(r);
        const [created] = await r.burst([{ janus: 'create', token }]);
        assert.equal(created.janus, 'success', JSON.stringify(created));
        sessions.push(created.data.id);
    }
    let result;
    try {
        const per = TOKEN_FLOOD / raws.length;
        const answers = await Promise.all(raws.map((r, i) => r.burst(Array.from({ length: per },
            () => ({ janus: 'attach', session_id: sessions[i], plugin: 'janus.plugin.telemed', token })), 60000)));
        result = tally(answers.flat());
        s.stop();
        t.diagnostic(`attaches with a token: ${result.success} accepted, refused ${JSON.stringify([...result.errors])} ` +
            `(${[...result.reasons][0] ?? ''})`);
        t.diagnostic(`janus threads ${before.threads} -> peak ${s.peak.threads}; fds ${before.fds} -> peak ${s.peak.fds}`);
        assert.ok(result.success <= MAX_HANDLES, `at most max_handles (${MAX_HANDLES}) accepted: ${result.success}`);
        assert.ok(result.success >= MAX_HANDLES - 100, `the bound, not something else, refused: ${result.success} accepted`);
        assert.equal(result.errors.get(461), TOKEN_FLOOD - result.success, 'the rest refused with 461 (plugin attach)');
        assert.ok([...result.reasons].some((r) => r.includes('4090')), 'the plugin said 4090 (limit reached)');
        assert.ok(s.peak.threads <= before.threads + 10, `threads bounded (event_loops): ${before.threads} -> ${s.peak.threads}`);
        assert.ok(s.peak.fds <= before.fds + raws.length + 40, `descriptors bounded: ${before.fds} -> ${s.peak.fds}`);
    } finally {
        s.stop();
        // Destroying the Janus sessions detaches their handles.
        await Promise.all(raws.map((r, i) => r.burst([{ janus: 'destroy', session_id: sessions[i], token }], 30000)
            .catch(() => {})));
        for (const r of raws) r.close();
    }

    // Room again for real participants: a fresh join works.
    const join1 = await realJoin();
    const deadline = Date.now() + 15000;
    for (;;) {
        try {
            const j = await joinWith(join1.token, { janusToken: join1.janus_token, timeout: 10000 });
            toClose.push(j.client);
            assert.equal(j.data.telemed, 'joined', JSON.stringify(j.data));
            break;
        } catch (e) {
            // Handles are released as Janus tears the destroyed sessions down.
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 250));
        }
    }
});

// Why janus_token lives hours and not the minutes of the join token: Janus
// checks it on every request of a session, keepalives included (Janus 1.1.2
// src/janus.c janus_request_check_secret before any session request).
test('Janus checks the token on every request: a keepalive without it or with an expired one is refused', async () => {
    const client = await JanusClient.connect(undefined, { janusToken: mintJanusToken() });
    toClose.push(client);
    await client.createSession();
    // The first answer to a transaction, "ack" included (a keepalive's answer).
    let n = 0;
    const ask = (msg) => {
        const t = `ka-${++n}-${Date.now()}`;
        const from = client.received.length;
        client.send({ ...msg, session_id: client.sessionId, transaction: t });
        return client.waitFor((m) => m.transaction === t, { from, what: `answer to ${msg.janus}` });
    };
    const ok = await ask({ janus: 'keepalive' });
    assert.equal(ok.janus, 'ack', JSON.stringify(ok));
    const none = await ask({ janus: 'keepalive', token: null });
    assert.equal(none.janus, 'error', 'keepalive without a token refused');
    assert.equal(none.error?.code, 403);
    const expired = await ask({ janus: 'keepalive', token: mintJanusToken({ expiresAt: Math.floor(Date.now() / 1000) - 5 }) });
    assert.equal(expired.error?.code, 403, 'keepalive with an expired token refused');
    const otherPlugin = await ask({ janus: 'attach', plugin: 'janus.plugin.telemed',
        token: mintJanusToken({ plugins: ['janus.plugin.videoroom'] }) });
    assert.equal(otherPlugin.janus, 'error', 'a token for another plugin cannot attach ours');
    assert.equal(otherPlugin.error?.code, 405);
});
