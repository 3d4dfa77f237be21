// Participant credentials and invitations (docs/API.md "Invitations"):
// the `access` object of a participant add, POST /join exchanging the
// credential for a fresh join object whose token joins the plugin, the
// credential dying at once on removal and revocation, refusals of forged
// credentials, closed sessions (409 within the grace, 401 after), the rate
// limit (429 + Retry-After), the audit trail of every exchange, and no
// credential or token in any log line of the stack.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { assertJoin, assertProblem, assertTimestamp } from './lib/checks.mjs';
import { joinWith } from './lib/janus.mjs';
import {
    ENV, ROOT, api, createSession, janusAdmin, lit, plugin, psql, psqlValue, restartController, roomInfo, show, stack,
    transition, uniq,
} from './lib/stack.mjs';

const { decodeInviteLink, exchangeCredential } = await import(pathToFileURL(pathJoin(ROOT, 'web', 'telemed.js')).href);

const T = { timeout: 30000 };
const CREDENTIAL_RE = /^tpc1\.[A-Za-z0-9_-]{64}\.[A-Za-z0-9_-]{43}$/;

// Every secret this file obtains, for the log check at the end.
const secrets = new Set();
const open = [];
after(async () => {
    for (const c of open) await c.close();
});

function keep(res) {
    if (res.json?.access?.credential) secrets.add(res.json.access.credential);
    if (res.json?.join?.token) secrets.add(res.json.join.token);
    if (res.json?.token) secrets.add(res.json.token);
    return res;
}

async function add(sid, body) {
    const res = keep(await api('POST', `/sessions/${sid}/participants`, { body }));
    assert.ok(res.status === 201 || res.status === 200, `add participant: ${show(res)}`);
    return res;
}

// POST /join with `credential` (no API key). Returns the response.
async function exchange(credential, headers = {}) {
    const h = credential === undefined ? {} : { authorization: `Bearer ${credential}` };
    return keep(await api('POST', '/join', { auth: false, headers: { ...h, ...headers } }));
}

function assertUnauthorized(res, what) {
    assertProblem(res, 401, 'unauthorized', what);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, `WWW-Authenticate ${what}`);
}

// The credential's payload: session id, participant id, epoch, issued-at.
function decodeCredential(c) {
    const [, payload] = c.split('.');
    const raw = Buffer.from(payload, 'base64url');
    assert.equal(raw.length, 48, 'payload is 48 bytes');
    const uuid = (b) => b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    return {
        sid: uuid(raw.subarray(0, 16)),
        pid: uuid(raw.subarray(16, 32)),
        epoch: Number(raw.readBigUInt64BE(32)),
        iat: Number(raw.readBigUInt64BE(40)),
    };
}

function forge(payload, secret) {
    const input = `tpc1.${payload.toString('base64url')}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function newSession(start = true) {
    const s = await createSession({ title: 'credentials' });
    if (start) await transition(s.id, 'start');
    return s.id;
}

describe('access on participant add', () => {
    test('201 and the 200 repeat return the same credential and invite URL', T, async () => {
        const sid = await newSession(false);
        const userId = uniq('pat');
        const first = await add(sid, { user_id: userId, role: 'patient', display_name: 'Jane Credential' });
        assert.equal(first.status, 201);
        const a = first.json.access;
        assert.ok(a && typeof a === 'object', `access object: ${show(first)}`);
        assert.deepEqual(Object.keys(a).sort(), ['credential', 'expires_at', 'invite_url']);
        assert.match(a.credential, CREDENTIAL_RE);
        assert.equal(a.invite_url, `${ENV.TELEMED_URL}/app/#invite=${a.credential}`);
        assertTimestamp(a.expires_at, 'access.expires_at');
        const days = (Date.parse(a.expires_at) - Date.now()) / 86400000;
        assert.ok(days > 29 && days <= 30.01, `expires_at about 30 days ahead (${days})`);
        // Ids only: no user id or name inside.
        const d = decodeCredential(a.credential);
        assert.equal(d.sid, sid);
        assert.equal(d.pid, first.json.participant.id);
        assert.equal(d.epoch, 0);
        const raw = Buffer.from(a.credential.split('.')[1], 'base64url').toString('latin1');
        assert.ok(!raw.includes(userId) && !raw.includes('Jane'), 'no personal data in the credential');
        // Still the join object next to it.
        assertJoin(first.json.join, first.json.participant, sid);

        const again = await add(sid, { user_id: userId, role: 'patient' });
        assert.equal(again.status, 200);
        assert.deepEqual(again.json.access, a, 'the 200 repeat returns the same access');
        assert.notEqual(again.json.join.token, first.json.join.token, 'but a fresh token');
    });
});

