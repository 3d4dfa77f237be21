// Chat end to end (issue 12; docs/DESIGN.md "The chat path", docs/PROTOCOL.md
// "Chat", docs/API.md GET /sessions/{id}/messages): through the plugin into
// Postgres, acks only after the commit, delivery once, who sees what (plugin
// events, chat_history and REST), the lobby rules, live revocation, the rate
// limit, SIGKILL of Janus after acks and of the controller during a burst,
// and no chat text in any log line.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { joinWith } from './lib/janus.mjs';
import {
    ENV, addParticipant, api, createSession, eventually, psql, show, sleep, stack, stackctl, transition, uniq,
} from './lib/stack.mjs';

const T = { timeout: 60000 };
const open = [];
after(async () => {
    for (const c of open) await c.close();
});

// Every text sent in this file carries this marker: the log check looks for it.
const MARK = `chat-secret-${Math.random().toString(36).slice(2, 10)}`;
const text = (s) => `${MARK} ${s}`;

async function member(sid, role, extra = {}) {
    const p = await addParticipant(sid, { user_id: uniq(role), role, ...extra });
    return { id: p.participant.id, token: p.join.token, credential: p.access.credential };
}

async function connect(m) {
    const j = await joinWith(m.token);
    open.push(j.client);
    return { ...m, client: j.client, handle: j.handle, joined: j.data };
}

// An active session with a doctor and a patient, both admitted, and an observer.
async function room({ observerAdmitted = true } = {}) {
    const s = await createSession({ title: uniq('chat') });
    const doc = await member(s.id, 'doctor');
    const pat = await member(s.id, 'patient', { permissions: { bypass_lobby: true } });
    const obs = await member(s.id, 'observer', observerAdmitted ? { permissions: { bypass_lobby: true } } : {});
    await transition(s.id, 'start');
    return { sid: s.id, doc: await connect(doc), pat: await connect(pat), obs: await connect(obs) };
}

let seqCounter = 0;
function clientId() {
    seqCounter += 1;
    return `c-${process.pid}-${Date.now()}-${seqCounter}`;
}

async function chat(who, body, opts = {}) {
    return who.client.message(who.handle, { request: 'chat', ...body }, { timeout: 10000, ...opts });
}

// Sends until acked: 5030 (store unavailable) and 4290 (rate) are retried
// with the same client_id.
async function sendUntilAcked(who, body, { timeout = 45000 } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
        let r;
        try {
            r = await chat(who, body);
        } catch (e) {
            r = { telemed: 'error', error_code: 0, error: String(e) };
        }
        if (r.telemed === 'chat_sent') return r;
        if (Date.now() > end) throw new Error(`not acked in time: ${JSON.stringify(r)}`);
        if (r.error_code === 4290) await sleep(r.retry_after_ms);
        else if (r.error_code === 5030 || r.error_code === 0) await sleep(200);
        else throw new Error(`refused: ${JSON.stringify(r)}`);
    }
}

function chatEvents(who, from = 0) {
    return who.client.received.slice(from).filter((m) => m.janus === 'event' && m.sender === who.handle &&
        m.plugindata?.data?.telemed === 'chat').map((m) => m.plugindata.data.message);
}

async function nextChat(who, pred = () => true, from = 0) {
    const d = await who.client.pluginEvent(who.handle, (x) => x.telemed === 'chat' && pred(x.message),
        { from, timeout: 10000, what: 'chat event' });
    return d.message;
}

async function history(path, headers) {
    return api('GET', path, headers ? { auth: false, headers } : {});
}

// All messages of a session over REST (API key), following next_cursor.
async function allMessages(sid) {
    const items = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const q = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
        const r = await api('GET', `/sessions/${sid}/messages${q}`);
        assert.equal(r.status, 200, show(r));
        items.push(...r.json.items);
        cursor = r.json.next_cursor;
        if (!cursor) return items;
    }
    throw new Error('too many pages');
}

