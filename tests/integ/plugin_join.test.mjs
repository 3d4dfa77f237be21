// Joining janus.plugin.telemed over the Janus WebSocket API with tokens the
// controller minted, and refusals with exact error codes for every kind of
// bad token. Also: kicks through REST, and the admin secret.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';

import { attached, joinWith } from './lib/janus.mjs';
import { claimsFor, decodeJwt, mintJwt } from './lib/jwt.mjs';
import {
    ENV, addParticipant, api, createSession, janusAdmin, nowSeconds, roomInfo, show, transition, uniq,
} from './lib/stack.mjs';

const T = { timeout: 30000 };
const open = [];
after(async () => {
    for (const c of open) await c.close();
});

async function join(token, opts) {
    const r = await joinWith(token, opts);
    open.push(r.client);
    return r;
}

function assertError(data, code, what) {
    assert.equal(data.telemed, 'error', `${what}: ${JSON.stringify(data)}`);
    assert.equal(data.error_code, code, `${what}: ${JSON.stringify(data)}`);
    assert.equal(typeof data.error, 'string', `${what}: error text`);
    assert.ok(!JSON.stringify(data).includes('eyJ'), `${what}: the token is not echoed`);
}

// An active session with a doctor; returns ids and the doctor's join.
async function activeSession(kind = 'consultation') {
    const s = await createSession({ kind });
    const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
    await transition(s.id, 'start');
    return { sid: s.id, doc };
}

function header(extra = {}) {
    return { alg: 'HS256', typ: 'JWT', kid: ENV.TOKEN_KID, ...extra };
}

describe('join', () => {
    test('a controller token joins with its participant id, role and permissions', T, async () => {
        const { sid, doc } = await activeSession();
        const { data } = await join(doc.join.token);
        assert.equal(data.telemed, 'joined', JSON.stringify(data));
        assert.equal(data.session_id, sid);
        assert.equal(data.participant_id, doc.participant.id);
        assert.equal(data.role, 'doctor');
        assert.deepEqual(data.permissions, doc.participant.permissions);
        assert.equal(data.session_state, 'active');
        const room = await roomInfo(sid);
        const me = room.participants.find((p) => p.participant_id === doc.participant.id);
        assert.ok(me, `room_info lists the joined participant: ${JSON.stringify(room)}`);
        assert.equal(me.role, 'doctor');
        assert.deepEqual(me.permissions, doc.participant.permissions);
    });

    test('session_id matching the token is accepted; another is 4019', T, async () => {
        const a = await activeSession();
        const b = await activeSession();
        const ok = await join(a.doc.join.token, { sessionId: a.sid });
        assert.equal(ok.data.telemed, 'joined', JSON.stringify(ok.data));
        const other = await addParticipant(a.sid, { user_id: uniq('obs'), role: 'observer' });
        const wrong = await join(other.join.token, { sessionId: b.sid });
        assertError(wrong.data, 4019, 'token for A, session_id B');
    });

    test('permissions changed by PATCH before joining win over the token', T, async () => {
        const { sid } = await activeSession();
        const pat = await addParticipant(sid, { user_id: uniq('pat'), role: 'doctor' });
        const patched = await api('PATCH', `/sessions/${sid}/participants/${pat.participant.id}`,
            { body: { permissions: { publish_video: false } } });
        assert.equal(patched.status, 200, show(patched));
        // The old token still carries publish_video.
        assert.ok(decodeJwt(pat.join.token).claims.perms.includes('publish_video'));
        const { data } = await join(pat.join.token);
        assert.equal(data.telemed, 'joined', JSON.stringify(data));
        assert.deepEqual(data.permissions, patched.json.permissions, 'latest effective set applies');
    });

    test('joining twice on one handle is 4030; bad requests 4002 / 4003', T, async () => {
        const { doc } = await activeSession();
        const { client, handle, data } = await join(doc.join.token);
        assert.equal(data.telemed, 'joined');
        assertError(await client.message(handle, { request: 'join', token: doc.join.token }), 4030, 'second join');
        assertError(await client.message(handle, { request: 'teleport' }), 4002, 'unknown request');
        assertError(await client.message(handle, { request: 42 }), 4002, 'request not a string');
        assertError(await client.message(handle, { token: doc.join.token }), 4002, 'request missing');
        const { client: c2, handle: h2 } = await attached();
        open.push(c2);
        assertError(await c2.message(h2, { request: 'join', token: 42 }), 4003, 'token not a string');
        assertError(await c2.message(h2, { request: 'join' }), 4003, 'token missing');
        assertError(await c2.message(h2, { request: 'join', token: doc.join.token, extra: 1 }), 4003, 'unknown field');
        assertError(await c2.message(h2, { request: 'join', token: doc.join.token, session_id: 'nope' }), 4003,
            'session_id not a UUID');
        assertError(await c2.message(h2, { request: 'join', token: '' }), 4003, 'empty token');
        assertError(await c2.message(h2, { request: 'join', token: doc.join.token + 'A'.repeat(4200) }), 4003,
            'token over 4 KiB');
        assertError(await c2.message(h2, { request: 'leave' }), 4031, 'leave before join');
        // The handle is still usable after refusals.
        assert.equal((await c2.message(h2, { request: 'join', token: doc.join.token })).telemed, 'joined');
    });
});

