// Hostile input: SQL fragments stored verbatim, control characters, huge
// values, invalid UTF-8, NUL, deep nesting. The controller must answer
// 4xx, keep serving, and keep its tables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertFieldError, assertProblem } from './lib/checks.mjs';
import { ENV, api, createSession, healthy, psqlValue, show, uniq } from './lib/stack.mjs';

const T = { timeout: 60000 };

const SQL = [
    "'; DROP TABLE sessions; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "Robert'); DROP TABLE participants;--",
    '$1; SELECT pg_sleep(10); --',
    '\\x27; TRUNCATE audit_log; --',
    "E'\\\\' OR true --",
];

async function assertAlive(what) {
    assert.ok(await healthy(), `controller still healthy after ${what}`);
}

function tablesIntact() {
    for (const t of ['sessions', 'participants', 'audit_log', 'outbox']) {
        assert.ok(psqlValue(`SELECT to_regclass('public.${t}') IS NOT NULL`) === 't', `table ${t} still exists`);
    }
}

describe('SQL injection', () => {
    test('fragments in every text field are stored verbatim', T, async () => {
        const before = Number(psqlValue('SELECT count(*) FROM sessions'));
        for (const frag of SQL) {
            const ref = `${frag} ${uniq('r')}`;
            const metadata = { [frag]: frag, q: [frag, { nested: frag }], n: 1 };
            const created = await api('POST', '/sessions', {
                body: { kind: 'consultation', title: frag, external_ref: ref, metadata },
            });
            assert.equal(created.status, 201, show(created));
            const sid = created.json.id;
            assert.equal(created.json.title, frag);
            assert.equal(created.json.external_ref, ref);
            assert.deepEqual(created.json.metadata, metadata);

            const userId = `${frag}-${uniq('u')}`;
            const add = await api('POST', `/sessions/${sid}/participants`,
                { body: { user_id: userId, role: 'patient', display_name: frag } });
            assert.equal(add.status, 201, show(add));
            assert.equal(add.json.participant.user_id, userId);
            assert.equal(add.json.participant.display_name, frag);

            const got = await api('GET', `/sessions/${sid}`);
            assert.equal(got.status, 200, show(got));
            assert.equal(got.json.title, frag, 'title read back identically');
            assert.equal(got.json.external_ref, ref);
            assert.deepEqual(got.json.metadata, metadata, 'metadata read back identically');
            assert.equal(got.json.participants[0].user_id, userId);
            assert.equal(got.json.participants[0].display_name, frag);

            // The user_id filter binds the value too: exactly this session.
            const list = await api('GET', `/sessions?${new URLSearchParams({ user_id: userId })}`);
            assert.equal(list.status, 200, show(list));
            assert.deepEqual(list.json.items.map((i) => i.id), [sid], 'user_id filter matches exactly');

            // Removal by a hostile user_id removes exactly that participant.
            const del = await api('DELETE', `/sessions/${sid}/participants`, { body: { user_id: userId } });
            assert.equal(del.status, 204, show(del));
            tablesIntact();
        }
        const after = Number(psqlValue('SELECT count(*) FROM sessions'));
        assert.ok(after >= before + SQL.length, 'sessions table kept its rows');
        // A hostile filter value matches nothing instead of everything.
        const none = await api('GET', `/sessions?${new URLSearchParams({ user_id: "' OR '1'='1" })}`);
        assert.equal(none.status, 200, show(none));
        assert.deepEqual(none.json.items, [], 'no participant has that user_id');
        await assertAlive('SQL fragments');
    });

    test('Unicode is stored verbatim', T, async () => {
        const texts = ['Zoë Ødegård', '患者 王', 'مريض', '👩‍⚕️ doctor 🩺', 'e\u0301 combining', '\u202Eright-to-left override'];
        for (const t of texts) {
            const s = await api('POST', '/sessions', { body: { kind: 'consultation', title: t, metadata: { t } } });
            if (t.startsWith('\u202E')) {
                // U+202E is a format character, not a control character: either accepted verbatim or refused.
                if (s.status !== 201) {
                    assertFieldError(s, 'title', 'RLO');
                    continue;
                }
            }
            assert.equal(s.status, 201, `${JSON.stringify(t)}: ${show(s)}`);
            const got = await api('GET', `/sessions/${s.json.id}`);
            assert.equal(got.json.title, t);
            assert.deepEqual(got.json.metadata, { t });
        }
    });
});

