// GET /sessions/<id>/audit: the session's hash-chained audit rows, paginated,
// with a check of the whole chain. The chain is then broken by hand (as the
// Postgres superuser, bypassing the append-only triggers) and the endpoint
// must name exactly the tampered row.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import { assertFieldError, assertProblem, assertStandardHeaders, assertTimestamp } from './lib/checks.mjs';
import { ENV, addParticipant, api, createSession, lit, psql, show, transition, uniq } from './lib/stack.mjs';

const T = { timeout: 60000 };
const HEX64 = /^[0-9a-f]{64}$/;

// psql as the superuser `postgres` over the stack's socket (stack.env
// PSQL_SUPER): the only role that may bypass the triggers.
function psqlSuper(sql) {
    assert.ok(ENV.PSQL_SUPER, 'stack.env has PSQL_SUPER');
    const r = spawnSync('sh', ['-c', `${ENV.PSQL_SUPER} -X -q -v ON_ERROR_STOP=1 -A -t`], {
        input: sql, encoding: 'utf8', timeout: 15000, cwd: '/',
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`psql (superuser) failed: ${r.stderr.trim()}`);
    return r.stdout;
}

// The stored rows of a session, in chain order: [{id, prev, hash}].
function storedRows(sid) {
    return psql(`SELECT id, encode(prev_hash, 'hex'), encode(hash, 'hex') FROM audit_log
                 WHERE session_id = ${lit(sid)} ORDER BY id`).map(([id, prev, hash]) => ({ id: Number(id), prev, hash }));
}

// Every page of the audit list with `limit` (undefined = default); checks
// each page's shape and chain report. Returns the items in order.
async function allPages(sid, limit) {
    const items = [];
    const chains = [];
    let cursor = null;
    for (let pages = 0; ; pages++) {
        assert.ok(pages < 100, 'pagination ends');
        const q = new URLSearchParams();
        if (limit !== undefined) q.set('limit', String(limit));
        if (cursor !== null) q.set('cursor', cursor);
        const res = await api('GET', `/sessions/${sid}/audit${q.size ? `?${q}` : ''}`);
        assert.equal(res.status, 200, show(res));
        assertStandardHeaders(res, 'audit page');
        assert.ok(Array.isArray(res.json.items), 'items[]');
        if (limit !== undefined) assert.ok(res.json.items.length <= limit, 'page within limit');
        assert.ok(res.json.next_cursor === null || typeof res.json.next_cursor === 'string', 'next_cursor');
        items.push(...res.json.items);
        chains.push(res.json.chain);
        cursor = res.json.next_cursor;
        if (cursor === null) break;
        assert.equal(res.json.items.length, limit ?? 20, 'only the last page is short');
    }
    return { items, chains };
}

function assertEntry(e, sid) {
    assert.equal(typeof e.id, 'number', 'id is a number');
    assertTimestamp(e.created_at, 'created_at');
    assert.match(e.actor, /^[A-Za-z0-9_.:-]{1,64}$/, 'actor');
    assert.match(e.action, /^[a-z][a-z_.]{0,63}$/, 'action');
    assert.ok(e.data && typeof e.data === 'object' && !Array.isArray(e.data), 'data is an object');
    assert.match(e.prev_hash, HEX64, 'prev_hash is hex');
    assert.match(e.hash, HEX64, 'hash is hex');
    assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'created_at', 'data', 'hash', 'id', 'prev_hash'],
        `entry members (${sid})`);
}

// A session with a few audited changes: create, add 3, patch, remove, start.
async function busySession() {
    const s = await createSession({ kind: 'emergency' });
    const ps = [];
    for (const role of ['doctor', 'patient', 'paramedic']) {
        ps.push((await addParticipant(s.id, { user_id: uniq('u'), role })).participant);
    }
    let r = await api('PATCH', `/sessions/${s.id}/participants/${ps[1].id}`, { body: { permissions: { chat: false } } });
    assert.equal(r.status, 200, show(r));
    r = await api('DELETE', `/sessions/${s.id}/participants/${ps[2].id}`);
    assert.equal(r.status, 204, show(r));
    await transition(s.id, 'start');
    return s;
}

