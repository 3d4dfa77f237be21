// Error answers of the REST API: status, problem type, problem+json, and
// errors[] naming each invalid field.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { assertFieldError, assertProblem } from './lib/checks.mjs';
import { ENV, PERMISSIONS, addParticipant, api, createSession, eventually, show, transition, uniq } from './lib/stack.mjs';

const T = { timeout: 30000 };

describe('authentication', () => {
    const cases = [
        ['missing key', {}, false],
        ['wrong key', { authorization: `Bearer ${ENV.TELEMED_API_KEY}x` }, false],
        ['key prefix', { authorization: `Bearer ${ENV.TELEMED_API_KEY.slice(0, -1)}` }, false],
        ['wrong scheme', { authorization: `Basic ${Buffer.from(`x:${ENV.TELEMED_API_KEY}`).toString('base64')}` }, false],
        ['scheme only', { authorization: 'Bearer' }, false],
        ['empty key', { authorization: 'Bearer ' }, false],
    ];
    for (const [name, headers] of cases) {
        test(`401 on ${name}`, T, async () => {
            for (const [method, path, body] of [
                ['GET', '/sessions'],
                ['POST', '/sessions', { kind: 'consultation' }],
                ['GET', `/sessions/${randomUUID()}`],
                ['POST', `/sessions/${randomUUID()}/start`],
                ['DELETE', `/sessions/${randomUUID()}/participants/${randomUUID()}`],
            ]) {
                const r = await api(method, path, { body, headers, auth: false });
                assertProblem(r, 401, 'unauthorized', `${method} ${path}`);
                assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer\b/i, 'WWW-Authenticate: Bearer');
            }
        });
    }

    test('no session is created without a valid key', T, async () => {
        const ext = uniq('unauth');
        const r = await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: ext }, auth: false });
        assert.equal(r.status, 401);
        const list = await api('GET', '/sessions?limit=100');
        assert.ok(!list.json.items.some((s) => s.external_ref === ext));
    });

    test('the scheme name is case-insensitive', T, async () => {
        const r = await api('GET', '/sessions?limit=1', { headers: { authorization: `bearer ${ENV.TELEMED_API_KEY}` }, auth: false });
        assert.equal(r.status, 200, show(r));
    });

    test('operational endpoints need no key', T, async () => {
        // /readyz may briefly be 503 right after another test restarted a dependency.
        await eventually(async () => (await api('GET', '/readyz', { auth: false })).status === 200,
            { timeout: 15000, what: '/readyz 200' });
        for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
            const r = await api('GET', path, { auth: false });
            assert.equal(r.status, 200, `${path}: ${show(r)}`);
            assert.ok(r.headers.get('x-request-id'), `${path} X-Request-Id`);
        }
        const m = await api('GET', '/metrics', { auth: false });
        assert.match(m.headers.get('content-type') ?? '', /^text\/plain/);
        const ready = await api('GET', '/readyz', { auth: false });
        assert.deepEqual(ready.json, { status: 'ready', checks: { postgres: 'ok', redis: 'ok', janus: 'ok', rooms: 'ok' } });
    });

    test('X-Request-Id differs per request', T, async () => {
        const a = await api('GET', '/healthz', { auth: false });
        const b = await api('GET', '/healthz', { auth: false });
        assert.ok(a.headers.get('x-request-id'));
        assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
    });
});