describe('refused tokens', () => {
    // Each case: [name, code, (ctx) => token]
    const cases = [
        ['expired', 4017, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET,
            claims: { ...base, iat: base.iat - 3600, nbf: base.iat - 3600, exp: base.iat - 600 },
        })],
        ['not yet valid', 4016, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET,
            claims: { ...base, iat: base.iat + 3600, nbf: base.iat + 3600, exp: base.iat + 3900 },
        })],
        ['forged signature (other secret)', 4013, ({ base }) => mintJwt({
            header: header(), secret: 'not-the-secret-but-long-enough-0123456789', claims: base,
        })],
        ['tampered claims (role upgraded after signing)', 4013, ({ real }) => {
            const [h, c, sig] = real.split('.');
            const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
            claims.perms = [...claims.perms, 'moderate', 'record'];
            return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
        }],
        ['unknown kid', 4012, ({ base }) => mintJwt({
            header: header({ kid: 'no-such-kid' }), secret: ENV.TOKEN_SECRET, claims: base,
        })],
        ['missing kid', 4012, ({ base }) => mintJwt({
            header: { alg: 'HS256', typ: 'JWT' }, secret: ENV.TOKEN_SECRET, claims: base,
        })],
        ['wrong audience', 4014, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, aud: 'janus.plugin.videoroom' },
        })],
        ['wrong issuer', 4015, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, iss: 'someone-else' },
        })],
        ['alg none', 4011, ({ base }) => mintJwt({ header: header({ alg: 'none' }), claims: base })],
        ['alg none with a signature', 4011, ({ base }) => mintJwt({
            header: header({ alg: 'none' }), secret: ENV.TOKEN_SECRET, claims: base, signAlg: 'HS256',
        })],
        ['alg HS512', 4011, ({ base }) => mintJwt({ header: header({ alg: 'HS512' }), secret: ENV.TOKEN_SECRET, claims: base })],
        ['alg hs256 (case)', 4011, ({ base }) => mintJwt({
            header: header({ alg: 'hs256' }), secret: ENV.TOKEN_SECRET, claims: base, signAlg: 'HS256',
        })],
        ['alg RS256', 4011, ({ base }) => mintJwt({
            header: header({ alg: 'RS256' }), secret: ENV.TOKEN_SECRET, claims: base, signAlg: 'HS256',
        })],
        ['garbage', 4010, () => 'garbage'],
        ['two parts', 4010, ({ real }) => real.split('.').slice(0, 2).join('.')],
        ['four parts', 4010, ({ real }) => `${real}.x`],
        ['header not JSON', 4010, ({ real }) => `${Buffer.from('{nope').toString('base64url')}.${real.split('.').slice(1).join('.')}`],
        ['bad base64 in the signature', 4010, ({ real }) => `${real.split('.').slice(0, 2).join('.')}.***`],
        ['bad claims: unknown role', 4018, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, role: 'king' },
        })],
        ['bad claims: unknown permission', 4018, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, perms: ['teleport'] },
        })],
        ['bad claims: exp not a number', 4018, ({ base }) => mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, exp: String(base.exp) },
        })],
        ['bad claims: sid missing', 4018, ({ base }) => {
            const { sid: _sid, ...rest } = base;
            return mintJwt({ header: header(), secret: ENV.TOKEN_SECRET, claims: rest });
        }],
    ];

    for (const [name, code, make] of cases) {
        test(`${name} → ${code}`, T, async () => {
            const { sid, doc } = await activeSession();
            const base = claimsFor({
                sub: doc.participant.id, sid, role: 'doctor', perms: doc.participant.permissions, iss: ENV.TOKEN_ISSUER,
            });
            // Sanity: the same claims, correctly signed, are accepted
            // (so the refusal below is due to the one thing changed).
            const good = mintJwt({ header: header(), secret: ENV.TOKEN_SECRET, claims: base });
            const token = make({ base, real: doc.join.token });
            const refused = await join(token);
            assertError(refused.data, code, name);
            const accepted = await join(good);
            assert.equal(accepted.data.telemed, 'joined', `control token accepted: ${JSON.stringify(accepted.data)}`);
        });
    }

    test('within the clock-skew leeway a token is still accepted', T, async () => {
        const { sid, doc } = await activeSession();
        const other = await addParticipant(sid, { user_id: uniq('doc2'), role: 'doctor' });
        const now = nowSeconds();
        const base = claimsFor({ sub: doc.participant.id, sid, perms: doc.participant.permissions, iss: ENV.TOKEN_ISSUER, now });
        const fresh = mintJwt({ header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base, nbf: now + 10, iat: now + 10 } });
        const a = (await join(fresh)).data;
        assert.equal(a.telemed, 'joined', `nbf 10 s ahead within leeway: ${JSON.stringify(a)}`);
        const base2 = claimsFor({ sub: other.participant.id, sid, perms: other.participant.permissions, iss: ENV.TOKEN_ISSUER, now });
        const justExpired = mintJwt({ header: header(), secret: ENV.TOKEN_SECRET, claims: { ...base2, iat: now - 300, nbf: now - 300, exp: now - 5 } });
        const b = (await join(justExpired)).data;
        assert.equal(b.telemed, 'joined', `exp 5 s ago within leeway: ${JSON.stringify(b)}`);
    });

    test('a token for an ended session → 4040', T, async () => {
        const { sid, doc } = await activeSession();
        await transition(sid, 'end');
        assertError((await join(doc.join.token)).data, 4040, 'ended session');
    });

    test('a token for a cancelled session → 4040', T, async () => {
        const s = await createSession();
        const p = await addParticipant(s.id, { user_id: uniq('u'), role: 'doctor' });
        await transition(s.id, 'cancel');
        assertError((await join(p.join.token)).data, 4040, 'cancelled session');
    });

    test('a validly signed token for a session that never existed → 4040', T, async () => {
        const token = mintJwt({
            header: header(), secret: ENV.TOKEN_SECRET,
            claims: claimsFor({ sub: randomUUID(), sid: randomUUID(), iss: ENV.TOKEN_ISSUER }),
        });
        assertError((await join(token)).data, 4040, 'unknown room');
    });
});