describe('control characters and NUL', () => {
    test('control characters in text fields are refused', T, async () => {
        const s = await createSession();
        for (const ch of ['\u0001', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b']) {
            const label = `U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
            assertFieldError(await api('POST', '/sessions', { body: { kind: 'consultation', title: `a${ch}b` } }), 'title', `title ${label}`);
            assertFieldError(await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: `r${ch}` } }),
                'external_ref', `external_ref ${label}`);
            assertFieldError(await api('POST', `/sessions/${s.id}/participants`,
                { body: { user_id: `u${ch}1`, role: 'patient' } }), 'user_id', `user_id ${label}`);
            assertFieldError(await api('POST', `/sessions/${s.id}/participants`,
                { body: { user_id: uniq('u'), role: 'patient', display_name: `d${ch}` } }), 'display_name', `display_name ${label}`);
        }
        assert.equal((await api('GET', `/sessions/${s.id}`)).json.participants.length, 0, 'nothing stored');
        await assertAlive('control characters');
    });

    test('NUL is refused, escaped or raw', T, async () => {
        const escaped = await api('POST', '/sessions', { raw: '{"kind":"consultation","title":"a\\u0000b"}' });
        assert.ok([400, 422].includes(escaped.status), show(escaped));
        assertProblem(escaped, escaped.status, escaped.status === 400 ? 'malformed-json' : 'validation-error', '\\u0000');
        const inMeta = await api('POST', '/sessions', { raw: '{"kind":"consultation","metadata":{"k":"a\\u0000b"}}' });
        assert.ok([400, 422].includes(inMeta.status), `NUL inside metadata: ${show(inMeta)}`);
        const inKey = await api('POST', '/sessions', { raw: '{"kind":"consultation","metadata":{"a\\u0000":"b"}}' });
        assert.ok([400, 422].includes(inKey.status), `NUL inside a metadata key: ${show(inKey)}`);
        const raw = await api('POST', '/sessions', { raw: Buffer.from('{"kind":"consultation","title":"a\u0000b"}', 'utf8') });
        assertProblem(raw, 400, 'malformed-json', 'raw NUL byte');
        await assertAlive('NUL');
    });

    test('invalid UTF-8 is malformed JSON', T, async () => {
        const bodies = [
            Buffer.concat([Buffer.from('{"kind":"consultation","title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
            Buffer.concat([Buffer.from('{"kind":"consultation","title":"'), Buffer.from([0xc3]), Buffer.from('"}')]),
            Buffer.concat([Buffer.from('{"kind":"consultation","title":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
            Buffer.concat([Buffer.from('{"kind":"consultation","title":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
        ];
        for (const b of bodies) assertProblem(await api('POST', '/sessions', { raw: b }), 400, 'malformed-json', b.toString('hex'));
        // A lone surrogate escape is not valid Unicode either.
        const lone = await api('POST', '/sessions', { raw: '{"kind":"consultation","title":"\\ud800"}' });
        assert.ok([400, 422].includes(lone.status), `lone surrogate: ${show(lone)}`);
        await assertAlive('invalid UTF-8');
    });
});

describe('size and depth', () => {
    test('a 1 MB value is refused with 413', T, async () => {
        const r = await api('POST', '/sessions', { body: { kind: 'consultation', title: 'x'.repeat(1024 * 1024) } });
        assertProblem(r, 413, 'payload-too-large', '1 MB title');
        const s = await createSession();
        const p = await api('POST', `/sessions/${s.id}/participants`, { body: { user_id: 'x'.repeat(1024 * 1024), role: 'patient' } });
        assertProblem(p, 413, 'payload-too-large', '1 MB user_id');
        await assertAlive('1 MB bodies');
    });

    test('a 1 MB body without Content-Length (chunked) is refused', T, async () => {
        const chunk = Buffer.from(' '.repeat(64 * 1024));
        async function* gen() {
            yield Buffer.from('{"kind":"consultation","title":"');
            for (let i = 0; i < 16; i++) yield chunk;
            yield Buffer.from('"}');
        }
        let status;
        try {
            const res = await fetch(`${ENV.TELEMED_URL}/sessions`, {
                method: 'POST',
                headers: { authorization: `Bearer ${ENV.TELEMED_API_KEY}`, 'content-type': 'application/json' },
                body: gen(),
                duplex: 'half',
                signal: AbortSignal.timeout(15000),
            });
            status = res.status;
            await res.arrayBuffer().catch(() => {});
        } catch (e) {
            // The server may close the connection once the limit is crossed.
            status = `closed: ${e.cause?.code ?? e.message}`;
        }
        assert.ok(status === 413 || String(status).startsWith('closed'), `chunked 1 MB body: ${status}`);
        await assertAlive('chunked body');
    });

    test('long URLs and many query parameters are refused promptly', T, async () => {
        // A 4xx answer, or the server closing the connection, within 5 s. A
        // request left hanging ties up a connection (and the client).
        const attempt = (path, auth = true) => api('GET', path, { timeout: 5000, auth }).then((r) => r.status, (e) =>
            (e.name === 'TimeoutError' ? 'no answer within 5 s' : `closed: ${e.cause?.code ?? e.message}`));
        const ok = (r) => (r >= 400 && r < 500) || String(r).startsWith('closed');
        const r = await attempt(`/sessions?user_id=${'a'.repeat(20000)}`);
        assert.ok(ok(r), `long query: ${r}`);
        const many = await attempt(`/sessions?${Array.from({ length: 500 }, (_, i) => `status=s${i}`).join('&')}`);
        assert.ok(ok(many), `500 query parameters: ${many}`);
        const manyOpen = await attempt(`/healthz?${Array.from({ length: 500 }, (_, i) => `k${i}=1`).join('&')}`, false);
        assert.ok(ok(manyOpen) || manyOpen === 200, `500 query parameters on /healthz: ${manyOpen}`);
        await assertAlive('long URLs');
    });

    test('deeply nested JSON', T, async () => {
        for (const depth of [5000, 40000]) {
            const nested = '['.repeat(depth) + ']'.repeat(depth);
            const r = await api('POST', '/sessions', { raw: `{"kind":"consultation","metadata":{"a":${nested}}}` });
            assert.ok([400, 413, 422].includes(r.status), `depth ${depth}: ${show(r)}`);
            assertProblem(r, r.status, null, `depth ${depth}`);
            if (depth > 30000) assert.equal(r.status, 413, 'over 64 KiB');
            await assertAlive(`nesting depth ${depth}`);
        }
        const objs = '{"a":'.repeat(3000) + '1' + '}'.repeat(3000);
        const r = await api('POST', '/sessions', { raw: `{"kind":"consultation","metadata":${objs}}` });
        assert.ok([400, 413, 422].includes(r.status), `nested objects: ${show(r)}`);
        await assertAlive('nested objects');
        // Moderate nesting within 4096 bytes is ordinary metadata.
        const ok = await api('POST', '/sessions', { body: { kind: 'consultation', metadata: { a: JSON.parse('['.repeat(30) + ']'.repeat(30)) } } });
        assert.equal(ok.status, 201, show(ok));
    });

    test('duplicate keys and huge numbers do not confuse the parser', T, async () => {
        const dup = await api('POST', '/sessions', { raw: '{"kind":"consultation","kind":"surgery"}' });
        assert.ok([400, 422].includes(dup.status) || (dup.status === 201 && ['consultation', 'surgery'].includes(dup.json.kind)),
            show(dup));
        if (dup.status === 201) assert.equal(dup.json.kind, 'consultation', 'an accepted body cannot smuggle an invalid kind');
        const big = await api('POST', '/sessions', { raw: `{"kind":"consultation","metadata":{"n":1${'0'.repeat(400)}}}` });
        assert.ok([201, 400, 422].includes(big.status), show(big));
        await assertAlive('odd JSON');
    });

    test('slow and concurrent abuse does not stop the service', T, async () => {
        const junk = Array.from({ length: 40 }, (_, i) => api('POST', '/sessions', { raw: i % 2 ? '{"kind":' : '[[[[' }));
        const res = await Promise.all(junk);
        assert.ok(res.every((r) => r.status === 400 || r.status === 422));
        await assertAlive('40 concurrent bad requests');
        tablesIntact();
    });
});
