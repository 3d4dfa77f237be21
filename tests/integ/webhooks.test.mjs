// Webhooks (docs/API.md "Webhooks", controller/jobs/webhook_dispatcher.hpp):
// the outbox delivered as Standard Webhooks to a receiver written here
// (127.0.0.1, random port), with the controller restarted with webhook_*
// settings:
//   (a) signature checked with node:crypto's HMAC (an implementation
//       independent of the controller's), body shape, webhook-id = event_id;
//   (b) receiver down (503) for 30 s while ~200 events of several sessions
//       are made: all delivered afterwards, per-session order kept (no event
//       is even sent before every earlier event of its session got a 2xx), a
//       duplicate is the same webhook-id and body; participant.added carries
//       the add's invite_url (none for a participant removed meanwhile);
//   (c) SIGKILL of the controller while it delivers: nothing lost;
//   (d) two controller processes on one database: both deliver, no event is
//       ever in flight twice at once, order kept;
//   (e) dead letter after webhook_max_attempts: listed by
//       GET /outbox?status=dead, POST /outbox/{id}/redeliver -> delivered;
//       the endpoints' errors (404, 409, 422) and audit row;
//   (f) two endpoints: each gets every event in order; one down does not
//       hold the other back; outbox.delivered_at once both have it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { openSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
    ENV, ROOT, UUID_RE, addParticipant, api, createSession, eventually, lit, psql, psqlValue, restartController,
    show, sleep, stack, transition, uniq,
} from './lib/stack.mjs';

