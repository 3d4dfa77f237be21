// Patient Service / Doctor Service (docs/INTEGRATIONS.md,
// controller/clients/directory.hpp, the status updates in
// controller/jobs/webhook_dispatcher.hpp). Fake services written here
// (node:http on 127.0.0.1, random ports): a "patient" server and a "doctor"
// server, each speaking both profiles (/json/... and /fhir/...). The
// controller is restarted with directory_* settings, first the json
// profile, then fhir (with a webhook receiver too); after() restores the
// stack's own configuration.
//   json: known patient -> 201, display_name from the service when the
//         request has none, the request's own otherwise; bearer token sent;
//         observers not checked; unknown id -> 422 field error on user_id
//         and no row; patient service closed -> 503 (Retry-After) and no
//         row; slower than directory_timeout_ms -> 503, never cached; 5xx ->
//         503; ids percent-encoded; cache: a second add of the same id (and
//         of the same unknown id) within directory_cache_s does not reach
//         the service, after it does; status updates on start/end/cancel of
//         sessions with an external_ref, in order, none without one.
//   fhir: Patient/Practitioner reads (Accept application/fhir+json, name
//         from name[0], active:false and 404 unknown, non-FHIR ids refused
//         without a request); Encounter PATCH (JSON Patch) on start and end;
//         a 500 then success: retried, the end not sent before the start got
//         its 2xx; dead after webhook_max_attempts, visible in GET /outbox,
//         redelivered; webhooks still get every event meanwhile.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
    api, createSession, eventually, lit, problemType, psql, psqlValue, restartController, show, sleep, transition,
    uniq,
} from './lib/stack.mjs';

const TOKEN = `dir-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

// ---------------------------------------------------------------- fakes

// One fake service. people: id -> {name?, fhirName?, active?}; every request
// is logged; slowMs delays lookups; failStatus answers lookups with it;
// statusFails answers that many status updates with 500 (then 200);
// alwaysFail: refs whose status updates always get 500.
function fakeService(label) {
    const svc = {
        label, server: null, port: 0, people: new Map(), log: [], slowMs: 0, failStatus: 0, statusFails: 0,
        alwaysFail: new Set(), hooks: [],
    };
    svc.handle = (req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', async () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const entry = { method: req.method, url: req.url, headers: req.headers, body, status: 0, t: Date.now() };
            svc.log.push(entry);
            const reply = (status, obj, ctype = 'application/json') => {
                entry.status = status;
                if (res.destroyed) return;
                res.writeHead(status, { 'content-type': ctype });
                res.end(obj === undefined ? '' : JSON.stringify(obj));
            };
            if (req.url === '/hook') return reply(200, { ok: true });
            let m = req.url.match(/^\/json\/(patients|practitioners)\/([^/?#]+)$/);
            if (m && req.method === 'GET') {
                if (svc.slowMs) await sleep(svc.slowMs);
                if (svc.failStatus) return reply(svc.failStatus, { error: 'x' });
                const id = decodeURIComponent(m[2]);
                const p = svc.people.get(id);
                if (!p) return reply(404, { error: 'not found' });
                const out = { id };
                if (p.name !== undefined) out.display_name = p.name;
                if (p.active !== undefined) out.active = p.active;
                return reply(200, out);
            }
            m = req.url.match(/^\/fhir\/(Patient|Practitioner)\/([^/?#]+)$/);
            if (m && req.method === 'GET') {
                if (svc.failStatus) return reply(svc.failStatus, { resourceType: 'OperationOutcome' });
                const p = svc.people.get(m[2]);
                if (!p || p.type !== m[1]) return reply(404, { resourceType: 'OperationOutcome' }, 'application/fhir+json');
                const out = { resourceType: m[1], id: m[2] };
                if (p.fhirName) out.name = p.fhirName;
                if (p.active !== undefined) out.active = p.active;
                return reply(200, out, 'application/fhir+json');
            }
            const isStatus = /^\/json\/appointments\/[^/]+\/status$/.test(req.url) ||
                /^\/fhir\/Encounter\/[^/]+$/.test(req.url);
            if (isStatus) {
                const ref = decodeURIComponent(req.url.split('/')[3]);
                if (svc.alwaysFail.has(ref)) return reply(500, { error: 'down' });
                if (svc.statusFails > 0) {
                    svc.statusFails -= 1;
                    return reply(500, { error: 'try again' });
                }
                return reply(req.method === 'PATCH' ? 200 : 204);
            }
            return reply(400, { error: 'unexpected request' });
        });
    };
    svc.start = async (port = 0) => {
        svc.server = createServer(svc.handle);
        await new Promise((r) => svc.server.listen(port, '127.0.0.1', r));
        svc.port = svc.server.address().port;
    };
    svc.stop = async () => {
        const s = svc.server;
        svc.server = null;
        if (!s) return;
        s.closeAllConnections?.();
        await new Promise((r) => s.close(r));
    };
    svc.lookups = (path) => svc.log.filter((e) => e.method === 'GET' && e.url === path).length;
    return svc;
}

const patients = fakeService('patients');
const doctors = fakeService('doctors');

function jsonSettings(extra = []) {
    return ['directory_profile=json', `patient_service_url=http://127.0.0.1:${patients.port}/json/`,
        `doctor_service_url=http://127.0.0.1:${doctors.port}/json`, 'directory_timeout_ms=500',
        'directory_cache_s=3', `directory_bearer_token=${TOKEN}`, 'webhook_retry_base_ms=50',
        'webhook_retry_max_s=1', 'webhook_timeout_ms=1000', 'webhook_lease_s=5', ...extra].join(';');
}

