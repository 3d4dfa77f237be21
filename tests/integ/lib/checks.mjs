// Shared assertions on controller responses.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { decodeJwt, verifyHs256 } from './jwt.mjs';
import { ENV, PERMISSIONS, PLUGIN, UUID_RE, nowSeconds, problemType, show } from './stack.mjs';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function assertTimestamp(v, what) {
    assert.equal(typeof v, 'string', `${what} is a string`);
    assert.match(v, RFC3339_UTC, `${what} is RFC 3339 UTC`);
    assert.ok(!Number.isNaN(Date.parse(v)), `${what} parses`);
}

export function assertTimestampOrNull(v, what) {
    if (v !== null) assertTimestamp(v, what);
}

// An RFC 9457 problem with the given status and slug.
export function assertProblem(res, status, slug, what = '') {
    const ctx = `${what} ${show(res)}`;
    assert.equal(res.status, status, `status ${ctx}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/i, `problem content type ${ctx}`);
    assert.ok(res.json && typeof res.json === 'object', `problem body is JSON ${ctx}`);
    assert.equal(res.json.status, status, `problem.status ${ctx}`);
    if (slug) assert.equal(res.json.type, problemType(slug), `problem.type ${ctx}`);
    assert.equal(typeof res.json.title, 'string', `problem.title ${ctx}`);
    assert.equal(typeof res.json.detail, 'string', `problem.detail ${ctx}`);
    assert.ok(res.headers.get('x-request-id'), `X-Request-Id on errors ${ctx}`);
}

// A 422 validation problem naming `field` (exact, or a RegExp) in errors[].
export function assertFieldError(res, field, what = '') {
    assertProblem(res, 422, 'validation-error', what);
    const errors = res.json.errors;
    assert.ok(Array.isArray(errors) && errors.length > 0, `errors[] present ${what} ${show(res)}`);
    for (const e of errors) {
        assert.equal(typeof e.field, 'string', 'errors[].field');
        assert.equal(typeof e.message, 'string', 'errors[].message');
    }
    const names = errors.map((e) => e.field);
    const ok = names.some((n) => (field instanceof RegExp ? field.test(n) : n === field));
    assert.ok(ok, `errors[] names ${field} (got ${JSON.stringify(names)}) ${what}`);
}

export function assertStandardHeaders(res, what = '') {
    assert.ok(res.headers.get('x-request-id'), `X-Request-Id ${what}`);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/, `Cache-Control: no-store ${what}`);
}

export function assertSession(s, expected = {}) {
    assert.ok(s && typeof s === 'object', 'session object');
    assert.match(s.id, UUID_RE, 'session id is a UUID');
    assert.ok(['consultation', 'emergency', 'follow_up'].includes(s.kind), 'kind');
    assert.ok(['scheduled', 'active', 'ended', 'cancelled'].includes(s.status), 'status');
    assert.ok(['disabled', 'optional', 'required'].includes(s.recording_policy), 'recording_policy');
    for (const k of ['title', 'scheduled_at', 'external_ref', 'started_at', 'ended_at', 'cancelled_at']) {
        assert.ok(k in s, `session has ${k}`);
    }
    assert.ok(s.title === null || typeof s.title === 'string', 'title string|null');
    assert.ok(s.external_ref === null || typeof s.external_ref === 'string', 'external_ref string|null');
    assert.ok(s.metadata && typeof s.metadata === 'object' && !Array.isArray(s.metadata), 'metadata object');
    assertTimestamp(s.created_at, 'created_at');
    assertTimestamp(s.updated_at, 'updated_at');
    assertTimestampOrNull(s.scheduled_at, 'scheduled_at');
    assertTimestampOrNull(s.started_at, 'started_at');
    assertTimestampOrNull(s.ended_at, 'ended_at');
    assertTimestampOrNull(s.cancelled_at, 'cancelled_at');
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(s[k], v, `session.${k}`);
}

export function assertParticipant(p, expected = {}) {
    assert.ok(p && typeof p === 'object', 'participant object');
    assert.match(p.id, UUID_RE, 'participant id is a UUID');
    assert.match(p.session_id, UUID_RE, 'participant session_id');
    assert.equal(typeof p.user_id, 'string', 'user_id');
    assert.ok(['doctor', 'patient', 'paramedic', 'observer'].includes(p.role), 'role');
    assert.ok('display_name' in p, 'display_name present');
    assert.ok(Array.isArray(p.permissions), 'permissions is an array');
    // canonical order, no duplicates, known names
    const idx = p.permissions.map((n) => PERMISSIONS.indexOf(n));
    assert.ok(idx.every((i) => i >= 0), `known permissions ${JSON.stringify(p.permissions)}`);
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b), 'permissions in canonical order');
    assert.equal(new Set(idx).size, idx.length, 'permissions without duplicates');
    assert.ok(p.permission_overrides && typeof p.permission_overrides === 'object' &&
        !Array.isArray(p.permission_overrides), 'permission_overrides object');
    assert.ok(['active', 'removed'].includes(p.status), 'participant status');
    assertTimestamp(p.created_at, 'participant created_at');
    assertTimestamp(p.updated_at, 'participant updated_at');
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(p[k], v, `participant.${k}`);
}

// Checks a join object against the participant and session it was minted
// for: token signature and claims, expiry, ICE servers with TURN REST
// credentials. Returns the decoded token.
export function assertJoin(join, participant, sessionId) {
    assert.ok(join && typeof join === 'object', 'join object');
    assert.equal(join.plugin, PLUGIN, 'join.plugin');
    assert.equal(typeof join.janus_ws_url, 'string', 'join.janus_ws_url');
    assert.match(join.janus_ws_url, /^wss?:\/\//, 'janus_ws_url is a ws(s) URL');
    assert.equal(join.janus_ws_url.replace(/\/+$/, ''), ENV.JANUS_WS_URL.replace(/\/+$/, ''), 'janus_ws_url is the stack\'s');
    assertTimestamp(join.expires_at, 'join.expires_at');

    const now = nowSeconds();
    const { header, claims } = decodeJwt(join.token);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT', kid: ENV.TOKEN_KID }, 'token header');
    assert.ok(verifyHs256(join.token, ENV.TOKEN_SECRET), 'token signature verifies with the stack secret');
    assert.equal(claims.iss, ENV.TOKEN_ISSUER, 'iss');
    assert.equal(claims.aud, 'janus.plugin.telemed', 'aud');
    assert.equal(claims.sub, participant.id, 'sub = participant id');
    assert.equal(claims.sid, sessionId, 'sid = session id');
    assert.equal(claims.role, participant.role, 'role claim');
    assert.deepEqual(claims.perms, participant.permissions, 'perms claim = effective permissions');
    assert.ok(Number.isInteger(claims.iat) && Math.abs(claims.iat - now) <= 60, 'iat is now');
    assert.equal(claims.nbf, claims.iat, 'nbf = iat');
    assert.ok(Number.isInteger(claims.exp) && claims.exp > claims.iat && claims.exp - claims.iat <= 3600,
        'exp a few minutes after iat');
    assert.equal(Date.parse(join.expires_at), claims.exp * 1000, 'expires_at = exp');
    assert.match(claims.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'jti is a UUID v4');
    for (const k of Object.keys(claims)) {
        assert.ok(['iss', 'aud', 'sub', 'sid', 'role', 'perms', 'iat', 'nbf', 'exp', 'jti'].includes(k),
            `no extra claim (personal data) in token: ${k}`);
    }

    assert.ok(Array.isArray(join.ice_servers) && join.ice_servers.length > 0, 'ice_servers non-empty');
    let turn = 0;
    for (const s of join.ice_servers) {
        const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
        assert.ok(urls.length > 0 && urls.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u)),
            `ice server urls ${JSON.stringify(s.urls)}`);
        if (urls.some((u) => u.startsWith('turn'))) {
            turn += 1;
            const m = /^(\d+):(.+)$/.exec(s.username ?? '');
            assert.ok(m, `TURN username "<expiry>:<id>" (got ${s.username})`);
            assert.equal(m[2], participant.id, 'TURN username carries the participant id');
            const expiry = Number(m[1]);
            assert.ok(expiry > now && expiry <= now + 2 * 86400, 'TURN credential expiry in the future, bounded');
            const want = createHmac('sha1', ENV.TURN_SECRET).update(s.username).digest('base64');
            assert.equal(s.credential, want, 'TURN credential = base64(HMAC-SHA1(secret, username))');
            if (ENV.TURN_URL) assert.ok(urls.includes(ENV.TURN_URL), `TURN url ${ENV.TURN_URL} offered`);
        }
    }
    if (ENV.TURN_SECRET) assert.ok(turn > 0, 'a TURN server with credentials is offered');

    // janus_token: a Janus signed token for our plugin only, outliving the
    // join token (Janus checks it on every keepalive of the call).
    if (ENV.JANUS_TOKEN_SECRET) {
        assert.equal(typeof join.janus_token, 'string', 'join.janus_token');
        const m = /^(\d+),janus,([^:]+):([A-Za-z0-9+/]+=*)$/.exec(join.janus_token);
        assert.ok(m, 'janus_token is "<expiry>,janus,<plugins>:<base64 mac>"');
        assert.equal(m[2], PLUGIN, 'janus_token is for janus.plugin.telemed only');
        const data = join.janus_token.slice(0, join.janus_token.indexOf(':'));
        assert.equal(m[3], createHmac('sha1', ENV.JANUS_TOKEN_SECRET).update(data).digest('base64'),
            'janus_token MAC = base64(HMAC-SHA1(janus token secret, data))');
        const jexp = Number(m[1]);
        assert.ok(jexp > claims.exp && jexp <= now + 8 * 86400, 'janus_token outlives the join token, bounded');
    }
    return { header, claims };
}