const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString('base64')}`;

// ---------------------------------------------------------------- receiver

const rx = {
    log: [],             // {seq, id, ts, sig, raw, json, status, sid}
    seq: 0,
    inFlight: new Map(), // webhook-id -> requests being answered
    overlaps: [],        // webhook-ids seen twice at the same time
    mode: 'ok',          // ok | down (503) | error (500)
    delayMs: 0,
    acked: new Set(),    // event ids answered 2xx (any path)
    ackedAt: new Map(),  // path -> event ids answered 2xx there, in order
    downPaths: new Set(),  // paths answered 503 whatever the mode
};
let server;
let url;
let base;

function handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = req.headers['webhook-id'];
        const key = `${req.url} ${id}`;  // one delivery = one event to one endpoint
        const n = (rx.inFlight.get(key) ?? 0) + 1;
        rx.inFlight.set(key, n);
        if (n > 1) rx.overlaps.push(key);
        let json;
        try {
            json = JSON.parse(raw);
        } catch {
            json = undefined;
        }
        const entry = {
            seq: ++rx.seq, id, ts: req.headers['webhook-timestamp'], sig: req.headers['webhook-signature'],
            ctype: req.headers['content-type'], raw, json, sid: json?.data?.session_id ?? null, status: 0,
        };
        rx.log.push(entry);
        if (rx.delayMs) await sleep(rx.delayMs);
        let status = 200;
        if (rx.mode === 'down' || rx.downPaths.has(req.url)) status = 503;
        else if (rx.mode === 'error') status = 500;
        entry.status = status;
        if (status === 200) {
            rx.acked.add(id);
            if (!rx.ackedAt.has(req.url)) rx.ackedAt.set(req.url, []);
            rx.ackedAt.get(req.url).push(id);
        }
        entry.answeredSeq = ++rx.seq;
        rx.inFlight.set(key, rx.inFlight.get(key) - 1);
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'no');
    });
}

// Standard Webhooks verification, written from the specification with
// node:crypto (not the controller's code).
function verify(e) {
    const signed = `${e.id}.${e.ts}.${e.raw}`;
    const expected = Buffer.from(createHmac('sha256', KEY).update(signed).digest('base64'));
    return (e.sig ?? '').split(' ').some((s) => {
        if (!s.startsWith('v1,')) return false;
        const got = Buffer.from(s.slice(3));
        return got.length === expected.length && timingSafeEqual(got, expected);
    });
}

// Retries at most 1 s apart: (b)'s 30 s outage takes ~60 attempts, far from
// webhook_max_attempts (100, the most allowed); (e) lowers it to see dead letters.
function settings(extra = '', urls = url) {
    // ';' separates the items: the URL list holds commas.
    return [`webhook_urls=${urls}`, `webhook_secret=${SECRET}`, 'webhook_retry_base_ms=50', 'webhook_retry_max_s=1',
        'webhook_timeout_ms=1000', 'webhook_lease_s=5', 'webhook_max_attempts=100', extra].filter(Boolean).join(';');
}

// Outbox rows of these sessions, in outbox order: [{id, event_id, sid, topic}].
function eventsOf(sids) {
    if (!sids.length) return [];
    return psql(`SELECT id, event_id, session_id, topic FROM outbox
                 WHERE session_id IN (${sids.map(lit).join(',')}) ORDER BY id`)
        .map(([id, eventId, sid, topic]) => ({ id: Number(id), eventId, sid, topic }));
}

// Every event of `sids` answered 2xx by the receiver.
async function allDelivered(sids, timeout = 30000) {
    await eventually(() => {
        const ev = eventsOf(sids);
        return ev.length > 0 && ev.every((e) => rx.acked.has(e.eventId));
    }, { timeout, interval: 200, what: `every event of ${sids.length} session(s) delivered` });
}

// Per-session order: no request for an event was received before every
// earlier event of its session had been answered 2xx. Duplicates: same
// webhook-id, same body data.
function checkOrderAndDuplicates(sids) {
    const ev = eventsOf(sids);
    const byId = new Map(ev.map((e) => [e.eventId, e]));
    const firstAck = new Map();
    for (const e of rx.log) if (e.status === 200 && !firstAck.has(e.id)) firstAck.set(e.id, e.answeredSeq);
    const bySession = new Map();
    for (const e of ev) {
        if (!bySession.has(e.sid)) bySession.set(e.sid, []);
        bySession.get(e.sid).push(e);
    }
    for (const r of rx.log) {
        const e = byId.get(r.id);
        if (!e) continue;
        for (const earlier of bySession.get(e.sid)) {
            if (earlier.id >= e.id) break;
            const acked = firstAck.get(earlier.eventId);
            assert.ok(acked !== undefined && acked < r.seq,
                `event ${e.id} (${e.topic}) was sent before earlier event ${earlier.id} of its session got a 2xx`);
        }
    }
    const bodies = new Map();
    for (const r of rx.log) {
        if (!byId.has(r.id)) continue;
        assert.equal(r.json?.data?.event_id, r.id, 'webhook-id is the event_id in data');
        const data = JSON.stringify(r.json.data);
        if (bodies.has(r.id)) assert.equal(bodies.get(r.id), data, 'a duplicate carries the same event');
        bodies.set(r.id, data);
    }
}

let second;  // the second controller process (d)

before(async () => {
    server = createServer(handle);
    server.keepAliveTimeout = 30000;
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
    url = `${base}/hook`;
    // Events of earlier tests on this stack are not this file's business:
    // marked fanned out, they are never sent here.
    psql('UPDATE outbox SET fanned_out_at = now() WHERE fanned_out_at IS NULL');
    await restartController(settings());
});

after(async () => {
    if (second && second.exitCode === null) {
        second.kill('SIGTERM');
        await new Promise((r) => { second.once('exit', r); setTimeout(r, 5000); });
    }
    await restartController(null);  // the stack's own configuration again
    await new Promise((r) => server.close(r));
    server.closeAllConnections?.();
});

describe('webhooks', { timeout: 240000 }, () => {
    beforeEach(() => {
        rx.mode = 'ok';  // a failed test leaves no receiver outage behind
        rx.delayMs = 0;
        rx.downPaths.clear();
    });

    test('(a) signed Standard Webhooks, body shape, webhook-id = event_id', async () => {
        const s = await createSession();
        const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor', display_name: 'Dr. Private Name' });
        await transition(s.id, 'start');
        await allDelivered([s.id]);
        const ev = eventsOf([s.id]);
        assert.deepEqual(ev.map((e) => e.topic), ['session.scheduled', 'participant.added', 'session.started']);
        for (const e of ev) {
            const r = rx.log.find((x) => x.id === e.eventId && x.status === 200);
            assert.ok(verify(r), `signature of ${e.topic} verifies with node:crypto`);
            // A wrong key or a changed body does not verify.
            assert.ok(!verify({ ...r, raw: r.raw.replace('"data"', '"data" ') }));
            assert.match(r.ts, /^\d{10}$/);
            assert.ok(Math.abs(Number(r.ts) - Date.now() / 1000) < 60, 'webhook-timestamp is now, in seconds');
            assert.match(r.ctype, /^application\/json/);
            assert.deepEqual(Object.keys(r.json), ['type', 'timestamp', 'data']);
            assert.equal(r.json.type, e.topic);
            assert.match(r.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
            assert.equal(r.json.data.event_id, e.eventId);
            assert.match(r.id, UUID_RE);
            assert.equal(r.json.data.session_id, s.id);
            assert.ok(!r.raw.includes('Private Name'), 'no personal data in the body');
            assert.ok(!('topic' in r.json.data) && !('occurred_at' in r.json.data));
        }
        const added = rx.log.find((x) => x.json?.type === 'participant.added' && x.sid === s.id).json.data;
        assert.equal(added.role, 'doctor');
        assert.match(added.participant_id, UUID_RE);
        // The invite link to send the participant: the add's own access link.
        assert.equal(added.invite_url, doc.access.invite_url);
        assert.equal(added.invite_expires_at, doc.access.expires_at);
        assert.match(added.invite_url, /\/app\/#invite=tpc1\./);
        // ...made at send time: the outbox row holds no credential.
        assert.equal(psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(s.id)}
                                AND payload::text LIKE '%tpc1.%'`), '0');
        // The outbox row counts as delivered once every endpoint has it.
        await eventually(() => psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(s.id)}
                                          AND delivered_at IS NOT NULL`) === '3', { what: 'outbox.delivered_at' });
    });

    test('(b) receiver down for 30 s during ~200 events: all delivered afterwards, per-session order kept', async () => {
        rx.mode = 'down';
        const downSince = Date.now();
        const sids = [];
        for (let i = 0; i < 8; ++i) sids.push((await createSession()).id);
        const access = new Map();  // participant id -> the add's access
        const jobs = sids.map(async (sid) => {
            for (let k = 0; k < 24; ++k) {
                const p = await addParticipant(sid, { user_id: uniq('u'), role: 'patient' });
                access.set(p.participant.id, p.access);
            }
        });
        await Promise.all(jobs);
        assert.equal(eventsOf(sids).length, 8 * 25);
        // One participant removed while its participant.added waits: the
        // event still goes out, without a link that no longer works.
        const gone = psqlValue(`SELECT id FROM participants WHERE session_id = ${lit(sids[0])} ORDER BY created_at DESC LIMIT 1`);
        const del = await api('DELETE', `/sessions/${sids[0]}/participants/${gone}`);
        assert.equal(del.status, 204, show(del));
        // Attempts were made and refused while down: the heads are pending with errors.
        await eventually(() => rx.log.some((e) => e.status === 503), { what: 'attempts while down' });
        await eventually(() => Number(psqlValue(`SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'
            AND last_status = 503 AND last_error = 'HTTP 503' AND attempts >= 1 AND endpoint = ${lit(url)}`)) > 0,
        { what: 'pending deliveries with last_status 503' });
        // Only the head of each session was tried: the rest wait untried.
        assert.equal(psqlValue(`SELECT count(*) FROM webhook_deliveries WHERE attempts > 0 AND endpoint = ${lit(url)}
            AND session_id IN (${sids.map(lit).join(',')}) AND state = 'pending'
            AND outbox_id > (SELECT min(outbox_id) FROM webhook_deliveries w2 WHERE w2.session_id = webhook_deliveries.session_id
                              AND w2.endpoint = webhook_deliveries.endpoint)`), '0');
        // The receiver stays down for 30 s in all.
        await sleep(Math.max(0, 30000 - (Date.now() - downSince)));
        rx.mode = 'ok';
        await allDelivered(sids, 60000);
        checkOrderAndDuplicates(sids);
        for (const r of rx.log) {
            if (r.status !== 200 || r.json?.type !== 'participant.added' || !sids.includes(r.sid)) continue;
            const d = r.json.data;
            if (d.participant_id === gone) {
                assert.ok(!('invite_url' in d), 'no invite link for a participant removed before the event went out');
            } else {
                assert.equal(d.invite_url, access.get(d.participant_id).invite_url);
            }
        }
        assert.equal(psqlValue(`SELECT count(*) FROM webhook_deliveries WHERE endpoint = ${lit(url)}
                                AND session_id IN (${sids.map(lit).join(',')}) AND state <> 'delivered'`), '0');
    });

    test('(c) SIGKILL of the controller mid-delivery: nothing lost', async () => {
        rx.delayMs = 150;
        const sids = [];
        for (let i = 0; i < 3; ++i) sids.push((await createSession()).id);
        await Promise.all(sids.map(async (sid) => {
            for (let k = 0; k < 9; ++k) await addParticipant(sid, { user_id: uniq('u'), role: 'patient' });
        }));
        await eventually(() => rx.log.some((e) => sids.includes(e.sid)), { what: 'delivery started' });
        await sleep(300);
        const pid = Number(readFileSync(join(stack.dir, 'pids', 'controller.pid'), 'utf8').trim());
        assert.ok(readlinkSync(`/proc/${pid}/exe`).includes('telemed-controller'));
        process.kill(pid, 'SIGKILL');
        const before = eventsOf(sids).filter((e) => rx.acked.has(e.eventId)).length;
        assert.ok(before < 30, `the kill came mid-delivery (${before}/30 delivered)`);
        rx.delayMs = 0;
        await restartController(settings());
        await allDelivered(sids, 40000);  // leases of the killed one run out (5 s)
        checkOrderAndDuplicates(sids);
    });

    test('(d) two controllers on one database: no event in flight twice, order kept', async () => {
        const pid = Number(readFileSync(join(stack.dir, 'pids', 'controller.pid'), 'utf8').trim());
        const exe = readlinkSync(`/proc/${pid}/exe`);
        // A port the kernel found free (media port ranges are elsewhere in use).
        const probe = createServer();
        await new Promise((r) => probe.listen(0, '127.0.0.1', r));
        const port = probe.address().port;
        await new Promise((r) => probe.close(r));
        const log = openSync(join(stack.dir, 'logs', 'controller-2.log'), 'a');
        // The same generated configuration (webhook settings included), on another port.
        second = spawn(exe, ['--config', join(stack.dir, 'controller.conf')], {
            env: { PATH: process.env.PATH, TELEMED_PORT: String(port) },
            stdio: ['ignore', log, log],
        });
        await eventually(async () => {
            try {
                return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
            } catch {
                return false;
            }
        }, { timeout: 30000, what: 'second controller up' });
        try {
            rx.delayMs = 20;
            rx.overlaps.length = 0;
            // Only a session's head is claimable (per-session order), and one
            // claim takes up to 64 deliveries: with more sessions than that,
            // whichever controller claims first leaves heads for the other,
            // so both must deliver while the first one's batch is in flight
            // (64 x 20 ms). With fewer, the first controller could take every
            // head each time and the second never show up.
            const sids = [];
            for (let i = 0; i < 100; ++i) sids.push((await createSession()).id);
            // 8 sessions at a time: the controller's Janus lane holds 32 waiting requests.
            for (let i = 0; i < sids.length; i += 8) {
                await Promise.all(sids.slice(i, i + 8).map(async (sid) => {
                    for (let k = 0; k < 2; ++k) await addParticipant(sid, { user_id: uniq('u'), role: 'patient' });
                }));
            }
            await allDelivered(sids, 60000);
            rx.delayMs = 0;
            assert.deepEqual(rx.overlaps, [], 'no webhook-id was ever in flight twice at the same time');
            checkOrderAndDuplicates(sids);
            // Both processes delivered some (their own counters).
            const m2 = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            const m1 = (await api('GET', '/metrics', { auth: false })).text;
            const delivered = (t) => Number(/^telemed_webhook_delivered_total (\d+)$/m.exec(t)?.[1] ?? 0);
            assert.ok(delivered(m2) > 0, 'the second controller delivered');
            assert.ok(delivered(m1) > 0, 'the first controller delivered');
            assert.match(m1, /^telemed_webhook_deliveries\{state="pending"\} \d+$/m);
            assert.match(m1, /^telemed_webhook_delivery_lag_seconds_count \d+$/m);
        } finally {
            // Never leave it running into the next tests (it would deliver their events too).
            rx.delayMs = 0;
            if (second.exitCode === null) {
                second.kill('SIGTERM');
                await new Promise((r) => { second.once('exit', r); setTimeout(r, 10000); });
            }
        }
    });

    test('(e) dead letter after max attempts, listed, redelivered; endpoint errors', async () => {
        await restartController(settings('webhook_max_attempts=2'));
        rx.mode = 'error';
        const s = await createSession();
        const dead = await eventually(async () => {
            const r = await api('GET', '/outbox?status=dead&limit=100');
            assert.equal(r.status, 200, show(r));
            return r.json.items.find((d) => d.session_id === s.id);
        }, { timeout: 20000, what: 'dead delivery listed' });
        const ev = eventsOf([s.id]);
        assert.equal(dead.event_id, ev[0].eventId);
        assert.equal(dead.type, 'session.scheduled');
        assert.equal(dead.endpoint, url);
        assert.equal(dead.state, 'dead');
        assert.equal(dead.attempts, 2);
        assert.equal(dead.last_status, 500);
        assert.equal(dead.last_error, 'HTTP 500');
        assert.match(dead.dead_at, /Z$/);
        assert.equal(dead.next_attempt_at, null);
        assert.equal(dead.delivered_at, null);
        assert.equal(rx.log.filter((e) => e.id === dead.event_id).length, 2);
        // A dead head no longer blocks its session's later events.
        rx.mode = 'ok';
        await addParticipant(s.id, { user_id: uniq('u'), role: 'patient' });
        await eventually(() => rx.acked.has(eventsOf([s.id])[1]?.eventId), { what: 'later event after dead head' });
        assert.ok(!rx.acked.has(dead.event_id));

        const red = await api('POST', `/outbox/${dead.id}/redeliver`);
        assert.equal(red.status, 200, show(red));
        assert.equal(red.json.state, 'pending');
        assert.equal(red.json.attempts, 0);
        await eventually(() => rx.acked.has(dead.event_id), { what: 'redelivered' });
        const done = await eventually(async () => {
            const r = await api('GET', '/outbox?status=delivered&limit=100');
            return r.json.items.find((d) => d.id === dead.id);
        }, { what: 'listed as delivered' });
        assert.equal(done.state, 'delivered');
        assert.equal(done.attempts, 1);
        assert.equal(done.dead_at, null);
        const audit = await api('GET', `/sessions/${s.id}/audit?limit=100`);
        const row = audit.json.items.find((a) => a.action === 'webhook.redelivered');
        assert.ok(row, 'audit row webhook.redelivered');
        assert.deepEqual(row.data, { delivery_id: dead.id, event_id: dead.event_id, type: 'session.scheduled' });

        // Errors.
        const again = await api('POST', `/outbox/${dead.id}/redeliver`);
        assert.equal(again.status, 409, show(again));
        assert.match(again.headers.get('content-type'), /^application\/problem\+json/);
        assert.equal(again.json.type, 'https://telemed.example/problems/delivery-not-dead');
        for (const bad of ['999999999999', 'abc', '0', '-1', '01']) {
            const r = await api('POST', `/outbox/${bad}/redeliver`);
            assert.equal(r.status, 404, `${bad}: ${show(r)}`);
        }
        assert.equal((await api('POST', `/outbox/${dead.id}/redeliver`, { auth: false })).status, 401);
        assert.equal((await api('GET', '/outbox', { auth: false })).status, 401);
        for (const q of ['status=lost', 'limit=0', 'limit=101', 'cursor=xyz', 'foo=1', 'limit=1&limit=2',
            `cursor=${Buffer.from('a1:5').toString('base64url')}`]) {
            const r = await api('GET', `/outbox?${q}`);
            assert.equal(r.status, 422, `${q}: ${show(r)}`);
        }
        // Keyset pagination: newest first, pages do not overlap.
        const p1 = await api('GET', '/outbox?limit=2');
        assert.equal(p1.json.items.length, 2);
        assert.ok(p1.json.items[0].id > p1.json.items[1].id);
        const p2 = await api('GET', `/outbox?limit=2&cursor=${p1.json.next_cursor}`);
        assert.equal(p2.status, 200, show(p2));
        assert.ok(p2.json.items[0].id < p1.json.items[1].id);
    });

    test('(f) two endpoints: each gets every event in order, one down does not hold the other back', async () => {
        await restartController(settings('', `${base}/a,${base}/b`));
        rx.downPaths.add('/b');
        const s = await createSession();
        for (let k = 0; k < 3; ++k) await addParticipant(s.id, { user_id: uniq('u'), role: 'patient' });
        const ev = eventsOf([s.id]).map((e) => e.eventId);
        assert.equal(ev.length, 4);
        await eventually(() => ev.every((id) => (rx.ackedAt.get('/a') ?? []).includes(id)), { what: '/a has all' });
        assert.deepEqual((rx.ackedAt.get('/a') ?? []).filter((id) => ev.includes(id)), ev, '/a in order');
        assert.ok(!(rx.ackedAt.get('/b') ?? []).some((id) => ev.includes(id)), '/b down: nothing yet');
        assert.equal(psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(s.id)} AND delivered_at IS NOT NULL`),
            '0', 'not delivered everywhere yet');
        rx.downPaths.delete('/b');
        await eventually(() => ev.every((id) => (rx.ackedAt.get('/b') ?? []).includes(id)), { what: '/b has all' });
        assert.deepEqual((rx.ackedAt.get('/b') ?? []).filter((id) => ev.includes(id)), ev, '/b in order');
        await eventually(() => psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(s.id)}
            AND delivered_at IS NOT NULL`) === '4', { what: 'outbox.delivered_at once both endpoints have it' });
        assert.deepEqual(rx.overlaps, []);
    });
});