function fhirSettings() {
    // One FHIR server for both (doctors), as hospitals usually have.
    return ['directory_profile=fhir', `patient_service_url=http://127.0.0.1:${doctors.port}/fhir`,
        `doctor_service_url=http://127.0.0.1:${doctors.port}/fhir`, 'directory_timeout_ms=1000',
        'directory_cache_s=0', 'webhook_retry_base_ms=50', 'webhook_retry_max_s=1', 'webhook_timeout_ms=1000',
        'webhook_lease_s=5', 'webhook_max_attempts=3', `webhook_urls=http://127.0.0.1:${doctors.port}/hook`,
        `webhook_secret=${WEBHOOK_SECRET}`].join(';');
}

// ---------------------------------------------------------------- helpers

function add(sid, fields) {
    return api('POST', `/sessions/${sid}/participants`, { body: fields });
}

async function participantsOf(sid) {
    const r = await api('GET', `/sessions/${sid}`);
    assert.equal(r.status, 200, show(r));
    return r.json.participants;
}

function rowsFor(sid, userId) {
    return Number(psqlValue(`SELECT count(*) FROM participants WHERE session_id = ${lit(sid)}
                             AND user_id = ${lit(userId)}`));
}

function assertUnknown(r) {
    assert.equal(r.status, 422, show(r));
    assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
    assert.equal(r.json.type, problemType('validation-error'));
    assert.equal(r.json.errors.length, 1);
    assert.equal(r.json.errors[0].field, 'user_id');
    assert.match(r.json.errors[0].message, /not a known (patient|practitioner)/);
}

function assertUnavailable(r) {
    assert.equal(r.status, 503, show(r));
    assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
    assert.equal(r.json.type, problemType('directory-unavailable'));
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
}

// Status updates the fake received for `ref`, in arrival order: [{status|value, code, body}].
function statusUpdates(svc, pathPrefix) {
    return svc.log.filter((e) => e.url.startsWith(pathPrefix) && e.method !== 'GET');
}

// ---------------------------------------------------------------- lifecycle

before(async () => {
    await patients.start();
    await doctors.start();
    // Events of earlier tests on this stack are not this file's business.
    psql('UPDATE outbox SET fanned_out_at = now() WHERE fanned_out_at IS NULL');
    await restartController(jsonSettings());
});

after(async () => {
    await restartController(null);
    await patients.stop();
    await doctors.stop();
});

