// Recording playback links (issue 14 slice 2b; docs/API.md "Playback links",
// docs/DESIGN.md "Playback links"):
//  - POST /sessions authorized_viewers: stored, returned, bounded, deduplicated;
//  - POST /recordings/{id}/playback-links: the 201 shape (url, page_url,
//    expires_at within 15 minutes), the audit row without names; 403 for a
//    user who is neither participant nor authorized, 201 for an authorized
//    viewer and for a removed participant; 409 while not available; 404s;
//    410 for a shredded output; 401 without the API key; 422 bodies;
//  - DELETE .../playback-links/{link_id}: 204, idempotent, 404s;
//  - GET /recordings/{rid}/playback/{token}: 403 playback-link-invalid for a
//    forged, tampered, expired (signed here with the stack's key), unknown-kid,
//    other-recording, revoked or row-less token; an API key opens nothing.
// Recording rows and outputs are fixtures written with psql. Streaming is
// tested on an output sealed here in the controller's at-rest format
// (controller/storage/segment_crypto.hpp) under the stack's master key: 200,
// 206 for a Range, 416, the bytes back, an audit row per access with the
// bytes sent. The same against a real recording processed by the recording
// processor (controller/jobs/recording_*).
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { describe, test } from 'node:test';

import { assertFieldError, assertProblem, assertTimestamp } from './lib/checks.mjs';
import {
    ENV, UUID_RE, addParticipant, api, createSession, eventually, lit, psql, psqlValue, restartController, show, stack, transition,
} from './lib/stack.mjs';

const T = { timeout: 60000 };
const STORAGE = pathJoin(stack.dir, 'data');
const EBML = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