describe('POST /join', () => {
    test('returns a join object of the add\'s shape whose token joins the plugin; audited', T, async () => {
        const sid = await newSession();
        const added = await add(sid, { user_id: uniq('doc'), role: 'doctor' });
        const p = added.json.participant;
        const res = await exchange(added.json.access.credential);
        assert.equal(res.status, 200, show(res));
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(Object.keys(res.json).sort(), Object.keys(added.json.join).sort(), 'same shape as join');
        const { claims } = assertJoin(res.json, p, sid);
        assert.notEqual(res.json.token, added.json.join.token, 'a new token');
        assert.match(res.json.app_url, /\/app\/#join=/);

        const r = await joinWith(res.json.token, { janusToken: res.json.janus_token });
        open.push(r.client);
        assert.equal(r.data.telemed, 'joined', JSON.stringify(r.data));
        assert.equal(r.data.participant_id, p.id);
        assert.equal(r.data.session_id, sid);

        // Audit row and participant event: ids and jti only.
        const rows = psql(`SELECT actor, data::text FROM audit_log WHERE session_id = ${lit(sid)}
                           AND action = 'participant.token_issued' AND data->>'via' = 'credential'`);
        assert.equal(rows.length, 1, `one audit row for the exchange: ${JSON.stringify(rows)}`);
        assert.equal(rows[0][0], `participant:${p.id}`);
        const data = JSON.parse(rows[0][1]);
        assert.deepEqual(Object.keys(data).sort(), ['expires_at', 'jti', 'participant_id', 'via']);
        assert.equal(data.jti, claims.jti);
        assert.equal(data.participant_id, p.id);
        const ev = psqlValue(`SELECT count(*) FROM participant_events WHERE participant_id = ${lit(p.id)}
                              AND event = 'token_issued' AND data->>'jti' = ${lit(claims.jti)}`);
        assert.equal(ev, '1', 'participant event for the exchange');
        const leaked = psqlValue(`SELECT count(*) FROM audit_log WHERE session_id = ${lit(sid)}
                                  AND (data::text LIKE '%tpc1.%' OR data::text LIKE '%eyJ%')`);
        assert.equal(leaked, '0', 'no credential or token in the audit log');
        assert.equal(psqlValue(`SELECT audit_verify(${lit(sid)})`), undefined, 'the audit chain verifies');
    });

    test('works on a scheduled session and re-creates a room Janus lost', T, async () => {
        const sid = await newSession(false);
        const added = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        await plugin({ request: 'destroy_room', room: sid });
        assert.equal((await janusAdmin({ request: 'room_info', room: sid })).response?.error_code, 4040, 'room gone');
        const res = await exchange(added.json.access.credential);
        assert.equal(res.status, 200, show(res));
        assertJoin(res.json, added.json.participant, sid);
        assert.equal((await roomInfo(sid)).state, 'scheduled', 'room re-created by POST /join');
        const r = await joinWith(res.json.token);
        open.push(r.client);
        assert.equal(r.data.telemed, 'joined', JSON.stringify(r.data));
    });

    test('missing, garbage, tampered, other-key, other-session, API-key and cross-deployment credentials: 401', T, async () => {
        const sid = await newSession();
        const added = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        const good = added.json.access.credential;
        assertUnauthorized(await exchange(undefined), 'no Authorization');
        assertUnauthorized(await exchange('garbage'), 'garbage');
        assertUnauthorized(await exchange(ENV.TELEMED_API_KEY), 'the API key is not a credential');
        assertUnauthorized(await exchange(added.json.join.token), 'a join token is not a credential');
        const flipped = good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21);
        assertUnauthorized(await exchange(flipped), 'tampered payload');
        const payload = Buffer.from(good.split('.')[1], 'base64url');
        payload.writeBigUInt64BE(5n, 32);  // another epoch, MAC of ours unknown
        assertUnauthorized(await exchange(forge(payload, 'another-deployment-secret-0123456789abcdef')), 'other key');
        assertUnauthorized(await exchange(`${good}x`), 'trailing garbage');
        const basic = await api('POST', '/join', { auth: false, headers: { authorization: `Basic ${good}` } });
        assertUnauthorized(basic, 'Basic scheme');
        // Validly signed but for a participant that does not exist.
        assert.ok(ENV.CREDENTIAL_SECRET, 'stack.env carries CREDENTIAL_SECRET');
        {
            const fake = Buffer.from(payload);
            fake.writeBigUInt64BE(0n, 32);
            fake.fill(0x42, 16, 32);
            assertUnauthorized(await exchange(forge(fake, ENV.CREDENTIAL_SECRET)), 'unknown participant');
            // Validly signed, a real participant, but bound to another
            // (real, open) session: the participant is not in that session.
            const other = await newSession();
            await add(other, { user_id: uniq('pat'), role: 'patient' });
            const cross = Buffer.from(Buffer.from(good.split('.')[1], 'base64url'));
            Buffer.from(other.replaceAll('-', ''), 'hex').copy(cross, 0);
            assertUnauthorized(await exchange(forge(cross, ENV.CREDENTIAL_SECRET)), 'credential bound to another session');
            // The same bytes with its own session id again: accepted (the forge is faithful).
            assert.equal((await exchange(forge(Buffer.from(good.split('.')[1], 'base64url'), ENV.CREDENTIAL_SECRET))).status,
                         200, 'the re-signed original credential');
        }
        // The good one still works.
        assert.equal((await exchange(good)).status, 200);
    });
});