describe('directory: json profile', { timeout: 120000 }, () => {
    beforeEach(() => {
        patients.slowMs = 0;
        patients.failStatus = 0;
        doctors.statusFails = 0;
    });

    test('known patient -> 201, display name from the service; bearer token; request name wins', async () => {
        const s = await createSession();
        const pid = uniq('pat');
        patients.people.set(pid, { name: 'Ada Lovelace' });
        const r = await add(s.id, { user_id: pid, role: 'patient' });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.participant.display_name, 'Ada Lovelace');
        const seen = patients.log.filter((e) => e.url === `/json/patients/${pid}`);
        assert.equal(seen.length, 1);
        assert.equal(seen[0].headers.authorization, `Bearer ${TOKEN}`);
        assert.match(seen[0].headers.accept, /application\/json/);
        const parts = await participantsOf(s.id);
        assert.equal(parts.find((p) => p.user_id === pid).display_name, 'Ada Lovelace');

        // A doctor with a name in the request: checked with the doctor service, the request's name kept.
        const did = uniq('doc');
        doctors.people.set(did, { name: 'Service Name' });
        const d = await add(s.id, { user_id: did, role: 'doctor', display_name: 'Dr. Request' });
        assert.equal(d.status, 201, show(d));
        assert.equal(d.json.participant.display_name, 'Dr. Request');
        assert.equal(doctors.lookups(`/json/practitioners/${did}`), 1);
        assert.equal(patients.lookups(`/json/patients/${did}`), 0);
        // Paramedics are checked with the doctor service too.
        const mid = uniq('med');
        doctors.people.set(mid, {});
        const m = await add(s.id, { user_id: mid, role: 'paramedic' });
        assert.equal(m.status, 201, show(m));
        assert.equal(m.json.participant.display_name, null);
        assert.equal(doctors.lookups(`/json/practitioners/${mid}`), 1);
    });

    test('unknown id -> 422 on user_id, nothing stored; observers are not checked', async () => {
        const s = await createSession();
        const ghost = uniq('ghost');
        const r = await add(s.id, { user_id: ghost, role: 'patient', display_name: 'Nobody' });
        assertUnknown(r);
        assert.equal(patients.lookups(`/json/patients/${ghost}`), 1);
        assert.ok(!(await participantsOf(s.id)).some((p) => p.user_id === ghost));
        assert.equal(rowsFor(s.id, ghost), 0);
        assert.equal(psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(s.id)}
                                AND topic = 'participant.added'`), '0');
        // An inactive practitioner is unknown too.
        const retired = uniq('retired');
        doctors.people.set(retired, { name: 'Old', active: false });
        assertUnknown(await add(s.id, { user_id: retired, role: 'doctor' }));
        assert.equal(rowsFor(s.id, retired), 0);
        // An observer unknown everywhere is added without asking anyone.
        const obs = uniq('obs');
        // (Lookups only: status updates of other tests' sessions may arrive meanwhile.)
        const lookups = () => [...patients.log, ...doctors.log].filter((e) => e.method === 'GET').length;
        const before = lookups();
        const o = await add(s.id, { user_id: obs, role: 'observer' });
        assert.equal(o.status, 201, show(o));
        assert.equal(lookups(), before);
    });

    test('ids are percent-encoded: no path or query injection', async () => {
        const s = await createSession();
        const odd = `../x?y=1#z ${uniq('')}`;
        patients.people.set(odd, { name: 'Odd Id' });
        const r = await add(s.id, { user_id: odd, role: 'patient' });
        assert.equal(r.status, 201, show(r));
        const enc = encodeURIComponent(odd).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
        assert.equal(patients.lookups(`/json/patients/${enc}`), 1, JSON.stringify(patients.log.slice(-2).map((e) => e.url)));
    });

    test('patient service closed -> 503 with Retry-After, nothing stored; back -> 201', async () => {
        const s = await createSession();
        const pid = uniq('pat');
        patients.people.set(pid, { name: 'Closed Case' });
        const port = patients.port;
        await patients.stop();
        try {
            const r = await add(s.id, { user_id: pid, role: 'patient' });
            assertUnavailable(r);
            assert.equal(rowsFor(s.id, pid), 0);
            assert.ok(!(await participantsOf(s.id)).some((p) => p.user_id === pid));
            // The doctor service is independent: doctors can still be added.
            const did = uniq('doc');
            doctors.people.set(did, {});
            assert.equal((await add(s.id, { user_id: did, role: 'doctor' })).status, 201);
        } finally {
            await patients.start(port);
        }
        const ok = await add(s.id, { user_id: pid, role: 'patient' });
        assert.equal(ok.status, 201, `the 503 was not cached: ${show(ok)}`);
        assert.equal(rowsFor(s.id, pid), 1);
    });

    test('slower than directory_timeout_ms -> 503, never cached; a 5xx -> 503', async () => {
        const s = await createSession();
        const pid = uniq('pat');
        patients.people.set(pid, { name: 'Slow Answer' });
        patients.slowMs = 1500;  // directory_timeout_ms = 500
        const r = await add(s.id, { user_id: pid, role: 'patient' });
        assertUnavailable(r);
        assert.equal(rowsFor(s.id, pid), 0);
        patients.slowMs = 0;
        await sleep(1200);  // the slow answer is over
        const asked = patients.lookups(`/json/patients/${pid}`);
        const ok = await add(s.id, { user_id: pid, role: 'patient' });
        assert.equal(ok.status, 201, show(ok));
        assert.equal(patients.lookups(`/json/patients/${pid}`), asked + 1, 'asked again: the 503 was not cached');

        const other = uniq('pat');
        patients.people.set(other, {});
        patients.failStatus = 500;
        assertUnavailable(await add(s.id, { user_id: other, role: 'patient' }));
        patients.failStatus = 302;  // redirects are not followed
        assertUnavailable(await add(s.id, { user_id: other, role: 'patient' }));
        patients.failStatus = 0;
        assert.equal(rowsFor(s.id, other), 0);
        assert.equal((await add(s.id, { user_id: other, role: 'patient' })).status, 201);
    });

    test('cache: a second add of the same id within directory_cache_s does not ask again', async () => {
        const s1 = await createSession();
        const s2 = await createSession();
        const pid = uniq('pat');
        patients.people.set(pid, { name: 'Cached Name' });
        assert.equal((await add(s1.id, { user_id: pid, role: 'patient' })).status, 201);
        const r2 = await add(s2.id, { user_id: pid, role: 'patient' });
        assert.equal(r2.status, 201, show(r2));
        assert.equal(r2.json.participant.display_name, 'Cached Name', 'the cached name is used');
        assert.equal((await add(s1.id, { user_id: pid, role: 'patient' })).status, 200);  // re-add: same participant
        assert.equal(patients.lookups(`/json/patients/${pid}`), 1);
        // Unknown ids are cached too.
        const ghost = uniq('ghost');
        assertUnknown(await add(s1.id, { user_id: ghost, role: 'patient' }));
        assertUnknown(await add(s2.id, { user_id: ghost, role: 'patient' }));
        assert.equal(patients.lookups(`/json/patients/${ghost}`), 1);
        // The same id as a doctor is another service's answer.
        assertUnknown(await add(s1.id, { user_id: pid, role: 'doctor' }));
        assert.equal(doctors.lookups(`/json/practitioners/${pid}`), 1);
        // After directory_cache_s (3 s) the service is asked again.
        await sleep(3200);
        assert.equal((await add(s2.id, { user_id: pid, role: 'patient' })).status, 200);
        assert.equal(patients.lookups(`/json/patients/${pid}`), 2);
    });

    test('status updates: start, end, cancel of sessions with an external_ref, in order', async () => {
        const ref = uniq('appt');
        const s = await createSession({ external_ref: ref });
        const plain = await createSession();  // no external_ref: no update
        await transition(s.id, 'start');
        await transition(plain.id, 'start');
        await transition(s.id, 'end');
        await transition(plain.id, 'end');
        const ref2 = uniq('appt');
        const c = await createSession({ external_ref: ref2 });
        await transition(c.id, 'cancel');
        await eventually(() => statusUpdates(doctors, `/json/appointments/${ref}/`).filter((e) => e.status < 300).length >= 2
            && statusUpdates(doctors, `/json/appointments/${ref2}/`).length >= 1, { timeout: 15000, what: 'status updates' });
        const ups = statusUpdates(doctors, `/json/appointments/${ref}/`);
        assert.deepEqual(ups.map((e) => e.method), ['POST', 'POST']);
        assert.deepEqual(ups.map((e) => JSON.parse(e.body).status), ['in-progress', 'completed']);
        const events = psql(`SELECT event_id, topic FROM outbox WHERE session_id = ${lit(s.id)}
                             AND topic IN ('session.started', 'session.ended') ORDER BY id`);
        for (let i = 0; i < 2; ++i) {
            const b = JSON.parse(ups[i].body);
            assert.equal(ups[i].url, `/json/appointments/${ref}/status`);
            assert.match(ups[i].headers['content-type'], /^application\/json/);
            assert.equal(ups[i].headers.authorization, `Bearer ${TOKEN}`);
            assert.equal(b.session_id, s.id);
            assert.equal(b.event_id, events[i][0]);
            assert.deepEqual(Object.keys(b).sort(), ['event_id', 'occurred_at', 'session_id', 'status']);
        }
        const cancelled = statusUpdates(doctors, `/json/appointments/${ref2}/`);
        assert.deepEqual(cancelled.map((e) => JSON.parse(e.body).status), ['cancelled']);
        // Nothing for the session without an external_ref, nothing for other topics.
        assert.ok(!doctors.log.some((e) => e.method === 'POST' && e.body.includes(plain.id)));
        assert.equal(psqlValue(`SELECT count(*) FROM webhook_deliveries WHERE session_id = ${lit(plain.id)}`), '0');
        // Visible in GET /outbox as the directory pseudo-endpoint; with no
        // webhook_urls the other events need nothing and count as delivered.
        const list = await api('GET', '/outbox?status=delivered&limit=100');
        assert.equal(list.status, 200, show(list));
        const mine = list.json.items.filter((d) => d.session_id === s.id);
        assert.deepEqual(mine.map((d) => d.type).sort(), ['session.ended', 'session.started']);
        for (const d of mine) assert.equal(d.endpoint, `directory:json:http://127.0.0.1:${doctors.port}/json`);
        await eventually(() => psqlValue(`SELECT count(*) FROM outbox WHERE session_id = ${lit(plain.id)}
                                          AND delivered_at IS NULL`) === '0', { what: 'events with nothing to send' });
    });
});