// ---------------------------------------------------------------- sealing
// The controller's at-rest format: header "TMFB" 1 0 0 0 | segment size u32 |
// 0 0 0 0; 64 KiB AES-256-GCM segments, nonce 0000 | index u64, AAD header |
// id (16 raw) | index u64 | last; the data key wrapped by the master key:
// nonce (12) | ciphertext (32) | tag (16), AAD "tmk1" | id.
const SEG = 65536;
const HEADER = Buffer.from([0x54, 0x4d, 0x46, 0x42, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
const rawId = (id) => Buffer.from(id.replace(/-/g, ''), 'hex');
function u64(n) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
}
function gcm(key, nonce, aad, plain) {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}
function seal(id, plain, dataKey) {
    const parts = [HEADER];
    const n = Math.max(1, Math.ceil(plain.length / SEG));
    for (let i = 0; i < n; ++i) {
        const last = i === n - 1;
        const nonce = Buffer.concat([Buffer.alloc(4), u64(i)]);
        const aad = Buffer.concat([HEADER, rawId(id), u64(i), Buffer.from([last ? 1 : 0])]);
        parts.push(gcm(dataKey, nonce, aad, plain.subarray(i * SEG, (i + 1) * SEG)));
    }
    return Buffer.concat(parts);
}
function wrap(id, dataKey) {
    const master = Buffer.from(readFileSync(pathJoin(stack.dir, 'secrets', 'storage-master-key'), 'utf8').trim(), 'hex');
    const nonce = randomBytes(12);
    return Buffer.concat([nonce, gcm(master, nonce, Buffer.concat([Buffer.from('tmk1'), rawId(id)]), dataKey)]);
}

// A WebM-looking plaintext: the EBML magic, then bytes over three segments.
function webm(size = 150000) {
    const b = randomBytes(size);
    EBML.copy(b, 0);
    return b;
}

// ---------------------------------------------------------------- fixtures

// A session (doctor, patient, an authorized viewer) with a recording row in
// `state` and a composite output (sealed into storage when `plain` is given).
async function fixture({ state = 'available', plain = null, viewers = undefined } = {}) {
    const body = { kind: 'consultation', recording_policy: 'optional', title: 'Playback Secret Title' };
    body.authorized_viewers = viewers ?? [`v-${randomUUID()}`];
    const s = await createSession(body);
    const doctor = (await addParticipant(s.id, { user_id: `d-${s.id}`, role: 'doctor', display_name: 'Dr Secret' })).participant;
    const patient = (await addParticipant(s.id, { user_id: `p-${s.id}`, role: 'patient', display_name: 'Pat Secret' })).participant;
    const rid = randomUUID();
    psql(`INSERT INTO recordings (id, session_id, state, stopped_at) VALUES (${lit(rid)}, ${lit(s.id)}, ${lit(state)}, now())`);
    const oid = randomUUID();
    const content = plain ?? Buffer.alloc(0);
    const dataKey = randomBytes(32);
    const wrapped = plain ? wrap(oid, dataKey) : randomBytes(60);
    if (plain) {
        mkdirSync(pathJoin(STORAGE, 'blobs', oid.slice(0, 2)), { recursive: true });
        writeFileSync(pathJoin(STORAGE, 'blobs', oid.slice(0, 2), oid), seal(oid, content, dataKey));
    }
    psql(`INSERT INTO recording_outputs (id, recording_id, kind, content_type, size, sha256, duration_ms, key_id, wrapped_key)
          VALUES (${lit(oid)}, ${lit(rid)}, 'composite', 'video/webm', ${plain ? content.length : 1000},
                  decode(${lit('00'.repeat(32))}, 'hex'), 5000, 'k1', decode(${lit(wrapped.toString('hex'))}, 'hex'))`);
    return { sid: s.id, session: s, doctor, patient, viewer: body.authorized_viewers[0], rid, oid, plain: content };
}

function addOutput(rid, pid, { shredded = false } = {}) {
    const oid = randomUUID();
    psql(`INSERT INTO recording_outputs (id, recording_id, kind, participant_id, content_type, size, sha256, duration_ms,
          key_id, wrapped_key, shredded_at) VALUES (${lit(oid)}, ${lit(rid)}, 'participant', ${lit(pid)}, 'video/webm', 10,
          decode(${lit('00'.repeat(32))}, 'hex'), 1000, 'k1',
          ${shredded ? 'NULL' : `decode(${lit(randomBytes(60).toString('hex'))}, 'hex')`}, ${shredded ? 'now()' : 'NULL'})`);
    return oid;
}

const issue = (rid, body, opts = {}) => api('POST', `/recordings/${rid}/playback-links`, { body, ...opts });
const revoke = (rid, lid, opts = {}) => api('DELETE', `/recordings/${rid}/playback-links/${lid}`, opts);

// GET of a playback URL (absolute) without the API key.
async function fetchLink(url, headers = {}) {
    const res = await fetch(url, { headers, redirect: 'manual' });
    const body = Buffer.from(await res.arrayBuffer());
    let json = null;
    if (/json/.test(res.headers.get('content-type') ?? '')) json = JSON.parse(body.toString('utf8'));
    return { status: res.status, headers: res.headers, body, json, text: body.toString('latin1').slice(0, 300) };
}
const play = (rid, token, headers) => fetchLink(`${ENV.TELEMED_URL}/recordings/${rid}/playback/${token}`, headers);

function auditRows(sid, action) {
    return psql(`SELECT actor, data::text FROM audit_log WHERE session_id = ${lit(sid)} AND action = ${lit(action)} ORDER BY id`)
        .map(([actor, data]) => ({ actor, data: JSON.parse(data) }));
}

// A token signed here, as common/playback_link.cpp does.
const b64u = (b) => Buffer.from(b).toString('base64url');
function sign({ kid = ENV.PLAYBACK_LINK_KID, secret = ENV.PLAYBACK_LINK_SECRET, lid, rid, exp }) {
    const payload = Buffer.concat([Buffer.from([kid.length]), Buffer.from(kid), rawId(lid), rawId(rid), u64(exp)]);
    const text = `tpl1.${b64u(payload)}`;
    return `${text}.${b64u(createHmac('sha256', secret).update(text).digest())}`;
}
const tokenOf = (link) => link.url.split('/playback/')[1];

// ---------------------------------------------------------------- tests

describe('authorized_viewers on POST /sessions', () => {
    test('stored, returned on create, read and list; deduplicated in order; [] by default', T, async () => {
        const s = await createSession({ kind: 'consultation', authorized_viewers: ['gp-1', 'family-2', 'gp-1'] });
        assert.deepEqual(s.authorized_viewers, ['gp-1', 'family-2']);
        const read = await api('GET', `/sessions/${s.id}`);
        assert.deepEqual(read.json.authorized_viewers, ['gp-1', 'family-2']);
        const list = await api('GET', '/sessions?limit=100');
        assert.deepEqual(list.json.items.find((x) => x.id === s.id)?.authorized_viewers, ['gp-1', 'family-2']);
        assert.deepEqual(psqlValue(`SELECT array_to_string(authorized_viewers, '|') FROM sessions WHERE id = ${lit(s.id)}`),
            'gp-1|family-2');
        const plain = await createSession({ kind: 'consultation' });
        assert.deepEqual(plain.authorized_viewers, []);
        const nul = await createSession({ kind: 'consultation', authorized_viewers: null });
        assert.deepEqual(nul.authorized_viewers, []);
    });

    test('bounds: at most 50, strings of 1..128 characters without control characters', T, async () => {
        const ok = await createSession({ kind: 'consultation', authorized_viewers: Array.from({ length: 50 }, (_, i) => `u${i}`) });
        assert.equal(ok.authorized_viewers.length, 50);
        const post = (v) => api('POST', '/sessions', { body: { kind: 'consultation', authorized_viewers: v } });
        assertFieldError(await post(Array.from({ length: 51 }, (_, i) => `u${i}`)), 'authorized_viewers');
        assertFieldError(await post('gp-1'), 'authorized_viewers');
        assertFieldError(await post([42]), 'authorized_viewers[0]');
        assertFieldError(await post(['ok', '']), 'authorized_viewers[1]');
        assertFieldError(await post(['x'.repeat(129)]), 'authorized_viewers[0]');
        assertFieldError(await post(['a\nb']), 'authorized_viewers[0]');
        assert.equal((await post(['é'.repeat(128)])).status, 201, '128 characters (not bytes)');
    });
});

describe('POST /recordings/{id}/playback-links', () => {
    test('201 for a participant: shape, url and page_url, expires_at within 15 minutes, row and audit row', T, async () => {
        const f = await fixture();
        const t0 = Date.now();
        const res = await issue(f.rid, { user_id: f.doctor.user_id });
        assert.equal(res.status, 201, show(res));
        const l = res.json;
        assert.deepEqual(Object.keys(l).sort(), ['expires_at', 'id', 'output_id', 'page_url', 'recording_id', 'url', 'user_id']);
        assert.match(l.id, UUID_RE);
        assert.equal(l.recording_id, f.rid);
        assert.equal(l.output_id, f.oid, 'the composite by default');
        assert.equal(l.user_id, f.doctor.user_id);
        assert.match(res.headers.get('cache-control') ?? '', /no-store/);
        assertTimestamp(l.expires_at);
        const exp = Date.parse(l.expires_at);
        assert.ok(exp > t0 && exp <= t0 + 15 * 60 * 1000 + 1000, `expires_at ${l.expires_at} within 15 min`);
        assert.equal(exp % 1000, 0, 'a whole second (the token carries seconds)');
        const token = tokenOf(l);
        assert.equal(l.url, `${ENV.TELEMED_URL}/recordings/${f.rid}/playback/${token}`);
        assert.match(token, /^tpl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
        assert.equal(l.page_url, `${ENV.TELEMED_URL}/app/playback.html#recording=${f.rid}&token=${token}`);
        // No personal data in the token: ids and a time only.
        const payload = Buffer.from(token.split('.')[1], 'base64url');
        for (const secret of [f.doctor.user_id, 'Dr Secret', 'Playback Secret Title'])
            assert.ok(!payload.includes(secret), 'token without personal data');
        assert.deepEqual(psql(`SELECT recording_id, output_id, user_id, revoked_at IS NULL,
                               expires_at <= issued_at + interval '15 minutes' FROM playback_links WHERE id = ${lit(l.id)}`),
        [[f.rid, f.oid, f.doctor.user_id, 't', 't']]);
        const audit = auditRows(f.sid, 'recording.playback_link');
        assert.equal(audit.length, 1);
        assert.equal(audit[0].actor, 'key0');
        assert.deepEqual(audit[0].data, { link_id: l.id, recording_id: f.rid, output_id: f.oid, user_id: f.doctor.user_id,
            expires_at: l.expires_at });
        const all = psqlValue(`SELECT string_agg(data::text, ' ') FROM audit_log WHERE session_id = ${lit(f.sid)}`);
        assert.ok(!all.includes('Secret'), 'audit rows without names');
    });

    test('viewers: participants (removed ones too) and authorized_viewers; anyone else 403', T, async () => {
        const f = await fixture({ state: 'incomplete' });
        assert.equal((await issue(f.rid, { user_id: f.patient.user_id })).status, 201, 'patient');
        assert.equal((await issue(f.rid, { user_id: f.viewer })).status, 201, 'authorized viewer');
        const del = await api('DELETE', `/sessions/${f.sid}/participants/${f.patient.id}`);
        assert.equal(del.status, 204, show(del));
        assert.equal((await issue(f.rid, { user_id: f.patient.user_id })).status, 201, 'removed participant');
        const stranger = await issue(f.rid, { user_id: `stranger-${randomUUID()}` });
        assertProblem(stranger, 403, 'viewer-not-authorized');
        // A participant of another session is a stranger here.
        const other = await fixture();
        assertProblem(await issue(f.rid, { user_id: other.doctor.user_id }), 403, 'viewer-not-authorized');
        assertProblem(await issue(f.rid, { user_id: other.viewer }), 403, 'viewer-not-authorized');
    });

    test('409 recording-not-available until available or incomplete', T, async () => {
        for (const state of ['stopped', 'processing', 'failed']) {
            const f = await fixture({ state });
            assertProblem(await issue(f.rid, { user_id: f.doctor.user_id }), 409, 'recording-not-available', state);
        }
    });

    test('output_id: one of this recording (201), another recording\'s or unknown (404), shredded (410)', T, async () => {
        const f = await fixture();
        const own = addOutput(f.rid, f.patient.id);
        const res = await issue(f.rid, { user_id: f.doctor.user_id, output_id: own.toUpperCase() });
        assert.equal(res.status, 201, show(res));
        assert.equal(res.json.output_id, own);
        const g = await fixture();
        assertProblem(await issue(f.rid, { user_id: f.doctor.user_id, output_id: g.oid }), 404, 'not-found', 'other recording');
        assertProblem(await issue(f.rid, { user_id: f.doctor.user_id, output_id: randomUUID() }), 404, 'not-found', 'unknown');
        const gone = addOutput(f.rid, f.doctor.id, { shredded: true });
        assertProblem(await issue(f.rid, { user_id: f.doctor.user_id, output_id: gone }), 410, 'recording-output-gone');
    });

    test('404 unknown recording, 401 without the API key, 422 bodies', T, async () => {
        assertProblem(await issue(randomUUID(), { user_id: 'u' }), 404, 'not-found');
        assertProblem(await issue('not-a-uuid', { user_id: 'u' }), 404, 'not-found');
        const f = await fixture();
        assertProblem(await issue(f.rid, { user_id: f.doctor.user_id }, { auth: false }), 401, 'unauthorized');
        const cred = await issue(f.rid, { user_id: f.doctor.user_id },
            { auth: false, headers: { authorization: `Bearer ${ENV.PLUGIN_SECRET}` } });
        assertProblem(cred, 401, 'unauthorized', 'plugin secret');
        assertFieldError(await issue(f.rid, {}), 'user_id');
        assertFieldError(await issue(f.rid, { user_id: '' }), 'user_id');
        assertFieldError(await issue(f.rid, { user_id: 'x'.repeat(129) }), 'user_id');
        assertFieldError(await issue(f.rid, { user_id: 7 }), 'user_id');
        assertFieldError(await issue(f.rid, { user_id: 'u', output_id: 'nope' }), 'output_id');
        assertFieldError(await issue(f.rid, { user_id: 'u', extra: 1 }), 'extra');
        assert.equal(psqlValue(`SELECT count(*) FROM playback_links WHERE recording_id = ${lit(f.rid)}`), '0');
    });
});

describe('DELETE /recordings/{id}/playback-links/{link_id}', () => {
    test('204, idempotent (one audit row), 404 for unknown links and other recordings, 401 without key', T, async () => {
        const f = await fixture();
        const l = (await issue(f.rid, { user_id: f.doctor.user_id })).json;
        assertProblem(await revoke(f.rid, l.id, { auth: false }), 401, 'unauthorized');
        const g = await fixture();
        assertProblem(await revoke(g.rid, l.id), 404, 'not-found', 'link of another recording');
        assertProblem(await revoke(f.rid, randomUUID()), 404, 'not-found');
        assertProblem(await revoke(f.rid, 'nope'), 404, 'not-found');
        assert.equal((await revoke(f.rid, l.id)).status, 204);
        assert.equal((await revoke(f.rid, l.id)).status, 204, 'again');
        assert.equal(psqlValue(`SELECT revoked_at IS NOT NULL FROM playback_links WHERE id = ${lit(l.id)}`), 't');
        const audit = auditRows(f.sid, 'recording.playback_link_revoked');
        assert.deepEqual(audit.map((a) => a.data), [{ link_id: l.id, recording_id: f.rid }]);
    });
});

describe('GET /recordings/{rid}/playback/{token}: refusals', () => {
    test('forged, tampered, expired, unknown kid, other recording, revoked, row-less: 403 playback-link-invalid', T, async () => {
        const f = await fixture();
        const l = (await issue(f.rid, { user_id: f.doctor.user_id })).json;
        const token = tokenOf(l);
        const exp = Math.floor(Date.parse(l.expires_at) / 1000);
        const invalid = async (rid, tok, what) => {
            const r = await play(rid, tok);
            assertProblem({ ...r, json: r.json }, 403, 'playback-link-invalid', what);
            if (tok.length >= 8) assert.ok(!r.text.includes(tok), 'the answer does not echo the token');
        };
        // Every character of the token changed in turn: refused (a sample of positions, all parts).
        for (const i of [0, 3, 5, 8, 20, 40, token.length - 44, token.length - 43, token.length - 10, token.length - 1]) {
            const x = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
            await invalid(f.rid, x, `tampered at ${i}`);
        }
        await invalid(f.rid, sign({ secret: 'forged-secret-0123456789abcdef0123456789', lid: l.id, rid: f.rid, exp }), 'forged');
        await invalid(f.rid, sign({ kid: 'pb9', lid: l.id, rid: f.rid, exp }), 'unknown kid');
        await invalid(f.rid, sign({ lid: l.id, rid: f.rid, exp: Math.floor(Date.now() / 1000) - 1 }), 'expired');
        await invalid(f.rid, sign({ lid: randomUUID(), rid: f.rid, exp }), 'no such link row');
        const g = await fixture();
        await invalid(g.rid, token, 'another recording in the path');
        await invalid(g.rid, sign({ lid: l.id, rid: g.rid, exp }), 'a link row of another recording');
        await invalid(f.rid, 'x', 'garbage');
        await invalid(f.rid, 'tpl1.' + 'A'.repeat(300), 'oversized');
        await invalid('not-a-uuid', token, 'bad recording id');
        // A token signed with the right key but whose row has expired: the row decides too.
        psql(`UPDATE playback_links SET issued_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes'
              WHERE id = ${lit(l.id)}`);
        await invalid(f.rid, sign({ lid: l.id, rid: f.rid, exp }), 'row expired');
        // Revoked.
        const l2 = (await issue(f.rid, { user_id: f.doctor.user_id })).json;
        assert.equal((await revoke(f.rid, l2.id)).status, 204);
        await invalid(f.rid, tokenOf(l2), 'revoked');
        const refusedAudit = auditRows(f.sid, 'recording.playback').filter((a) => a.data.link_id === l2.id);
        assert.equal(refusedAudit.length, 1, 'a refused access of an existing link is audited');
        assert.equal(refusedAudit[0].data.status, 403);
        assert.equal(refusedAudit[0].data.reason, 'revoked');
        assert.equal(refusedAudit[0].data.bytes, 0);
    });

    test('an API key is no access: not instead of a token, not beside a bad one', T, async () => {
        const f = await fixture();
        const auth = { authorization: `Bearer ${ENV.TELEMED_API_KEY}` };
        assertProblem(await play(f.rid, ENV.TELEMED_API_KEY, auth), 403, 'playback-link-invalid');
        assertProblem(await play(f.rid, 'none', auth), 403, 'playback-link-invalid');
        const l = (await issue(f.rid, { user_id: f.doctor.user_id })).json;
        assert.equal((await revoke(f.rid, l.id)).status, 204);
        assertProblem(await play(f.rid, tokenOf(l), auth), 403, 'playback-link-invalid', 'revoked with a key');
    });
});

describe('GET /recordings/{rid}/playback/{token}: streaming a sealed output', () => {
    test('200 whole, 206 ranges, 416, bytes back exactly, headers, one audit row per access with bytes', T, async () => {
        const f = await fixture({ plain: webm() });
        const l = (await issue(f.rid, { user_id: f.viewer })).json;
        const whole = await fetchLink(l.url);
        assert.equal(whole.status, 200, whole.text);
        assert.equal(whole.headers.get('content-type'), 'video/webm');
        assert.equal(whole.headers.get('accept-ranges'), 'bytes');
        assert.equal(whole.headers.get('cache-control'), 'private, no-store');
        assert.equal(whole.headers.get('etag'), `"${f.oid}"`);
        assert.equal(Number(whole.headers.get('content-length')), f.plain.length);
        assert.ok(whole.body.equals(f.plain), 'the bytes decrypt to the output');
        assert.ok(whole.body.subarray(0, 4).equals(EBML), 'EBML magic');
        // A range across a segment boundary, a suffix, an open end.
        const cases = [[65530, 65545], [-100], [140000]];
        for (const c of cases) {
            const spec = c.length === 1 ? (c[0] < 0 ? `bytes=${c[0]}` : `bytes=${c[0]}-`) : `bytes=${c[0]}-${c[1]}`;
            const first = c[0] < 0 ? f.plain.length + c[0] : c[0];
            const last = c.length === 2 ? c[1] : f.plain.length - 1;
            const r = await fetchLink(l.url, { range: spec });
            assert.equal(r.status, 206, `${spec}: ${r.text}`);
            assert.equal(r.headers.get('content-range'), `bytes ${first}-${last}/${f.plain.length}`);
            assert.ok(r.body.equals(f.plain.subarray(first, last + 1)), `${spec} bytes`);
        }
        const past = await fetchLink(l.url, { range: `bytes=${f.plain.length}-` });
        assertProblem(past, 416, 'range-not-satisfiable');
        assert.equal(past.headers.get('content-range'), `bytes */${f.plain.length}`);
        const audit = auditRows(f.sid, 'recording.playback').map((a) => ({ actor: a.actor, ...a.data }));
        assert.equal(audit.length, 5, 'one row per access');
        for (const a of audit) {
            assert.equal(a.actor, `playback-link:${l.id}`);
            assert.equal(a.link_id, l.id);
            assert.equal(a.output_id, f.oid);
            assert.equal(a.user_id, f.viewer);
        }
        assert.deepEqual(audit.map((a) => [a.status, a.range, a.bytes]), [
            [200, null, f.plain.length],
            [206, '65530-65545', 16],
            [206, `${f.plain.length - 100}-${f.plain.length - 1}`, 100],
            [206, `140000-${f.plain.length - 1}`, f.plain.length - 140000],
            [416, null, 0],
        ]);
        const chain = await api('GET', `/sessions/${f.sid}/audit?limit=100`);
        assert.equal(chain.json.chain.valid, true, 'the audit chain holds');
    });

    test('an output shredded after issue: 410; a tampered blob: 500 file-damaged, never other bytes', T, async () => {
        const f = await fixture({ plain: webm(5000) });
        const l = (await issue(f.rid, { user_id: f.doctor.user_id })).json;
        const p = pathJoin(STORAGE, 'blobs', f.oid.slice(0, 2), f.oid);
        const blob = readFileSync(p);
        blob[100] ^= 1;
        writeFileSync(p, blob);
        assertProblem(await fetchLink(l.url), 500, 'file-damaged');
        psql(`UPDATE recording_outputs SET wrapped_key = NULL, shredded_at = now() WHERE id = ${lit(f.oid)}`);
        assertProblem(await fetchLink(l.url), 410, 'recording-output-gone');
    });

    test('the playback page is served with a CSP that allows same-origin media', T, async () => {
        const r = await fetchLink(`${ENV.TELEMED_URL}/app/playback.html`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-security-policy') ?? '', /media-src 'self'/);
        assert.match(r.body.toString('utf8'), /<video id="pb-video"/);
        assert.equal((await fetchLink(`${ENV.TELEMED_URL}/app/playback.js`)).status, 200);
    });
});

// Needs the recording processor (controller/jobs/recording_*): a real
// recording through the plugin (two Chromium participants publishing real
// media, both consenting; REST start and stop), processed into outputs.
describe('retention of recordings (controller restarted with recording_retention_days=1)', () => {
    test('outputs of a recording processed longer ago are crypto-shredded and audited; a newer one is kept; its link answers 410', T, async () => {
        const old = await fixture({ plain: webm() });
        const fresh = await fixture({ plain: webm() });
        const link = (await issue(old.rid, { user_id: old.viewer })).json;
        assert.equal((await fetchLink(link.url)).status, 200);
        psql(`UPDATE recordings SET processed_at = now() - interval '2 days' WHERE id = ${lit(old.rid)}`);
        psql(`UPDATE recordings SET processed_at = now() - interval '1 hour' WHERE id = ${lit(fresh.rid)}`);
        const blob = pathJoin(STORAGE, 'blobs', old.oid.slice(0, 2), old.oid);
        assert.ok(existsSync(blob), 'the old output is on disk');
        try {
            await restartController('recording_retention_days=1,file_retention_sweep_interval_s=1');
            await eventually(() => psqlValue(`SELECT shredded_at IS NOT NULL AND wrapped_key IS NULL FROM recording_outputs
                                              WHERE id = ${lit(old.oid)}`) === 't',
            { timeout: 15000, what: 'the old output shredded' });
            const rows = auditRows(old.sid, 'recording.shredded');
            assert.equal(rows.length, 1, JSON.stringify(rows));
            assert.equal(rows[0].data.recording_id, old.rid);
            assert.equal(rows[0].data.count, 1);
            assert.equal(rows[0].data.retention_days, 1);
            await eventually(() => !existsSync(blob), { timeout: 5000, what: 'its blob removed' });
            assert.equal((await fetchLink(link.url)).status, 410, 'a link to it answers 410 gone');
            assert.equal(psqlValue(`SELECT wrapped_key IS NOT NULL FROM recording_outputs WHERE id = ${lit(fresh.oid)}`), 't',
                'a recording processed an hour ago is kept');
        } finally {
            await restartController(null);
        }
    });
});

describe('playback of a real processed recording', () => {
    test('a recording made through the plugin, once available, plays: 200 and 206, EBML, audit bytes', { timeout: 300000 }, async (t) => {
        const { withBrowser } = await import('../e2e/lib/browser.mjs');
        const { doctorAndPatient, sleep: pause } = await import('../e2e/lib/telemed.mjs');
        let sid;
        let rid;
        let doctorUser;
        await withBrowser(t, async (b) => {
            const s = await doctorAndPatient(b);
            sid = s.sid;
            doctorUser = s.people.doctor.userId;
            for (const peer of [s.doctor, s.patient]) {
                const c = await peer.call('request', { request: 'consent', recording: true });
                assert.ok(c.ok, `consent stored: ${JSON.stringify(c)}`);
            }
            const started = await api('POST', `/sessions/${sid}/recordings`);
            assert.equal(started.status, 201, show(started));
            rid = started.json.id;
            await pause(6000);
            const stopped = await api('POST', `/sessions/${sid}/recordings/stop`);
            assert.equal(stopped.status, 200, show(stopped));
        });
        const rec = await eventually(async () => {
            const r = await api('GET', `/recordings/${rid}`);
            return ['available', 'incomplete'].includes(r.json?.state) ? r.json : null;
        }, { timeout: 240000, interval: 1000, what: 'recording available' });
        assert.ok(rec);
        const l = (await issue(rid, { user_id: doctorUser })).json;
        const whole = await fetchLink(l.url);
        assert.equal(whole.status, 200, whole.text);
        assert.equal(whole.headers.get('content-type'), 'video/webm');
        assert.ok(whole.body.subarray(0, 4).equals(EBML), 'a WebM (EBML magic)');
        const part = await fetchLink(l.url, { range: 'bytes=0-1023' });
        assert.equal(part.status, 206);
        assert.ok(part.body.equals(whole.body.subarray(0, 1024)));
        const audit = auditRows(sid, 'recording.playback').map((a) => a.data);
        assert.deepEqual(audit.map((a) => [a.status, a.bytes]), [[200, whole.body.length], [206, 1024]]);
    });
});