describe('kick and revocation', () => {
    test('REST DELETE kicks a connected participant; its tokens are dead', T, async () => {
        const { sid } = await activeSession();
        const pat = await addParticipant(sid, { user_id: uniq('pat'), role: 'doctor' });
        const { client, handle, data } = await join(pat.join.token);
        assert.equal(data.telemed, 'joined', JSON.stringify(data));
        const mark = client.received.length;
        const del = await api('DELETE', `/sessions/${sid}/participants/${pat.participant.id}`);
        assert.equal(del.status, 204, show(del));
        const kicked = await client.pluginEvent(handle, (d) => d.telemed === 'kicked',
            { timeout: 5000, from: mark, what: 'kicked event' });
        assert.equal(kicked.telemed, 'kicked');
        const room = await roomInfo(sid);
        assert.ok(!room.participants.some((p) => p.participant_id === pat.participant.id), 'no longer in the room');

        // The same token, on a fresh handle: revoked.
        assertError((await join(pat.join.token)).data, 4020, 'rejoin after kick');
        // A forged-but-valid token for the kicked participant id: also revoked.
        const base = claimsFor({ sub: pat.participant.id, sid, iss: ENV.TOKEN_ISSUER });
        assertError((await join(mintJwt({ header: header(), secret: ENV.TOKEN_SECRET, claims: base }))).data, 4020,
            'new token for a kicked participant id');
        // Re-adding the user gives a new participant that may join.
        const back = await addParticipant(sid, { user_id: pat.participant.user_id, role: 'doctor' });
        assert.notEqual(back.participant.id, pat.participant.id);
        assert.equal((await join(back.join.token)).data.telemed, 'joined');
    });

    test('ending the session tells connected participants', T, async () => {
        const { sid, doc } = await activeSession();
        const { client, handle, data } = await join(doc.join.token);
        assert.equal(data.telemed, 'joined');
        const mark = client.received.length;
        await transition(sid, 'end');
        const ended = await client.pluginEvent(handle, (d) => d.telemed === 'ended', { timeout: 5000, from: mark, what: 'ended event' });
        assert.equal(ended.telemed, 'ended');
    });
});

describe('admin API', () => {
    test('message_plugin without or with a wrong admin secret is refused with 403', T, async () => {
        for (const secret of [null, 'wrong-secret', '']) {
            const r = await janusAdmin({ request: 'list_rooms' }, { secret });
            assert.equal(r.janus, 'error', JSON.stringify(r));
            assert.equal(r.error?.code, 403, JSON.stringify(r));
            assert.equal(r.response, undefined);
        }
        const ping = await janusAdmin({ request: 'ping' });
        assert.equal(ping.janus, 'success', JSON.stringify(ping));
        assert.equal(ping.response.telemed, 'pong');
    });

    test('room_info of an unknown room is 4040', T, async () => {
        const r = await janusAdmin({ request: 'room_info', room: randomUUID() });
        const data = r.response ?? r;
        assert.equal(data.telemed, 'error', JSON.stringify(r));
        assert.equal(data.error_code, 4040);
    });
});