describe('credential lifetime', () => {
    test('removal kills the credential at once (DELETE by path and by user_id)', T, async () => {
        const sid = await newSession();
        const a = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        const userB = uniq('pat');
        const b = await add(sid, { user_id: userB, role: 'patient' });
        assert.equal((await exchange(a.json.access.credential)).status, 200);
        const del = await api('DELETE', `/sessions/${sid}/participants/${a.json.participant.id}`);
        assert.equal(del.status, 204, show(del));
        assertUnauthorized(await exchange(a.json.access.credential), 'removed participant');
        const delB = await api('DELETE', `/sessions/${sid}/participants`, { body: { user_id: userB } });
        assert.equal(delB.status, 204, show(delB));
        assertUnauthorized(await exchange(b.json.access.credential), 'participant removed by user_id');
        // Re-adding the user gives a new participant with a new credential.
        const again = await add(sid, { user_id: userB, role: 'patient' });
        assert.equal(again.status, 201);
        assert.notEqual(again.json.access.credential, b.json.access.credential);
        assert.equal((await exchange(again.json.access.credential)).status, 200);
    });

    test('revoke: the old credential gets 401, the next add returns a new one that works', T, async () => {
        const sid = await newSession();
        const userId = uniq('pat');
        const first = await add(sid, { user_id: userId, role: 'patient' });
        const pid = first.json.participant.id;
        const old = first.json.access.credential;
        const noKey = await api('POST', `/sessions/${sid}/participants/${pid}/credential/revoke`, { auth: false });
        assertProblem(noKey, 401, 'unauthorized', 'revoke without API key');
        const withCredential = await api('POST', `/sessions/${sid}/participants/${pid}/credential/revoke`,
            { auth: false, headers: { authorization: `Bearer ${old}` } });
        assertProblem(withCredential, 401, 'unauthorized', 'a credential cannot revoke');
        const rv = await api('POST', `/sessions/${sid}/participants/${pid}/credential/revoke`);
        assert.equal(rv.status, 204, show(rv));
        assertUnauthorized(await exchange(old), 'revoked credential');
        const again = await add(sid, { user_id: userId, role: 'patient' });
        assert.equal(again.status, 200);
        const fresh = again.json.access.credential;
        assert.notEqual(fresh, old, 'a new credential after the revocation');
        assert.equal(decodeCredential(fresh).epoch, 1);
        const ok = await exchange(fresh);
        assert.equal(ok.status, 200, show(ok));
        assertJoin(ok.json, again.json.participant, sid);
        assert.equal(psqlValue(`SELECT count(*) FROM audit_log WHERE session_id = ${lit(sid)}
                                AND action = 'participant.credential_revoked' AND actor = 'key0'
                                AND data->>'participant_id' = ${lit(pid)}`), '1', 'revocation audited');
        // 404s.
        const unknown = await api('POST', `/sessions/${sid}/participants/00000000-0000-4000-8000-000000000000/credential/revoke`);
        assertProblem(unknown, 404, 'not-found', 'unknown participant');
        const bad = await api('POST', `/sessions/not-a-uuid/participants/${pid}/credential/revoke`);
        assertProblem(bad, 404, 'not-found', 'non-UUID session');
    });

    test('ended or cancelled session: 409 session-closed within the grace, 401 after it', T, async () => {
        const sid = await newSession();
        const a = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        await transition(sid, 'end');
        const closed = await exchange(a.json.access.credential);
        assertProblem(closed, 409, 'session-closed', 'ended session within the grace');
        assert.match(closed.json.detail, /ended/);
        // Move the end beyond the grace (credential_grace_s, 3600 by default).
        psql(`UPDATE sessions SET ended_at = now() - interval '2 hours' WHERE id = ${lit(sid)}`);
        assertUnauthorized(await exchange(a.json.access.credential), 'ended longer than the grace ago');

        const sid2 = await newSession(false);
        const b = await add(sid2, { user_id: uniq('pat'), role: 'patient' });
        await transition(sid2, 'cancel');
        assertProblem(await exchange(b.json.access.credential), 409, 'session-closed', 'cancelled session');
    });
});