describe('404 / 405', () => {
    test('unknown and malformed ids', T, async () => {
        const s = await createSession();
        for (const path of [
            `/sessions/${randomUUID()}`,
            '/sessions/not-a-uuid',
            '/sessions/00000000-0000-0000-0000-00000000000g',
            `/sessions/${randomUUID().toUpperCase()}x`,
            '/sessions/%27%20OR%201%3D1',
        ]) {
            assertProblem(await api('GET', path), 404, 'not-found', `GET ${path}`);
        }
        assertProblem(await api('POST', `/sessions/${randomUUID()}/start`), 404, 'not-found', 'start unknown');
        assertProblem(await api('POST', `/sessions/${randomUUID()}/end`), 404, 'not-found', 'end unknown');
        assertProblem(await api('POST', `/sessions/${randomUUID()}/cancel`), 404, 'not-found', 'cancel unknown');
        assertProblem(await api('POST', `/sessions/${randomUUID()}/participants`, { body: { user_id: 'u', role: 'patient' } }),
            404, 'not-found', 'add to unknown session');
        assertProblem(await api('PATCH', `/sessions/${s.id}/participants/${randomUUID()}`, { body: { role: 'observer' } }),
            404, 'not-found', 'patch unknown participant');
        assertProblem(await api('PATCH', `/sessions/${s.id}/participants/nope`, { body: { role: 'observer' } }),
            404, 'not-found', 'patch non-uuid participant');
        assertProblem(await api('DELETE', `/sessions/${s.id}/participants/${randomUUID()}`), 404, 'not-found',
            'delete unknown participant');
        assertProblem(await api('DELETE', `/sessions/${s.id}/participants`, { body: { participant_id: randomUUID() } }),
            404, 'not-found', 'delete unknown participant_id');
        assertProblem(await api('DELETE', `/sessions/${s.id}/participants`, { body: { user_id: uniq('nobody') } }),
            404, 'not-found', 'delete unknown user_id');
        assertProblem(await api('GET', '/nope'), 404, 'not-found', 'unknown path');
    });

    test('a mistyped path names the closest routes', T, async () => {
        const id = randomUUID();
        for (const [method, path, want] of [
            ['GET', '/session', '/sessions (POST, GET)'],
            ['POST', `/sessions/${id}/participant`, '/sessions/{id}/participants (POST, DELETE)'],
            ['GET', `/sessions/${id}/audits`, '/sessions/{id}/audit (GET)'],
            ['GET', '/healthz/', '/healthz (GET)'],
        ]) {
            const r = await api(method, path, method === 'POST' ? { body: {} } : {});
            assertProblem(r, 404, 'not-found', `${method} ${path}`);
            assert.ok(r.json.detail.includes(`Did you mean ${want}`), `${method} ${path}: ${r.json.detail}`);
        }
        // Nothing close: the plain detail. The path itself is never echoed.
        const far = await api('GET', '/wp-admin/setup-config.php');
        assertProblem(far, 404, 'not-found', 'far path');
        assert.equal(far.json.detail, 'No resource at this path.');
        // Without a key too (the routes are public in /openapi.json anyway).
        const anon = await api('GET', '/session', { auth: false });
        assertProblem(anon, 404, 'not-found', 'anonymous typo');
        assert.match(anon.json.detail, /Did you mean \/sessions /);
    });

    test('a participant of another session is not found', T, async () => {
        const a = await createSession();
        const b = await createSession();
        const p = (await addParticipant(a.id, { user_id: uniq('u'), role: 'patient' })).participant;
        assertProblem(await api('PATCH', `/sessions/${b.id}/participants/${p.id}`, { body: { role: 'observer' } }),
            404, 'not-found', 'cross-session PATCH');
        assertProblem(await api('DELETE', `/sessions/${b.id}/participants/${p.id}`), 404, 'not-found', 'cross-session DELETE');
        assert.equal((await api('GET', `/sessions/${a.id}`)).json.participants.length, 1, 'untouched');
    });

    test('405 with Allow', T, async () => {
        const id = randomUUID();
        for (const [method, path, allow] of [
            ['PUT', '/sessions', ['GET', 'POST']],
            ['DELETE', '/sessions', ['GET', 'POST']],
            ['DELETE', `/sessions/${id}`, ['GET']],
            ['GET', `/sessions/${id}/start`, ['POST']],
            ['GET', `/sessions/${id}/end`, ['POST']],
            ['PUT', `/sessions/${id}/participants`, ['POST', 'DELETE']],
            ['GET', `/sessions/${id}/participants/${randomUUID()}`, ['PATCH', 'DELETE']],
        ]) {
            const r = await api(method, path);
            assertProblem(r, 405, 'method-not-allowed', `${method} ${path}`);
            const got = (r.headers.get('allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean);
            for (const m of allow) assert.ok(got.includes(m), `Allow lists ${m} for ${path} (got ${got})`);
        }
        const h = await api('POST', '/healthz', { auth: false });
        assertProblem(h, 405, 'method-not-allowed', 'POST /healthz');
    });
});

describe('409', () => {
    test('state conflicts', T, async () => {
        const s = await createSession();
        const p = (await addParticipant(s.id, { user_id: uniq('u'), role: 'patient' })).participant;
        await transition(s.id, 'start');
        assertProblem(await api('POST', `/sessions/${s.id}/cancel`), 409, 'invalid-state-transition', 'cancel active');
        assert.equal((await api('DELETE', `/sessions/${s.id}/participants/${p.id}`)).status, 204);
        assertProblem(await api('PATCH', `/sessions/${s.id}/participants/${p.id}`, { body: { role: 'doctor' } }),
            409, 'participant-removed', 'PATCH removed');
        await transition(s.id, 'end');
        assertProblem(await api('POST', `/sessions/${s.id}/participants`, { body: { user_id: uniq('u'), role: 'patient' } }),
            409, 'session-closed', 'add to ended');
        assertProblem(await api('POST', `/sessions/${s.id}/start`), 409, 'invalid-state-transition', 'start ended');
    });
});

describe('body gate', () => {
    test('413 above 64 KiB', T, async () => {
        const body = JSON.stringify({ kind: 'consultation', metadata: { pad: 'x'.repeat(70 * 1024) } });
        assertProblem(await api('POST', '/sessions', { raw: body }), 413, 'payload-too-large', '70 KiB');
        const s = await createSession();
        assertProblem(await api('POST', `/sessions/${s.id}/participants`,
            { raw: JSON.stringify({ user_id: 'u', role: 'patient', display_name: 'y'.repeat(70 * 1024) }) }),
        413, 'payload-too-large', 'participants 70 KiB');
    });

    test('415 unless application/json', T, async () => {
        const body = JSON.stringify({ kind: 'consultation' });
        for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x']) {
            assertProblem(await api('POST', '/sessions', { raw: body, headers: { 'content-type': ct } }),
                415, 'unsupported-media-type', ct);
        }
        const ok = await api('POST', '/sessions', { raw: body, headers: { 'content-type': 'application/json; charset=utf-8' } });
        assert.equal(ok.status, 201, `charset parameter accepted: ${show(ok)}`);
        const s = ok.json;
        assertProblem(await api('PATCH', `/sessions/${s.id}/participants/${randomUUID()}`,
            { raw: '{"role":"doctor"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type', 'PATCH');
    });

    test('400 on malformed JSON', T, async () => {
        for (const raw of ['{"kind":', '{kind: "consultation"}', "{'kind':'consultation'}", '{"kind":"consultation"}}',
            '', 'null x', '{"kind":"consultation",}']) {
            assertProblem(await api('POST', '/sessions', { raw }), 400, 'malformed-json', JSON.stringify(raw));
        }
    });

    test('422 when the body is an array; 400 for a top-level scalar', T, async () => {
        for (const raw of ['[]', '[{"kind":"consultation"}]']) {
            assertProblem(await api('POST', '/sessions', { raw }), 422, 'validation-error', raw);
        }
        // Decision (common/json.cpp): the top level must be an object or an
        // array, so a bare scalar does not parse.
        for (const raw of ['"consultation"', '42', 'null', 'true']) {
            assertProblem(await api('POST', '/sessions', { raw }), 400, 'malformed-json', raw);
        }
    });
});

describe('422 field errors', () => {
    test('create session', T, async () => {
        const long = (n) => 'a'.repeat(n);
        const bad = [
            [{}, 'kind'],
            [{ kind: 'surgery' }, 'kind'],
            [{ kind: 7 }, 'kind'],
            [{ kind: null }, 'kind'],
            [{ kind: 'consultation', title: long(201) }, 'title'],
            [{ kind: 'consultation', title: 'é'.repeat(201) }, 'title'],
            [{ kind: 'consultation', title: '' }, 'title'],
            [{ kind: 'consultation', title: '   ' }, 'title'],
            [{ kind: 'consultation', title: 12 }, 'title'],
            [{ kind: 'consultation', scheduled_at: 'tomorrow' }, 'scheduled_at'],
            [{ kind: 'consultation', scheduled_at: '2030-13-01T00:00:00Z' }, 'scheduled_at'],
            [{ kind: 'consultation', scheduled_at: 1893456000 }, 'scheduled_at'],
            [{ kind: 'consultation', recording_policy: 'always' }, 'recording_policy'],
            [{ kind: 'consultation', external_ref: long(257) }, 'external_ref'],
            [{ kind: 'consultation', external_ref: ['a'] }, 'external_ref'],
            [{ kind: 'consultation', metadata: [1, 2] }, 'metadata'],
            [{ kind: 'consultation', metadata: 'x' }, 'metadata'],
            [{ kind: 'consultation', metadata: { pad: long(4100) } }, 'metadata'],
            [{ kind: 'consultation', surprise: 1 }, 'surprise'],
        ];
        for (const [body, field] of bad) {
            assertFieldError(await api('POST', '/sessions', { body }), field, JSON.stringify(body).slice(0, 80));
        }
        // A metadata number that Postgres would return as an integer beyond
        // int64 (1e20 -> 100000000000000000000) is refused, not a 500.
        assertFieldError(await api('POST', '/sessions', { raw: '{"kind":"consultation","metadata":{"n":1e20}}' }),
                         'metadata', 'metadata 1e20');
        const big = await api('POST', '/sessions', { raw: '{"kind":"consultation","metadata":{"n":9.2e18,"f":1.5}}' });
        assert.equal(big.status, 201, show(big));
        const back = await api('GET', `/sessions/${big.json.id}`);
        assert.equal(back.status, 200, show(back));
        assert.equal(back.json.metadata.f, 1.5);
        assert.equal(back.json.metadata.n, 9.2e18);
        // Metadata numbers come back in one canonical form (docs/API.md):
        // integers exactly (beyond 2^53 too), other numbers as the shortest
        // decimal that reads back as the same 64-bit float. Checked on the
        // raw text: JSON.parse would hide both 0.10000000000000001 and a lost
        // integer digit.
        const canon = [
            ['0.1', '0.1'], ['1E2', '100'], ['100.0', '100'], ['-0.3', '-0.3'], ['1.5e-10', '1.5e-10'],
            ['123456789.123', '123456789.123'], ['9007199254740993', '9007199254740993'],
            ['-9223372036854775808', '-9223372036854775808'], ['0.30000000000000004', '0.30000000000000004'],
        ];
        const rawMeta = '{' + canon.map(([sent], i) => `"k${i}":${sent}`).join(',') + '}';
        const made = await api('POST', '/sessions', { raw: `{"kind":"consultation","metadata":${rawMeta}}` });
        assert.equal(made.status, 201, show(made));
        for (const res of [made, await api('GET', `/sessions/${made.json.id}`)]) {
            assert.equal(res.status, 200 + (res === made ? 1 : 0), show(res));
            const m = res.text.match(/"metadata":(\{[^}]*\})/);
            assert.ok(m, `metadata in ${res.text.slice(0, 200)}`);
            const want = '{' + canon.map(([, back], i) => `"k${i}":${back}`).join(',') + '}';
            assert.equal(m[1], want, 'metadata numbers in canonical form');
        }
        // Valid JSON holding an integer beyond int64 (or a number beyond a
        // double) is refused with 422, not 400 malformed-json.
        for (const n of ['18446744073709551616', '-9223372036854775809', '1e400']) {
            const r = await api('POST', '/sessions', { raw: `{"kind":"consultation","metadata":{"n":${n}}}` });
            assertProblem(r, 422, 'validation-error', `metadata ${n}`);
            assert.match(r.json.errors[0].message, /out of range/, show(r));
        }
        // Several bad fields: all named.
        const multi = await api('POST', '/sessions', { body: { kind: 'x', title: '', recording_policy: 'y' } });
        for (const f of ['kind', 'title', 'recording_policy']) assertFieldError(multi, f, 'multi');
        // Boundaries accepted.
        const ok = await api('POST', '/sessions', {
            body: {
                kind: 'emergency', title: 'é'.repeat(200), external_ref: long(256), scheduled_at: '2030-01-01T10:00:00+02:00',
                metadata: { pad: long(4000) }, recording_policy: 'required',
            },
        });
        assert.equal(ok.status, 201, show(ok));
        assert.equal(ok.json.title, 'é'.repeat(200), 'length counted in code points');
        assert.equal(Date.parse(ok.json.scheduled_at), Date.parse('2030-01-01T08:00:00Z'), 'offset normalised');
        assert.match(ok.json.scheduled_at, /Z$/, 'UTC');
        const nulls = await api('POST', '/sessions', { body: { kind: 'consultation', title: null, metadata: null, external_ref: null } });
        assert.equal(nulls.status, 201, show(nulls));
        assert.deepEqual([nulls.json.title, nulls.json.external_ref, nulls.json.metadata], [null, null, {}]);
        assert.equal(nulls.json.recording_policy, 'optional', 'default recording policy');
    });

    test('metadata limit is 4096 bytes of compact JSON', T, async () => {
        // {"p":"<n x>"} is n + 8 bytes.
        const at = await api('POST', '/sessions', { body: { kind: 'consultation', metadata: { p: 'x'.repeat(4096 - 8) } } });
        assert.equal(at.status, 201, `exactly 4096 bytes: ${show(at)}`);
        assertFieldError(await api('POST', '/sessions', { body: { kind: 'consultation', metadata: { p: 'x'.repeat(4096 - 7) } } }),
            'metadata', '4097 bytes');
    });

    test('add participant', T, async () => {
        const s = await createSession();
        const path = `/sessions/${s.id}/participants`;
        const bad = [
            [{ role: 'patient' }, 'user_id'],
            [{ user_id: '', role: 'patient' }, 'user_id'],
            [{ user_id: 'u'.repeat(129), role: 'patient' }, 'user_id'],
            [{ user_id: 5, role: 'patient' }, 'user_id'],
            [{ user_id: 'u1', role: 'nurse' }, 'role'],
            [{ user_id: 'u1' }, 'role'],
            [{ user_id: 'u1', role: 'patient', display_name: 'd'.repeat(101) }, 'display_name'],
            [{ user_id: 'u1', role: 'patient', display_name: '' }, 'display_name'],
            [{ user_id: 'u1', role: 'patient', permissions: ['fly'] }, /^permissions/],
            [{ user_id: 'u1', role: 'patient', permissions: { fly: true } }, /^permissions/],
            [{ user_id: 'u1', role: 'patient', permissions: { record: 'yes' } }, /^permissions/],
            [{ user_id: 'u1', role: 'patient', permissions: 'all' }, 'permissions'],
            [{ user_id: 'u1', role: 'patient', permissions: [1] }, /^permissions/],
            [{ user_id: 'u1', role: 'patient', colour: 'red' }, 'colour'],
        ];
        for (const [body, field] of bad) {
            assertFieldError(await api('POST', path, { body }), field, JSON.stringify(body).slice(0, 80));
        }
        const okMax = await api('POST', path, { body: { user_id: 'u'.repeat(128), role: 'patient', display_name: 'ñ'.repeat(100) } });
        assert.equal(okMax.status, 201, show(okMax));
        assert.equal((await api('GET', `/sessions/${s.id}`)).json.participants.length, 1, 'only the valid one stored');
    });

    test('patch and delete participant', T, async () => {
        const s = await createSession();
        const p = (await addParticipant(s.id, { user_id: uniq('u'), role: 'patient' })).participant;
        const path = `/sessions/${s.id}/participants/${p.id}`;
        assertProblem(await api('PATCH', path, { body: {} }), 422, 'validation-error', 'empty PATCH');
        assertFieldError(await api('PATCH', path, { body: { role: 'king' } }), 'role', 'bad role');
        const badPerm = await api('PATCH', path, { body: { permissions: ['teleport'] } });
        assertFieldError(badPerm, /^permissions/, 'bad perm');
        // The field error lists the valid names (and never echoes the bad one).
        const msg = badPerm.json.errors.find((e) => e.field === 'permissions[0]')?.message ?? '';
        for (const name of PERMISSIONS) assert.ok(msg.includes(name), `"${msg}" names ${name}`);
        assert.ok(!msg.includes('teleport'), 'the unknown name is not echoed');
        const badKey = await api('POST', `/sessions/${s.id}/participants`,
            { body: { user_id: uniq('u'), role: 'patient', permissions: { publish_vidoe: true } } });
        assertFieldError(badKey, 'permissions.publish_vidoe', 'misspelled override');
        assert.match(badKey.json.errors[0].message, /must be one of publish_audio, publish_video, /);
        assertFieldError(await api('PATCH', path, { body: { user_id: 'other' } }), 'user_id', 'user_id immutable');
        assert.deepEqual((await api('GET', `/sessions/${s.id}`)).json.participants[0].permissions, p.permissions, 'unchanged');

        const del = `/sessions/${s.id}/participants`;
        assertProblem(await api('DELETE', del, { body: {} }), 422, 'validation-error', 'neither id');
        assertProblem(await api('DELETE', del, { body: { participant_id: p.id, user_id: p.user_id } }), 422,
            'validation-error', 'both ids');
        assertFieldError(await api('DELETE', del, { body: { participant_id: 'not-a-uuid' } }), 'participant_id', 'bad uuid');
        assert.equal((await api('GET', `/sessions/${s.id}`)).json.participants.length, 1, 'nobody removed');
    });

    test('list query parameters', T, async () => {
        for (const [q, field] of [
            ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'],
            ['limit=1.5', 'limit'], ['status=bogus', 'status'], ['cursor=garbage!', 'cursor'],
            ['cursor=bm90LWEtY3Vyc29y', 'cursor'], [`user_id=${'u'.repeat(129)}`, 'user_id'],
        ]) {
            assertFieldError(await api('GET', `/sessions?${q}`), field, q);
        }
    });
});