describe('directory: fhir profile', { timeout: 120000 }, () => {
    before(async () => {
        psql('UPDATE outbox SET fanned_out_at = now() WHERE fanned_out_at IS NULL');
        await restartController(fhirSettings());
    });
    beforeEach(() => {
        doctors.statusFails = 0;
        doctors.failStatus = 0;
    });

    test('Patient and Practitioner reads: name from name[0], 404 and active:false unknown', async () => {
        const s = await createSession();
        const pid = uniq('pat');  // "pat-<hex>": a FHIR id
        doctors.people.set(pid, { type: 'Patient', fhirName: [{ use: 'official', family: 'King', given: ['Ada', 'A.'] }] });
        const r = await add(s.id, { user_id: pid, role: 'patient' });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.participant.display_name, 'Ada A. King');
        const read = doctors.log.find((e) => e.url === `/fhir/Patient/${pid}`);
        assert.match(read.headers.accept, /application\/fhir\+json/);
        assert.equal(read.headers.authorization, undefined, 'no bearer token configured: no Authorization');

        const did = uniq('prac');
        doctors.people.set(did, { type: 'Practitioner', fhirName: [{ text: 'Dr. Gregory House' }] });
        const d = await add(s.id, { user_id: did, role: 'doctor' });
        assert.equal(d.status, 201, show(d));
        assert.equal(d.json.participant.display_name, 'Dr. Gregory House');
        // A Patient id is not a Practitioner.
        assertUnknown(await add(s.id, { user_id: pid, role: 'paramedic' }));
        const inactive = uniq('pat');
        doctors.people.set(inactive, { type: 'Patient', active: false });
        assertUnknown(await add(s.id, { user_id: inactive, role: 'patient' }));
        // Not a FHIR id: unknown without a request. (Only the FHIR reads are
        // counted: this server also receives the webhooks at /hook and the
        // Encounter updates, which come asynchronously.)
        const reads = () => doctors.log.filter((e) => e.method === 'GET' && e.url.startsWith('/fhir/')).length;
        const n = reads();
        assertUnknown(await add(s.id, { user_id: 'a_b/c', role: 'patient' }));
        assert.equal(reads(), n);
        for (const u of [inactive, 'a_b/c']) assert.equal(rowsFor(s.id, u), 0);
        doctors.failStatus = 503;
        assertUnavailable(await add(s.id, { user_id: uniq('pat'), role: 'patient' }));
    });

    test('Encounter PATCH on start and end; a 500 is retried and order kept; webhooks unchanged', async () => {
        const ref = uniq('enc');
        const s = await createSession({ external_ref: ref });
        doctors.statusFails = 1;  // the first PATCH fails
        await transition(s.id, 'start');
        await transition(s.id, 'end');
        const path = `/fhir/Encounter/${ref}`;
        await eventually(() => statusUpdates(doctors, path).filter((e) => e.status === 200).length >= 2,
            { timeout: 15000, what: 'both PATCHes delivered' });
        const ups = statusUpdates(doctors, path);
        assert.ok(ups.length >= 3, 'the failed PATCH was retried');
        assert.equal(ups[0].status, 500);
        const values = ups.map((e) => JSON.parse(e.body)[0].value);
        // in-progress until it got a 2xx, only then finished.
        const firstOk = ups.findIndex((e) => e.status === 200);
        assert.ok(values.slice(0, firstOk + 1).every((v) => v === 'in-progress'), JSON.stringify(values));
        assert.deepEqual(values.slice(firstOk + 1), ['finished']);
        for (const e of ups) {
            assert.equal(e.method, 'PATCH');
            assert.match(e.headers['content-type'], /^application\/json-patch\+json/);
            assert.deepEqual(JSON.parse(e.body).map((op) => [op.op, op.path]), [['replace', '/status']]);
        }
        // The webhook receiver still gets every event of the session, as Standard Webhooks.
        await eventually(() => {
            const hooks = doctors.log.filter((e) => e.url === '/hook' && e.body.includes(s.id));
            return hooks.length >= 3 && hooks.every((e) => e.headers['webhook-signature']);
        }, { what: 'webhooks delivered' });
        const types = doctors.log.filter((e) => e.url === '/hook' && e.body.includes(s.id))
            .map((e) => JSON.parse(e.body).type);
        assert.ok(types.includes('session.started') && types.includes('session.ended'), JSON.stringify(types));
        assert.ok(!types.some((t) => t === undefined));
    });

    test('dead after webhook_max_attempts, listed in GET /outbox, redelivered', async () => {
        const ref = uniq('enc');
        doctors.alwaysFail.add(ref);
        const s = await createSession({ external_ref: ref });
        await transition(s.id, 'start');
        const endpoint = `directory:fhir:http://127.0.0.1:${doctors.port}/fhir`;
        const dead = await eventually(async () => {
            const r = await api('GET', '/outbox?status=dead&limit=100');
            return r.json.items.find((d) => d.session_id === s.id && d.endpoint === endpoint);
        }, { timeout: 20000, what: 'dead status update' });
        assert.equal(dead.type, 'session.started');
        assert.equal(dead.attempts, 3);
        assert.equal(dead.last_status, 500);
        assert.equal(statusUpdates(doctors, `/fhir/Encounter/${ref}`).length, 3);
        doctors.alwaysFail.delete(ref);
        const re = await api('POST', `/outbox/${dead.id}/redeliver`);
        assert.equal(re.status, 200, show(re));
        await eventually(() => statusUpdates(doctors, `/fhir/Encounter/${ref}`).some((e) => e.status === 200),
            { what: 'redelivered' });
        await eventually(() => psqlValue(`SELECT state FROM webhook_deliveries WHERE id = ${dead.id}`) === 'delivered',
            { what: 'delivered state' });
    });
});