describe('rate limit', () => {
    test('per credential: 429 with Retry-After once the minute\'s budget is spent', T, async () => {
        const sid = await newSession();
        const a = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        const c = a.json.access.credential;
        let limited = null;
        for (let i = 0; i < 15 && !limited; i++) {
            const r = await exchange(c);
            if (r.status === 429) limited = { r, i };
            else assert.equal(r.status, 200, show(r));
        }
        assert.ok(limited, 'a 429 within 15 exchanges');
        // join_rate_per_credential defaults to 10 a minute (a slow run may earn one more back).
        assert.ok(limited.i >= 10 && limited.i <= 12, `refused after 10 exchanges (${limited.i})`);
        assertProblem(limited.r, 429, 'too-many-requests', 'rate limited');
        const ra = Number(limited.r.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 60, `Retry-After seconds (${ra})`);
        // Another participant's credential is not affected.
        const b = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        assert.equal((await exchange(b.json.access.credential)).status, 200);
    });
});


describe('rate limit per address', () => {
    test('per client address: 429 for every credential, garbage included, once spent', { timeout: 120000 }, async () => {
        const sid = await newSession();
        const a = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        try {
            await restartController('join_rate_per_address=5');
            for (let i = 0; i < 5; i++) assertUnauthorized(await exchange(`garbage-${i}`), 'garbage within the budget');
            const limited = await exchange(a.json.access.credential);
            assertProblem(limited, 429, 'too-many-requests', 'address budget spent');
            const ra = Number(limited.headers.get('retry-after'));
            assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 60, `Retry-After seconds (${ra})`);
        } finally {
            await restartController(null);
        }
        assert.equal((await exchange(a.json.access.credential)).status, 200, 'default limits again after the restart');
    });
});

describe('SDK helpers', () => {
    test('decodeInviteLink reads invite_url; exchangeCredential maps 200, 401 and 409', T, async () => {
        const sid = await newSession();
        const a = await add(sid, { user_id: uniq('pat'), role: 'patient' });
        const { credential } = decodeInviteLink(new URL(a.json.access.invite_url).hash);
        assert.equal(credential, a.json.access.credential);
        assert.equal(decodeInviteLink('#join=abc'), null, 'a join link is not an invite');
        assert.throws(() => decodeInviteLink('#invite=nonsense'), (e) => e.code === 'link');
        const joinUrl = `${ENV.TELEMED_URL}/join`;
        const j = keep({ json: await exchangeCredential(credential, { joinUrl }) }).json;
        assertJoin(j, a.json.participant, sid);
        const flipped = credential.slice(0, 30) + (credential[30] === 'A' ? 'B' : 'A') + credential.slice(31);
        await assert.rejects(exchangeCredential(flipped, { joinUrl }), (e) => e.code === 'credential' && e.status === 401);
        await assert.rejects(exchangeCredential('garbage', { joinUrl }), (e) => e.code === 'credential');
        await transition(sid, 'end');
        await assert.rejects(exchangeCredential(credential, { joinUrl }), (e) => e.code === 'ended' && e.status === 409);
    });
});

describe('logs', () => {
    test('no credential or token appears in any log line of the stack', T, async () => {
        assert.ok(secrets.size >= 10, `collected the secrets of this file (${secrets.size})`);
        const dir = pathJoin(stack.dir, 'logs');
        const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
        assert.ok(files.some((f) => f.startsWith('controller')) && files.some((f) => f.startsWith('janus')),
            `controller and janus logs present: ${files}`);
        const found = [];
        for (const f of files) {
            const text = readFileSync(pathJoin(dir, f), 'latin1');
            for (const s of secrets) {
                // The whole value, and its signature part alone.
                const sig = s.split('.').at(-1);
                if (text.includes(s) || (sig.length >= 40 && text.includes(sig))) found.push(`${f}: ${s.slice(0, 12)}…`);
            }
        }
        assert.deepEqual(found, [], 'secrets found in logs');
    });
});