describe('GET /sessions/<id>/audit', () => {
    test('a normal session: every row once, in order, and the chain verifies', T, async () => {
        const s = await busySession();
        const rows = storedRows(s.id);
        assert.ok(rows.length >= 6, `several audit rows (${rows.length})`);
        for (const limit of [1, 2, 5, undefined, 100]) {
            const { items, chains } = await allPages(s.id, limit);
            assert.deepEqual(items.map((e) => e.id), rows.map((r) => r.id), `limit ${limit}: every row exactly once, in order`);
            for (const c of chains) {
                assert.deepEqual(c, { valid: true, checked: rows.length, first_broken: null },
                    `limit ${limit}: the whole chain is checked on every page`);
            }
            items.forEach((e, i) => {
                assertEntry(e, s.id);
                assert.equal(e.prev_hash, rows[i].prev, 'prev_hash as stored');
                assert.equal(e.hash, rows[i].hash, 'hash as stored');
                assert.equal(e.prev_hash, i === 0 ? '0'.repeat(64) : items[i - 1].hash, 'linked to the previous row');
            });
        }
        const { items } = await allPages(s.id);
        assert.equal(items[0].action, 'session.created', 'first row: the creation');
        assert.equal(items[0].actor, 'key0', 'actor: the API key id, never the key');
        assert.ok(!JSON.stringify(items).includes(ENV.TELEMED_API_KEY), 'no key in the audit');
        // created_at carries the microseconds that the hash covers.
        const micros = psql(`SELECT (extract(epoch FROM created_at) * 1000000)::int8 FROM audit_log
                             WHERE id = ${items[0].id}`)[0][0];
        const [, frac = ''] = /\.(\d+)Z$/.exec(items[0].created_at) ?? [];
        assert.equal(Number(micros) % 1000000, Number(frac.padEnd(6, '0')), 'created_at to the microsecond');
    });

    test('an empty page past the end, errors and authentication', T, async () => {
        const s = await createSession();
        const one = await api('GET', `/sessions/${s.id}/audit`);
        assert.equal(one.status, 200, show(one));
        assert.equal(one.json.items.length, 1, 'the creation row');
        assert.equal(one.json.next_cursor, null);
        assert.deepEqual(one.json.chain, { valid: true, checked: 1, first_broken: null });

        assertProblem(await api('GET', `/sessions/${randomUUID()}/audit`), 404, 'not-found', 'unknown session');
        assertProblem(await api('GET', '/sessions/not-a-uuid/audit'), 404, 'not-found', 'non-UUID id');
        assertProblem(await api('GET', `/sessions/${s.id}/audit`, { auth: false }), 401, 'unauthorized', 'no key');
        assertFieldError(await api('GET', `/sessions/${s.id}/audit?cursor=bm9wZQ`), 'cursor', 'foreign cursor');
        assertFieldError(await api('GET', `/sessions/${s.id}/audit?limit=0`), 'limit', 'limit 0');
        assertFieldError(await api('GET', `/sessions/${s.id}/audit?limit=101`), 'limit', 'limit 101');
        assertFieldError(await api('GET', `/sessions/${s.id}/audit?status=active`), 'status', 'not a filter here');
    });

    test('a row changed behind the triggers is reported as the first broken link', T, async () => {
        const s = await busySession();
        const other = await busySession();
        const rows = storedRows(s.id);
        const mid = Math.floor(rows.length / 2);
        const victim = rows[mid].id;
        // The triggers refuse this to the application role...
        assert.throws(() => psql(`UPDATE audit_log SET data = data || '{"tampered":true}' WHERE id = ${victim}`),
            /append-only|permission|refused/i, 'UPDATE refused by the trigger');
        // ...but a superuser can switch them off for one transaction.
        psqlSuper(`BEGIN;
                   SET LOCAL session_replication_role = replica;
                   UPDATE audit_log SET data = data || '{"tampered":true}' WHERE id = ${victim};
                   COMMIT;`);
        assert.equal(psql(`SELECT data->>'tampered' FROM audit_log WHERE id = ${victim}`)[0][0], 'true', 'tampered');

        const { items, chains } = await allPages(s.id, 2);
        assert.deepEqual(items.map((e) => e.id), rows.map((r) => r.id), 'every row still listed');
        for (const c of chains) {
            assert.deepEqual(c, { valid: false, checked: mid + 1, first_broken: victim },
                'the tampered row is the first broken link, on every page');
        }
        assert.deepEqual(items[mid].data.tampered, true, 'the tampered data is shown as stored');
        // audit_verify() (001, now built on the same check) names it too.
        assert.equal(Number(psql(`SELECT audit_verify(${lit(s.id)})`)[0][0]), victim, 'audit_verify agrees');
        // Another session's chain is independent.
        const o = await api('GET', `/sessions/${other.id}/audit?limit=1`);
        assert.deepEqual(o.json.chain, { valid: true, checked: storedRows(other.id).length, first_broken: null });

        // Re-hashing the tampered row moves the break to the next link.
        psqlSuper(`BEGIN;
                   SET LOCAL session_replication_role = replica;
                   UPDATE audit_log SET hash = sha256(prev_hash || convert_to(audit_canonical(id, session_id, actor,
                          action, created_at, data), 'UTF8')) WHERE id = ${victim};
                   COMMIT;`);
        const again = await api('GET', `/sessions/${s.id}/audit?limit=1`);
        assert.deepEqual(again.json.chain, { valid: false, checked: mid + 2, first_broken: rows[mid + 1].id },
            'a re-hashed row breaks the link to its successor');
    });
});
