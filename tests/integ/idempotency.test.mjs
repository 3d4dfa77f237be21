// Idempotency-Key on POST /sessions: replays, concurrency, reuse with
// another body.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { assertProblem } from './lib/checks.mjs';
import { api, lit, psqlValue, show, uniq, within } from './lib/stack.mjs';

const T = { timeout: 30000 };

function rowsWithRef(ref) {
    return Number(psqlValue(`SELECT count(*) FROM sessions WHERE external_ref = ${lit(ref)}`));
}

describe('Idempotency-Key', () => {
    test('a replay returns the same status, body and Location, one row', T, async () => {
        const key = `key-${randomUUID()}`;
        const ref = uniq('idem');
        const body = { kind: 'consultation', title: 'once', external_ref: ref, metadata: { a: 1 } };
        const first = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(first.status, 201, show(first));
        assert.equal(first.headers.get('idempotent-replayed'), null, 'first answer is not a replay');
        const second = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(second.status, 201, show(second));
        assert.equal(second.headers.get('idempotent-replayed'), 'true', 'Idempotent-Replayed: true');
        assert.deepEqual(second.json, first.json, 'same body');
        assert.equal(second.headers.get('location'), first.headers.get('location'), 'same Location');
        assert.ok(second.headers.get('x-request-id'));
        assert.equal(rowsWithRef(ref), 1, 'one session row');

        // Equivalent JSON with other key order / whitespace is the same body.
        const reordered = `{ "metadata": {"a": 1}, "external_ref": ${JSON.stringify(ref)}, "title": "once", "kind": "consultation" }`;
        const third = await api('POST', '/sessions', { raw: reordered, headers: { 'idempotency-key': key } });
        if (third.status === 201) {
            assert.deepEqual(third.json, first.json, 'replay for an equivalent body');
        } else {
            assertProblem(third, 422, 'idempotency-key-reused', 'byte-different body');
        }
        assert.equal(rowsWithRef(ref), 1, 'still one row');
    });

    test('the key survives a later state change: the replay is the stored answer', T, async () => {
        const key = `key-${randomUUID()}`;
        const body = { kind: 'follow_up', external_ref: uniq('idem') };
        const first = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(first.status, 201, show(first));
        assert.equal((await api('POST', `/sessions/${first.json.id}/start`)).status, 200);
        const replay = await api('POST', '/sessions', { body, headers: { 'idempotency-key': key } });
        assert.equal(replay.status, 201, show(replay));
        assert.equal(replay.json.id, first.json.id, 'same session');
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    });

    test('concurrent requests with one key create one session', T, async () => {
        const key = `key-${randomUUID()}`;
        const ref = uniq('idem-conc');
        const body = { kind: 'emergency', external_ref: ref };
        const answers = await within(Promise.all(Array.from({ length: 5 },
            () => api('POST', '/sessions', { body, headers: { 'idempotency-key': key } }))), 20000, '5 concurrent POSTs');
        for (const a of answers) assert.equal(a.status, 201, show(a));
        for (const a of answers.slice(1)) assert.deepEqual(a.json, answers[0].json, 'identical bodies');
        assert.equal(new Set(answers.map((a) => a.headers.get('location'))).size, 1, 'one Location');
        const replays = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length;
        assert.equal(replays, 4, 'all but one are replays');
        assert.equal(rowsWithRef(ref), 1, 'one session row');
        const room = await api('GET', `/sessions/${answers[0].json.id}`);
        assert.equal(room.status, 200);
    });

    test('the same key with another body is refused', T, async () => {
        const key = `key-${randomUUID()}`;
        const ref = uniq('idem');
        const first = await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: ref }, headers: { 'idempotency-key': key } });
        assert.equal(first.status, 201, show(first));
        const other = await api('POST', '/sessions', {
            body: { kind: 'emergency', external_ref: ref }, headers: { 'idempotency-key': key },
        });
        assertProblem(other, 422, 'idempotency-key-reused', 'different body');
        assert.equal(rowsWithRef(ref), 1, 'nothing created by the refused request');
        // The original replay still works afterwards.
        const again = await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: ref }, headers: { 'idempotency-key': key } });
        assert.equal(again.status, 201, show(again));
        assert.equal(again.json.id, first.json.id);
    });

    test('different keys, or no key, create different sessions', T, async () => {
        const ref = uniq('idem');
        const body = { kind: 'consultation', external_ref: ref };
        const a = await api('POST', '/sessions', { body, headers: { 'idempotency-key': `a-${randomUUID()}` } });
        const b = await api('POST', '/sessions', { body, headers: { 'idempotency-key': `b-${randomUUID()}` } });
        const c = await api('POST', '/sessions', { body });
        const d = await api('POST', '/sessions', { body });
        for (const r of [a, b, c, d]) {
            assert.equal(r.status, 201, show(r));
            assert.equal(r.headers.get('idempotent-replayed'), null);
        }
        assert.equal(new Set([a, b, c, d].map((r) => r.json.id)).size, 4);
        assert.equal(rowsWithRef(ref), 4);
    });

    test('a failed request is not stored under its key', T, async () => {
        const key = `key-${randomUUID()}`;
        const bad = await api('POST', '/sessions', { body: { kind: 'nope' }, headers: { 'idempotency-key': key } });
        assert.equal(bad.status, 422, show(bad));
        const ref = uniq('idem');
        const good = await api('POST', '/sessions', { body: { kind: 'consultation', external_ref: ref }, headers: { 'idempotency-key': key } });
        // Either the validation failure was not remembered (201), or it was
        // remembered and the new body is a reuse (422): never a replayed 422
        // validation error dressed as success, never two rows.
        if (good.status === 201) {
            assert.equal(rowsWithRef(ref), 1);
        } else {
            assertProblem(good, 422, 'idempotency-key-reused', 'key of a failed request');
            assert.equal(rowsWithRef(ref), 0);
        }
    });

    test('key format: 1..255 printable ASCII', T, async () => {
        const ok = await api('POST', '/sessions', {
            body: { kind: 'consultation' }, headers: { 'idempotency-key': `${'k'.repeat(250)}~ !z#` },
        });
        assert.equal(ok.status, 201, `255 printable chars accepted: ${show(ok)}`);
        const ref = uniq('idem');
        const long = await api('POST', '/sessions', {
            body: { kind: 'consultation', external_ref: ref }, headers: { 'idempotency-key': 'k'.repeat(256) },
        });
        assertProblem(long, 422, 'validation-error', '256-char key');
        assert.equal(rowsWithRef(ref), 0, 'nothing created with an invalid key');
        const latin = await api('POST', '/sessions', {
            body: { kind: 'consultation', external_ref: ref }, headers: { 'idempotency-key': Buffer.from('k\u00e9y', 'latin1').toString('latin1') },
        });
        assertProblem(latin, 422, 'validation-error', 'non-ASCII key');
        assert.equal(rowsWithRef(ref), 0);
    });
});
