// Group commit of POST /sessions (issue 17; controller/db/group_commit.hpp,
// db::create_sessions_recorded): creations without an Idempotency-Key that
// arrive while one is being written share the next statement. Whatever the
// grouping, every request must get exactly its own session, with its own
// audit row (a chain of its own) and outbox event, and one request's bad row
// must not fail the others of its statement.
//
// Grouping depends on timing, so the tests send rounds of concurrent
// creations until the metrics show what they test (at most 10 rounds; in
// practice the first), and check every request of every round.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertSession } from './lib/checks.mjs';
import { api, lit, metric, psql, psqlValue, show, uniq } from './lib/stack.mjs';

const T = { timeout: 120000 };
const CONCURRENT = 16;
const MAX_ROUNDS = 10;

// A distinct creation request: every field that travels in the statement.
function request(i, tag) {
    return {
        kind: ['consultation', 'emergency', 'follow_up'][i % 3],
        title: `${tag} #${i} "quoted" \\ back`,
        scheduled_at: new Date(Date.UTC(2027, 0, 1 + i, 9, 30)).toISOString().replace('.000Z', 'Z'),
        recording_policy: ['disabled', 'optional', 'required'][i % 3],
        external_ref: `${tag}-ref-${i}`,
        metadata: { n: i, nested: { tag, list: [i, 'x'] } },
        authorized_viewers: [`viewer-${i}-b`, `viewer-${i}-a`],
    };
}

// The stored records of a created session: its audit rows and outbox rows.
function records(sid) {
    const audit = psql(`SELECT action, encode(prev_hash, 'hex'), data->>'kind' FROM audit_log
                        WHERE session_id = ${lit(sid)} ORDER BY id`);
    const outbox = psql(`SELECT topic, payload->>'session_id', payload->>'event_id' = event_id::text,
                                payload ? 'occurred_at' FROM outbox WHERE session_id = ${lit(sid)}`);
    return { audit, outbox };
}

function checkCreated(res, req) {
    assert.equal(res.status, 201, show(res));
    const s = res.json;
    assertSession(s, {
        kind: req.kind, status: 'scheduled', title: req.title, scheduled_at: req.scheduled_at,
        recording_policy: req.recording_policy, external_ref: req.external_ref, metadata: req.metadata,
        authorized_viewers: req.authorized_viewers, participants: [],
    });
    assert.ok(res.headers.get('location').endsWith(`/sessions/${s.id}`), 'Location names the new session');
    const { audit, outbox } = records(s.id);
    assert.deepEqual(audit, [['session.created', '0'.repeat(64), req.kind]],
        'one audit row, the start of its own chain');
    assert.deepEqual(outbox, [['session.scheduled', s.id, 't', 't']], 'one outbox event about this session');
    return s;
}

describe('POST /sessions: group commit', () => {
    test('concurrent creations share statements, and each gets exactly its own session and records', T, async () => {
        const rows0 = await metric('telemed_session_create_rows_total');
        const stmts0 = await metric('telemed_session_create_statements_total');
        let sent = 0;
        let shared = false;
        const ids = new Set();
        for (let round = 0; round < MAX_ROUNDS && !shared; round++) {
            const tag = uniq('batch');
            const reqs = Array.from({ length: CONCURRENT }, (_, i) => request(i, tag));
            const res = await Promise.all(reqs.map((body) => api('POST', '/sessions', { body })));
            sent += CONCURRENT;
            for (let i = 0; i < CONCURRENT; i++) {
                const s = checkCreated(res[i], reqs[i]);
                assert.ok(!ids.has(s.id), 'a new id for every request');
                ids.add(s.id);
                const got = await api('GET', `/sessions/${s.id}`);
                assert.equal(got.status, 200, show(got));
                assert.deepEqual({ ...got.json, participants: [] }, s, 'GET shows what POST answered');
                const chain = await api('GET', `/sessions/${s.id}/audit`);
                assert.equal(chain.status, 200, show(chain));
                assert.deepEqual(chain.json.chain, { valid: true, checked: 1, first_broken: null });
            }
            const rows = (await metric('telemed_session_create_rows_total')) - rows0;
            const stmts = (await metric('telemed_session_create_statements_total')) - stmts0;
            assert.equal(rows, sent, 'every creation went through the group');
            shared = stmts < rows;
        }
        assert.ok(shared, `${MAX_ROUNDS} rounds of ${CONCURRENT} concurrent creations never shared a statement`);
    });

    test('a row the database refuses fails only its own request; the others of its statement are created', T, async () => {
        // A constraint only this test's rows can violate, standing for a
        // row-level error that validation does not catch.
        const constraint = `test_poison_${process.pid}`;
        psql(`ALTER TABLE sessions ADD CONSTRAINT ${constraint} CHECK (title NOT LIKE 'poison-%') NOT VALID`);
        try {
            const alone0 = await metric('telemed_session_create_alone_total');
            let sentBack = false;
            for (let round = 0; round < MAX_ROUNDS && !sentBack; round++) {
                const reqs = Array.from({ length: CONCURRENT }, (_, i) => request(i, uniq('batch')));
                const bad = 5;
                reqs[bad].title = `${uniq('poison')} refused`;
                assert.ok(reqs[bad].title.startsWith('poison-'));
                const res = await Promise.all(reqs.map((body) => api('POST', '/sessions', { body })));
                for (let i = 0; i < CONCURRENT; i++) {
                    if (i === bad) {
                        assert.equal(res[i].status, 500, show(res[i]));
                        assert.equal(res[i].headers.get('content-type'), 'application/problem+json');
                    } else {
                        checkCreated(res[i], reqs[i]);
                    }
                }
                assert.equal(psqlValue(`SELECT count(*) FROM sessions WHERE title = ${lit(reqs[bad].title)}`), '0',
                    'the refused row is not stored');
                sentBack = (await metric('telemed_session_create_alone_total')) > alone0;
            }
            assert.ok(sentBack, `in ${MAX_ROUNDS} rounds the refused row never shared a statement with others`);
        } finally {
            psql(`ALTER TABLE sessions DROP CONSTRAINT ${constraint}`);
        }
    });
});