function pidOf(svc) {
    return Number(readFileSync(join(stack.dir, 'pids', `${svc}.pid`), 'utf8').trim());
}

async function sigkill(svc) {
    const pid = pidOf(svc);
    assert.ok(pid > 1, `${svc} pid`);
    process.kill(pid, 'SIGKILL');
    await eventually(() => {
        try {
            return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');  // reaped later
        } catch {
            return true;
        }
    }, { timeout: 10000, interval: 20, what: `${svc} gone` });
}

async function ready() {
    const r = await api('GET', '/readyz', { auth: false, timeout: 5000 });
    return r.status === 200;
}

function assertError(data, code, what) {
    assert.equal(data.telemed, 'error', `${what}: ${JSON.stringify(data)}`);
    assert.equal(data.error_code, code, `${what}: ${JSON.stringify(data)}`);
}

describe('chat through the plugin', () => {
    test('broadcast: ack with id/seq/created_at, delivered once to the others, shape of the event', T, async () => {
        const r = await room();
        const fromPat = r.pat.client.received.length;
        const fromObs = r.obs.client.received.length;
        const cid = clientId();
        const ack = await chat(r.doc, { text: text('hello\nall\tof you'), client_id: cid });
        assert.equal(ack.telemed, 'chat_sent', JSON.stringify(ack));
        assert.equal(ack.client_id, cid);
        assert.match(ack.id, /^[0-9a-f-]{36}$/);
        assert.equal(ack.seq, 1);
        assert.match(ack.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(ack.duplicate, false);
        const m = await nextChat(r.pat, () => true, fromPat);
        assert.deepEqual(m, { id: ack.id, seq: 1, sender: r.doc.id, to: [], text: text('hello\nall\tof you'),
            created_at: ack.created_at });
        await nextChat(r.obs, () => true, fromObs);
        assert.equal(chatEvents(r.doc).length, 0, 'not echoed to the sender');

        // The same client_id again: the stored message, delivered to nobody.
        const again = await chat(r.doc, { text: text('hello\nall\tof you'), client_id: cid });
        assert.equal(again.telemed, 'chat_sent');
        assert.equal(again.duplicate, true);
        assert.equal(again.id, ack.id);
        assert.equal(again.seq, 1);
        // A later message arrives; the duplicate never did.
        const ack2 = await chat(r.doc, { text: text('second'), client_id: clientId() });
        await nextChat(r.pat, (x) => x.id === ack2.id, fromPat);
        assert.equal(chatEvents(r.pat, fromPat).filter((x) => x.id === ack.id).length, 1, 'delivered once');
        // Same client_id, other text: 4092.
        assertError(await chat(r.doc, { text: text('other'), client_id: cid }), 4092, 'client_id reused');
        // No client_id (ARCHITECTURE's `chat {text, to?}`): stored and
        // delivered, with one picked by the plugin in the ack.
        const plain = await chat(r.doc, { text: text('no client id') });
        assert.equal(plain.telemed, 'chat_sent', JSON.stringify(plain));
        assert.match(plain.client_id, /^srv-[0-9a-f-]{36}$/);
        assert.equal(plain.seq, 3);
        await nextChat(r.pat, (x) => x.id === plain.id, fromPat);
        const rows = psql(`SELECT count(*) FROM chat_messages WHERE session_id = '${r.sid}'`);
        assert.equal(rows[0][0], '3');
    });

    test('bad requests: text rules (4003), unknown recipient (4041), oneself (4046)', T, async () => {
        const r = await room();
        assertError(await chat(r.doc, { text: '', client_id: clientId() }), 4003, 'empty');
        assertError(await chat(r.doc, { text: 'x'.repeat(4001), client_id: clientId() }), 4003, 'too long');
        assertError(await chat(r.doc, { text: 'bell\u0007', client_id: clientId() }), 4003, 'control');
        assertError(await chat(r.doc, { text: 'x', client_id: 'has space' }), 4003, 'client_id');
        assertError(await chat(r.doc, { text: 'x', client_id: clientId(), extra: 1 }), 4003, 'unknown field');
        const long = await chat(r.doc, { text: '\u{1F600}'.repeat(4000), client_id: clientId() });
        assert.equal(long.telemed, 'chat_sent', '4000 four-byte characters fit');
        assertError(await chat(r.doc, { text: 'x', client_id: clientId(), to: ['00000000-0000-4000-8000-000000000000'] }),
            4041, 'unknown recipient');
        assertError(await chat(r.doc, { text: 'x', client_id: clientId(), to: [r.doc.id] }), 4046, 'oneself');
    });

    test('direct messages are invisible to third parties: plugin events, chat_history and REST', T, async () => {
        const r = await room();
        const fromObs = r.obs.client.received.length;
        const fromPat = r.pat.client.received.length;
        const dm = await chat(r.doc, { text: text('for the patient only'), client_id: clientId(), to: [r.pat.id] });
        assert.equal(dm.telemed, 'chat_sent', JSON.stringify(dm));
        const got = await nextChat(r.pat, (x) => x.id === dm.id, fromPat);
        assert.deepEqual(got.to, [r.pat.id]);
        const bc = await chat(r.doc, { text: text('for everyone'), client_id: clientId() });
        // Events to one handle come in order: the broadcast after the DM.
        await nextChat(r.obs, (x) => x.id === bc.id, fromObs);
        assert.deepEqual(chatEvents(r.obs, fromObs).map((x) => x.id), [bc.id], 'the observer saw only the broadcast');

        // chat_history through the plugin
        const hObs = await r.obs.client.message(r.obs.handle, { request: 'chat_history', since: 0 });
        assert.equal(hObs.telemed, 'chat_history', JSON.stringify(hObs));
        assert.deepEqual(hObs.items.map((x) => x.id), [bc.id]);
        assert.equal(hObs.next_since, null);
        const hPat = await r.pat.client.message(r.pat.handle, { request: 'chat_history' });
        assert.deepEqual(hPat.items.map((x) => x.id), [dm.id, bc.id]);
        const hPage = await r.pat.client.message(r.pat.handle, { request: 'chat_history', since: 0, limit: 1 });
        assert.deepEqual(hPage.items.map((x) => x.id), [dm.id]);
        assert.equal(hPage.next_since, dm.seq);

        // REST: participants with their credential, backends with the API key
        const asObs = await history(`/sessions/${r.sid}/messages`, { authorization: `Bearer ${r.obs.credential}` });
        assert.equal(asObs.status, 200, show(asObs));
        assert.deepEqual(asObs.json.items.map((x) => x.id), [bc.id]);
        const asPat = await history(`/sessions/${r.sid}/messages`, { authorization: `Bearer ${r.pat.credential}` });
        assert.deepEqual(asPat.json.items.map((x) => x.id), [dm.id, bc.id]);
        const asDoc = await history(`/sessions/${r.sid}/messages`, { authorization: `Bearer ${r.doc.credential}` });
        assert.deepEqual(asDoc.json.items.map((x) => x.id), [dm.id, bc.id], 'the sender sees its DM');
        const backend = await api('GET', `/sessions/${r.sid}/messages`);
        assert.equal(backend.status, 200, show(backend));
        assert.deepEqual(backend.json, {
            items: [
                { id: dm.id, seq: dm.seq, sender: r.doc.id, to: [r.pat.id], text: text('for the patient only'),
                    created_at: dm.created_at },
                { id: bc.id, seq: bc.seq, sender: r.doc.id, to: [], text: text('for everyone'), created_at: bc.created_at },
            ],
            next_cursor: null,
        });
        // pagination, since
        const p1 = await api('GET', `/sessions/${r.sid}/messages?limit=1`);
        assert.equal(p1.json.items.length, 1);
        assert.equal(typeof p1.json.next_cursor, 'string');
        const p2 = await api('GET', `/sessions/${r.sid}/messages?limit=1&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
        assert.deepEqual(p2.json.items.map((x) => x.id), [bc.id]);
        assert.equal(p2.json.next_cursor, null);
        const s1 = await api('GET', `/sessions/${r.sid}/messages?since=${dm.seq}`);
        assert.deepEqual(s1.json.items.map((x) => x.id), [bc.id]);
        // errors
        assert.equal((await api('GET', `/sessions/${r.sid}/messages?limit=0`)).status, 422);
        assert.equal((await api('GET', `/sessions/${r.sid}/messages?bogus=1`)).status, 422);
        assert.equal((await api('GET', `/sessions/${r.sid}/messages?cursor=nope`)).status, 422);
        const unknown = await api('GET', '/sessions/00000000-0000-4000-8000-000000000000/messages');
        assert.equal(unknown.status, 404, show(unknown));
        assert.match(unknown.headers.get('content-type'), /problem\+json/);
        assert.equal((await api('GET', `/sessions/${r.sid}/messages`, { auth: false })).status, 401);
        const other = await createSession();
        const stranger = await member(other.id, 'patient');
        const cross = await history(`/sessions/${r.sid}/messages`, { authorization: `Bearer ${stranger.credential}` });
        assert.equal(cross.status, 403, show(cross));
        // the internal endpoints: not with an API key, nor a credential
        assert.equal((await api('GET', `/internal/v1/sessions/${r.sid}/messages?participant=${r.obs.id}`)).status, 401);
        assert.equal((await api('POST', '/internal/v1/chat', { body: {} })).status, 401);
        assert.equal((await history(`/internal/v1/sessions/${r.sid}/messages?participant=${r.obs.id}`,
            { authorization: `Bearer ${r.obs.credential}` })).status, 401);
    });

    test('a waiting participant cannot chat but receives a moderator\'s direct message', T, async () => {
        const r = await room({ observerAdmitted: false });
        assert.equal(r.obs.joined.status, 'waiting', JSON.stringify(r.obs.joined));
        assertError(await chat(r.obs, { text: text('let me in'), client_id: clientId() }), 4032, 'waiting sender');
        // A non-moderator cannot reach the lobby.
        assertError(await chat(r.pat, { text: text('hi'), client_id: clientId(), to: [r.obs.id] }), 4043,
            'patient to waiting');
        const from = r.obs.client.received.length;
        const dm = await chat(r.doc, { text: text('running 5 minutes late'), client_id: clientId(), to: [r.obs.id] });
        assert.equal(dm.telemed, 'chat_sent', JSON.stringify(dm));
        const got = await nextChat(r.obs, (x) => x.id === dm.id, from);
        assert.equal(got.text, text('running 5 minutes late'));
        // A broadcast does not reach the lobby; chat_history works there.
        const bc = await chat(r.doc, { text: text('to the admitted'), client_id: clientId() });
        await nextChat(r.pat, (x) => x.id === bc.id);
        const h = await r.obs.client.message(r.obs.handle, { request: 'chat_history', since: 0 });
        assert.equal(h.telemed, 'chat_history', JSON.stringify(h));
        assert.ok(h.items.some((x) => x.id === dm.id));
        assert.equal(chatEvents(r.obs, from).filter((x) => x.id === bc.id).length, 0, 'no broadcast in the lobby');
    });

    test('a PATCH revoking chat refuses the very next message', T, async () => {
        const r = await room();
        const ok = await chat(r.pat, { text: text('before'), client_id: clientId() });
        assert.equal(ok.telemed, 'chat_sent', JSON.stringify(ok));
        const patched = await api('PATCH', `/sessions/${r.sid}/participants/${r.pat.id}`,
            { body: { permissions: { chat: false } } });
        assert.equal(patched.status, 200, show(patched));
        assertError(await chat(r.pat, { text: text('after'), client_id: clientId() }), 4043, 'revoked');
        const back = await api('PATCH', `/sessions/${r.sid}/participants/${r.pat.id}`,
            { body: { permissions: { chat: true } } });
        assert.equal(back.status, 200, show(back));
        assert.equal((await chat(r.pat, { text: text('again'), client_id: clientId() })).telemed, 'chat_sent');
    });

    test('rate limit: a burst beyond 40 gets 4290 with retry_after_ms', T, async () => {
        const r = await room();
        const answers = await Promise.all(Array.from({ length: 60 },
            (_, i) => chat(r.pat, { text: text(`burst ${i}`), client_id: clientId() })));
        const sent = answers.filter((a) => a.telemed === 'chat_sent').length;
        const limited = answers.filter((a) => a.error_code === 4290);
        assert.ok(sent >= 40 && sent <= 45, `sent ${sent}`);
        assert.equal(sent + limited.length, 60, JSON.stringify(answers.find((a) => a.telemed !== 'chat_sent' &&
            a.error_code !== 4290)));
        for (const l of limited) assert.ok(l.retry_after_ms >= 1 && l.retry_after_ms <= 1000, JSON.stringify(l));
        // Others are not limited by the patient's bucket.
        assert.equal((await chat(r.doc, { text: text('doctor'), client_id: clientId() })).telemed, 'chat_sent');
    });
});

describe('durability', () => {
    test('acked messages survive SIGKILL of Janus: REST history complete', { timeout: 120000 }, async () => {
        const r = await room();
        const acks = [];
        for (let i = 0; i < 20; i++) {
            // even: the doctor broadcasts; odd: the patient, every other one a DM to the doctor
            const who = i % 2 ? r.pat : r.doc;
            const body = i % 4 === 3
                ? { text: text(`dm ${i}`), client_id: clientId(), to: [r.doc.id] }
                : { text: text(`msg ${i}`), client_id: clientId() };
            const a = await chat(who, body);
            assert.equal(a.telemed, 'chat_sent', JSON.stringify(a));
            acks.push(a);
        }
        try {
            await sigkill('janus');
            const items = await allMessages(r.sid);
            assert.deepEqual(items.map((x) => x.id), acks.map((a) => a.id));
            assert.deepEqual(items.map((x) => x.seq), acks.map((a) => a.seq));
            assert.deepEqual(items.map((x) => x.seq), Array.from({ length: 20 }, (_, i) => i + 1));
        } finally {
            stackctl('start-janus', { timeout: 90000 });
            await eventually(ready, { timeout: 60000, what: 'stack ready after Janus restart' });
        }
        // After the restart a reconnecting client reads what it missed.
        const again = await connect(await member(r.sid, 'observer', { permissions: { bypass_lobby: true } }));
        const h = await again.client.message(again.handle, { request: 'chat_history', since: 10 });
        assert.equal(h.telemed, 'chat_history', JSON.stringify(h));
        assert.deepEqual(h.items.map((x) => x.seq), [11, 13, 14, 15, 17, 18, 19],
            'broadcasts after seq 10 (the DMs are not the observer\'s)');
    });

    test('Redis is not on the path: with Redis SIGKILLed, chat is acked and stored', { timeout: 120000 }, async () => {
        const r = await room();
        const before = await chat(r.doc, { text: text('before redis dies'), client_id: clientId() });
        assert.equal(before.telemed, 'chat_sent');
        try {
            await sigkill('redis');
            const during = await chat(r.pat, { text: text('redis is down'), client_id: clientId() });
            assert.equal(during.telemed, 'chat_sent', JSON.stringify(during));
            const items = await allMessages(r.sid);
            assert.deepEqual(items.map((x) => x.id), [before.id, during.id]);
        } finally {
            stackctl('start-redis', { timeout: 60000 });
            await eventually(ready, { timeout: 60000, what: 'ready after Redis restart' });
        }
    });

    test('SIGKILL of the controller during a burst of 200: every acked message stored exactly once', { timeout: 180000 }, async () => {
        const s = await createSession({ title: uniq('burst') });
        const senders = [];
        for (let i = 0; i < 10; i++) senders.push(await member(s.id, 'patient', { permissions: { bypass_lobby: true } }));
        await transition(s.id, 'start');
        const conns = [];
        for (const m of senders) conns.push(await connect(m));
        const plan = conns.map((c) => Array.from({ length: 20 }, (_, i) => ({ who: c,
            body: { text: text(`burst ${c.id.slice(0, 4)} ${i}`), client_id: clientId() } })));
        const first = new Map();  // client_id -> first answer
        let acked = 0;
        let killed;
        const killer = (async () => {
            await eventually(() => acked >= 40, { timeout: 30000, interval: 5, what: '40 acks' });
            await sigkill('controller');
            killed = acked;
        })();
        await Promise.all(plan.map(async (steps) => {
            for (const st of steps) {  // each sender pipelines its 20
                let a;
                try {
                    a = await chat(st.who, st.body, { timeout: 8000 });
                } catch (e) {
                    a = { telemed: 'error', error_code: 0, error: String(e) };
                }
                if (a.telemed === 'chat_sent') acked += 1;
                first.set(st.body.client_id, a);
            }
        }));
        await killer;
        assert.ok(killed >= 40, 'killed mid-burst');
        const failed = [...first.values()].filter((a) => a.telemed !== 'chat_sent');
        assert.ok(failed.length > 0, 'some messages were not acked while the controller was down');
        for (const f of failed) {
            if (f.error_code === 5030) assert.equal(f.retryable, true, JSON.stringify(f));
            else assert.equal(f.error_code, 0, `only 5030 or no answer: ${JSON.stringify(f)}`);
        }
        stackctl('start-controller', { timeout: 90000 });
        await eventually(ready, { timeout: 60000, what: 'controller back' });

        // Every message acked before the restart is stored, once.
        let items = await allMessages(s.id);
        const ids = new Map(items.map((x) => [x.id, x]));
        for (const [cid, a] of first) {
            if (a.telemed !== 'chat_sent') continue;
            assert.ok(ids.has(a.id), `acked ${cid} is stored`);
            assert.equal(ids.get(a.id).seq, a.seq);
        }
        // The senders retry what failed, with the same client_id.
        const retried = [];
        for (const steps of plan) {
            for (const st of steps) {
                if (first.get(st.body.client_id).telemed === 'chat_sent') continue;
                retried.push(await sendUntilAcked(st.who, st.body));
            }
        }
        items = await allMessages(s.id);
        assert.equal(items.length, 200, 'all 200 stored');
        assert.equal(new Set(items.map((x) => x.id)).size, 200);
        assert.deepEqual(items.map((x) => x.seq), Array.from({ length: 200 }, (_, i) => i + 1), 'seq 1..200');
        const rows = psql(`SELECT count(*), count(DISTINCT (sender_id, client_id)) FROM chat_messages WHERE session_id = '${s.id}'`);
        assert.deepEqual(rows[0], ['200', '200']);
        for (const a of retried) assert.ok(items.some((x) => x.id === a.id && x.seq === a.seq));
    });
});

describe('logs', () => {
    test('no chat text in any log line of the stack', T, async () => {
        const dir = join(stack.dir, 'logs');
        let checked = 0;
        for (const f of readdirSync(dir)) {
            const content = readFileSync(join(dir, f), 'utf8');
            checked += 1;
            assert.ok(!content.includes(MARK), `${f} holds chat text`);
        }
        assert.ok(checked > 0);
        assert.ok(ENV.TELEMED_URL);
    });
});
