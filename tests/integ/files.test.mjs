// Shared files (docs/API.md "Files"): upload streamed to encrypted storage
// with the participant credential or the API key on behalf of a participant,
// the file resource and its list, download with Range and safe headers, the
// room told (plugin event `file`), type sniffing (415), size cap and session
// quota (413, two problem types), the authorization matrix, nothing of the
// plaintext at rest, a tampered blob never served as other bytes, the audit
// and outbox rows, retention (crypto-shredding) and no file name in any log.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { after, describe, test } from 'node:test';

import { assertFieldError, assertProblem } from './lib/checks.mjs';
import { joinWith } from './lib/janus.mjs';
import {
    ENV, ROOT, UUID_RE, api, createSession, eventually, lit, psql, psqlValue, restartController, show, stack, transition,
} from './lib/stack.mjs';

const T = { timeout: 60000 };
const STORAGE = pathJoin(stack.dir, 'data');
// A marker that must never appear at rest nor in a log line.
const MARKER = `PLAINTEXT-MARKER-${randomBytes(6).toString('hex')}`;
const SECRET_NAME = `Befund-${randomBytes(4).toString('hex')}`;

const open = [];
after(async () => {
    for (const c of open) await c.close();
});

function pdf(extra = '') {
    return Buffer.from(`%PDF-1.7\n% ${MARKER}\n${extra}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n`);
}
function png() {
    return Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(64)]);
}
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), randomBytes(200)]);

// POST /sessions/{sid}/files with `body` as the file.
async function upload(sid, body, { name = 'scan.pdf', type = 'application/pdf', credential, query = '', headers = {} } = {}) {
    const h = {
        'content-type': type,
        'content-disposition': `attachment; filename="${name}"`,
        authorization: `Bearer ${credential ?? ENV.TELEMED_API_KEY}`,
        ...headers,
    };
    for (const [k, v] of Object.entries(h)) if (v === null) delete h[k];
    const res = await fetch(`${ENV.TELEMED_URL}/sessions/${sid}/files${query}`, {
        method: 'POST', headers: h, body, duplex: 'half', signal: AbortSignal.timeout(30000),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, json, text };
}

// GET /files/{id}: the bytes (or a problem). `aborted` when the body was cut.
async function download(id, { credential, range, meta = false } = {}) {
    const h = { authorization: `Bearer ${credential ?? ENV.TELEMED_API_KEY}` };
    if (range) h.range = range;
    const res = await fetch(`${ENV.TELEMED_URL}/files/${id}${meta ? '?meta' : ''}`, {
        headers: h, signal: AbortSignal.timeout(30000),
    });
    let body;
    let aborted = false;
    try {
        body = Buffer.from(await res.arrayBuffer());
    } catch {
        aborted = true;
    }
    let json;
    try { json = body && JSON.parse(body.toString()); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, body, aborted, json, text: body?.toString() ?? '' };
}

async function add(sid, body) {
    const res = await api('POST', `/sessions/${sid}/participants`, { body });
    assert.ok(res.status === 201 || res.status === 200, `add participant: ${show(res)}`);
    return res.json;
}

async function newRoom() {
    const s = await createSession({ title: 'files' });
    await transition(s.id, 'start');
    const doctor = await add(s.id, { user_id: `d-${s.id}`, role: 'doctor' });
    const patient = await add(s.id, { user_id: `p-${s.id}`, role: 'patient' });
    const observer = await add(s.id, { user_id: `o-${s.id}`, role: 'observer' });
    return { sid: s.id, doctor, patient, observer };
}

function walk(dir) {
    const out = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = pathJoin(dir, e.name);
        if (e.isDirectory()) out.push(...walk(p));
        else out.push(p);
    }
    return out;
}

function blobPath(id) {
    return pathJoin(STORAGE, 'blobs', id.slice(0, 2), id);
}

function sha256(b) {
    return createHash('sha256').update(b).digest('hex');
}

const room = await newRoom();

describe('upload and download', () => {
    let file;
    const body = pdf();

    test('a participant uploads with its credential; the room is told', T, async () => {
        const joined = await joinWith(room.doctor.join.token);
        open.push(joined.client);
        const res = await upload(room.sid, body, { name: `${SECRET_NAME}.pdf`, credential: room.patient.access.credential });
        assert.equal(res.status, 201, show(res));
        file = res.json;
        assert.match(file.id, UUID_RE);
        assert.equal(res.headers.get('location'), `/files/${file.id}`);
        assert.deepEqual(Object.keys(file).sort(),
            ['content_type', 'created_at', 'id', 'name', 'sender', 'session_id', 'sha256', 'size', 'to'].sort());
        assert.equal(file.session_id, room.sid);
        assert.equal(file.name, `${SECRET_NAME}.pdf`);
        assert.equal(file.size, body.length);
        assert.equal(file.content_type, 'application/pdf');
        assert.equal(file.sha256, sha256(body));
        assert.equal(file.sender, room.patient.participant.id);
        assert.deepEqual(file.to, []);
        const ev = await joined.client.pluginEvent(joined.handle, (d) => d.telemed === 'file', { what: 'file event' });
        assert.deepEqual(ev.file, file);
    });

    test('download: bytes, headers, meta, list', T, async () => {
        const res = await download(file.id);
        assert.equal(res.status, 200);
        assert.ok(res.body.equals(body), 'same bytes');
        assert.equal(res.headers.get('content-type'), 'application/pdf');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; sandbox");
        assert.equal(res.headers.get('cache-control'), 'private, no-store');
        assert.equal(res.headers.get('accept-ranges'), 'bytes');
        assert.equal(res.headers.get('content-disposition'),
            `attachment; filename="${SECRET_NAME}.pdf"; filename*=UTF-8''${SECRET_NAME}.pdf`);
        const meta = await download(file.id, { meta: true });
        assert.equal(meta.status, 200);
        assert.deepEqual(meta.json, file);
        const list = await api('GET', `/sessions/${room.sid}/files`);
        assert.equal(list.status, 200, show(list));
        assert.ok(list.json.items.some((f) => f.id === file.id));
        assert.ok('next_cursor' in list.json);
        const byDoctor = await download(file.id, { credential: room.doctor.access.credential });
        assert.equal(byDoctor.status, 200);
        assert.ok(byDoctor.body.equals(body));
    });

    test('Range: 206 with Content-Range, suffix, 416', T, async () => {
        let r = await download(file.id, { range: 'bytes=0-4' });
        assert.equal(r.status, 206);
        assert.equal(r.body.toString(), '%PDF-');
        assert.equal(r.headers.get('content-range'), `bytes 0-4/${body.length}`);
        r = await download(file.id, { range: 'bytes=-6' });
        assert.equal(r.status, 206);
        assert.ok(r.body.equals(body.subarray(body.length - 6)));
        r = await download(file.id, { range: `bytes=${body.length}-` });
        assertProblem({ ...r, json: r.json }, 416, 'range-not-satisfiable');
        assert.equal(r.headers.get('content-range'), `bytes */${body.length}`);
        r = await download(file.id, { range: 'bytes=0-1,3-4' });  // several ranges: the whole file
        assert.equal(r.status, 200);
    });

    test('a large file round-trips across segments, with ranges across a boundary', T, async () => {
        const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3 * 65536 + 1234)]);
        const res = await upload(room.sid, big, { credential: room.doctor.access.credential });
        assert.equal(res.status, 201, show(res));
        assert.equal(res.json.sha256, sha256(big));
        const all = await download(res.json.id);
        assert.ok(all.body.equals(big));
        const part = await download(res.json.id, { range: 'bytes=65530-131080' });
        assert.equal(part.status, 206);
        assert.ok(part.body.equals(big.subarray(65530, 131081)));
        const stored = statSync(blobPath(res.json.id)).size;
        assert.equal(stored, 16 + big.length + 4 * 16, 'header + data + one tag per segment');
    });

    test('nothing of the plaintext is at rest', T, async () => {
        const files = walk(STORAGE);
        assert.ok(files.length > 0, 'storage holds blobs');
        for (const f of files) {
            const data = readFileSync(f);
            assert.equal(data.indexOf(MARKER), -1, `marker in ${f}`);
            assert.equal(data.indexOf(SECRET_NAME), -1, `name in ${f}`);
        }
        const row = psql(`SELECT octet_length(wrapped_key), key_id FROM files WHERE id = ${lit(file.id)}`)[0];
        assert.deepEqual(row, ['60', 'k1']);
    });

    test('audit rows and outbox: who, what, bytes, never the name', T, async () => {
        const rows = psql(`SELECT action, actor, data::text FROM audit_log WHERE session_id = ${lit(room.sid)}
                           AND action LIKE 'file.%' ORDER BY id`);
        const shared = rows.find((r) => r[0] === 'file.shared' && r[2].includes(file.id));
        assert.ok(shared, 'file.shared audit row');
        assert.equal(shared[1], `participant:${room.patient.participant.id}`);
        const data = JSON.parse(shared[2]);
        assert.equal(data.bytes, body.length);
        const downloaded = rows.filter((r) => r[0] === 'file.downloaded' && r[2].includes(file.id));
        assert.ok(downloaded.length >= 3, 'file.downloaded rows');
        assert.ok(downloaded.some((r) => r[1] === 'key0'));
        assert.ok(downloaded.some((r) => r[1] === `participant:${room.doctor.participant.id}`));
        for (const r of rows) assert.ok(!r[2].includes(SECRET_NAME), 'no file name in audit rows');
        const outbox = psql(`SELECT payload::text FROM outbox WHERE topic = 'file.shared'
                             AND payload->>'file_id' = ${lit(file.id)}`);
        assert.equal(outbox.length, 1, 'one outbox event');
        const payload = JSON.parse(outbox[0][0]);
        assert.equal(payload.session_id, room.sid);
        assert.equal(payload.size, body.length);
        assert.ok(!outbox[0][0].includes(SECRET_NAME));
    });
});

describe('types', () => {
    test('a PDF renamed .png, an executable renamed .pdf, wrong and unknown types: 415', T, async () => {
        const c = room.patient.access.credential;
        let r = await upload(room.sid, pdf(), { name: 'photo.png', type: 'application/pdf', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'PDF named .png');
        r = await upload(room.sid, pdf(), { name: 'photo.png', type: 'image/png', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'PDF declared image/png');
        r = await upload(room.sid, EXE, { name: 'report.pdf', type: 'application/pdf', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'executable named .pdf');
        r = await upload(room.sid, Buffer.from('plain text'), { name: 'run.exe', type: 'text/plain', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'text named .exe');
        r = await upload(room.sid, Buffer.from('PK\x03\x04'), { name: 'a.zip', type: 'application/zip', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'zip');
        r = await upload(room.sid, Buffer.concat([Buffer.from('text'), Buffer.alloc(4)]),
            { name: 'a.txt', type: 'text/plain', credential: c });
        assertProblem(r, 415, 'unsupported-media-type', 'binary declared text');
        r = await upload(room.sid, png(), { name: 'x.png', type: 'image/png', credential: c });
        assert.equal(r.status, 201, show(r));
        r = await upload(room.sid, Buffer.from('Hallo\nWelt\n'), { name: 'notes.txt', type: 'text/plain; charset=utf-8', credential: c });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.content_type, 'text/plain');
        const dicom = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), randomBytes(100)]);
        r = await upload(room.sid, dicom, { name: 'ct.dcm', type: 'application/dicom', credential: c });
        assert.equal(r.status, 201, show(r));
    });

    test('names: sanitised, never a path; RFC 5987 names', T, async () => {
        let r = await upload(room.sid, pdf(), { name: '../../etc/passwd.pdf', credential: room.patient.access.credential });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.name, 'passwd.pdf');
        r = await upload(room.sid, pdf(), {
            credential: room.patient.access.credential,
            headers: { 'content-disposition': "attachment; filename=\"x.pdf\"; filename*=UTF-8''Befund%20M%C3%BCller.pdf" },
        });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.name, 'Befund Müller.pdf');
        const d = await download(r.json.id);
        assert.equal(d.headers.get('content-disposition'),
            "attachment; filename=\"Befund M_ller.pdf\"; filename*=UTF-8''Befund%20M%C3%BCller.pdf");
        r = await upload(room.sid, pdf(), { credential: room.patient.access.credential,
            headers: { 'content-disposition': 'attachment' } });
        assertFieldError(r, 'Content-Disposition');
        // Without the header at all the bytes are still shared, as "file".
        r = await upload(room.sid, pdf(), { credential: room.patient.access.credential,
            headers: { 'content-disposition': null } });
        assert.equal(r.status, 201, show(r));
        assert.equal(r.json.name, 'file');
    });
});

describe('authorization', () => {
    test('API key: on_behalf_of required (422); must hold share_files (403); to restricts readers', T, async () => {
        let r = await upload(room.sid, pdf());
        assertFieldError(r, 'on_behalf_of');
        r = await upload(room.sid, pdf(), { query: `?on_behalf_of=${room.observer.participant.id}` });
        assertProblem(r, 403, 'forbidden', 'observer on behalf');
        r = await upload(room.sid, pdf(), { credential: room.observer.access.credential });
        assertProblem(r, 403, 'forbidden', 'observer with credential');
        r = await upload(room.sid, pdf(),
            { query: `?on_behalf_of=${room.patient.participant.id}&to=${room.doctor.participant.id}` });
        assert.equal(r.status, 201, show(r));
        assert.deepEqual(r.json.to, [room.doctor.participant.id]);
        const id = r.json.id;
        assert.equal((await download(id, { credential: room.doctor.access.credential })).status, 200);
        assert.equal((await download(id, { credential: room.patient.access.credential })).status, 200, 'sender');
        assertProblem(await download(id, { credential: room.observer.access.credential }), 404, 'not-found');
        const list = await api('GET', `/sessions/${room.sid}/files`, {
            auth: false, headers: { authorization: `Bearer ${room.observer.access.credential}` } });
        assert.equal(list.status, 200, show(list));
        assert.ok(!list.json.items.some((f) => f.id === id), 'not listed for the observer');
        r = await upload(room.sid, pdf(), { query: `?on_behalf_of=${room.patient.participant.id}&to=not-a-uuid` });
        assertFieldError(r, 'to');
    });

    test('another session: 404 (download), 403 (upload); removed participant: 401', T, async () => {
        const other = await newRoom();
        const mine = await upload(room.sid, pdf(), { credential: room.patient.access.credential });
        assert.equal(mine.status, 201);
        assertProblem(await download(mine.json.id, { credential: other.doctor.access.credential }), 404, 'not-found');
        assertProblem(await upload(room.sid, pdf(), { credential: other.doctor.access.credential }), 403, 'forbidden');
        assertProblem(await download('00000000-0000-4000-8000-000000000000'), 404, 'not-found');
        const gone = await add(room.sid, { user_id: `gone-${room.sid}`, role: 'patient' });
        const del = await api('DELETE', `/sessions/${room.sid}/participants/${gone.participant.id}`);
        assert.equal(del.status, 204);
        assertProblem(await download(mine.json.id, { credential: gone.access.credential }), 401, 'unauthorized');
        assertProblem(await upload(room.sid, pdf(), { credential: gone.access.credential }), 401, 'unauthorized');
        assertProblem(await upload(room.sid, pdf(), { credential: 'tpc1.garbage' }), 401, 'unauthorized');
        const noAuth = await fetch(`${ENV.TELEMED_URL}/files/${mine.json.id}`);
        assert.equal(noAuth.status, 401);
    });
});

describe('tampering', () => {
    test('a flipped byte in the stored blob: an error, never other bytes', T, async () => {
        const small = pdf('tamper');
        const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2 * 65536 + 99)]);
        const a = (await upload(room.sid, small, { credential: room.patient.access.credential })).json;
        const b = (await upload(room.sid, big, { credential: room.patient.access.credential })).json;
        // Damage in the first segment served: refused before the headers.
        // Damage in a later segment: the headers are out, so the body is cut
        // (the client sees an error); never a whole body of other bytes.
        for (const [f, at, plain, early] of [[a, 40, small, true], [b, 16 + 65536 + 16 + 500, big, false]]) {
            const p = blobPath(f.id);
            const data = readFileSync(p);
            data[at] ^= 0x01;
            writeFileSync(p, data);
            const r = await download(f.id);
            if (r.status === 200 && !r.aborted) {
                assert.fail(`tampered file served whole (${r.body.length} bytes, same: ${r.body.equals(plain)})`);
            }
            if (early) {
                assertProblem(r, 500, 'file-damaged');
            } else {
                assert.equal(r.status, 200);
                assert.ok(r.aborted, 'body aborted');
            }
        }
        // The header of the blob is checked too.
        const c = (await upload(room.sid, pdf('header'), { credential: room.patient.access.credential })).json;
        const hp = blobPath(c.id);
        const hdata = readFileSync(hp);
        hdata[2] ^= 0x01;
        writeFileSync(hp, hdata);
        assertProblem(await download(c.id), 500, 'file-damaged');
        // A range that stays in the intact first segment still serves.
        const ok = await download(b.id, { range: 'bytes=0-99' });
        assert.equal(ok.status, 206);
        assert.ok(ok.body.equals(big.subarray(0, 100)));
    });
});

describe('limits and retention (controller restarted with small limits)', () => {
    after(async () => {
        await restartController(null);
    });

    test('413 over the cap; 413 session-quota-exceeded over the quota', T, async () => {
        await restartController('file_max_bytes=2000,session_files_quota_bytes=5000');
        const r0 = await newRoom();
        const c = r0.patient.access.credential;
        let r = await upload(r0.sid, Buffer.concat([Buffer.from('%PDF-'), randomBytes(3000)]), { credential: c });
        assertProblem(r, 413, 'payload-too-large', 'over the cap (Content-Length)');
        // Chunked (no Content-Length): refused while streaming.
        const stream = new ReadableStream({
            start(ctrl) {
                ctrl.enqueue(new Uint8Array(Buffer.from('%PDF-1.7\n')));
                for (let i = 0; i < 4; ++i) ctrl.enqueue(new Uint8Array(randomBytes(1000)));
                ctrl.close();
            },
        });
        r = await upload(r0.sid, stream, { credential: c });
        assertProblem(r, 413, 'payload-too-large', 'chunked over the cap');
        for (let i = 0; i < 2; ++i) {
            r = await upload(r0.sid, Buffer.concat([Buffer.from('%PDF-'), randomBytes(1995)]), { credential: c });
            assert.equal(r.status, 201, show(r));
        }
        r = await upload(r0.sid, Buffer.concat([Buffer.from('%PDF-'), randomBytes(1995)]), { credential: c });
        assertProblem(r, 413, 'session-quota-exceeded');
        r = await upload(r0.sid, Buffer.from('%PDF-1'), { credential: c });
        assert.equal(r.status, 201, 'still room for a small one');
    });

    test('master key rotation: a new first key, --rewrap-files, the old key dropped', T, async () => {
        const k1 = readFileSync(pathJoin(stack.dir, 'secrets', 'storage-master-key'), 'utf8').trim();
        const k2 = randomBytes(32).toString('hex');
        await restartController(null);  // the stack's own limits and key
        const before = await upload(room.sid, pdf('rotation'), { credential: room.patient.access.credential });
        assert.equal(before.status, 201);
        await restartController(`storage_master_keys=k2:${k2},k1:${k1};file_max_bytes=26214400`);
        const after2 = await upload(room.sid, pdf('rotation 2'), { credential: room.patient.access.credential });
        assert.equal(after2.status, 201);
        assert.equal(psqlValue(`SELECT key_id FROM files WHERE id = ${lit(after2.json.id)}`), 'k2');
        assert.equal(psqlValue(`SELECT key_id FROM files WHERE id = ${lit(before.json.id)}`), 'k1');
        const bin = process.env.TELEMED_CONTROLLER_BIN || pathJoin(ROOT, 'build', 'controller', 'telemed-controller');
        const out = execFileSync(bin,
            ['--config', pathJoin(stack.dir, 'controller.conf'), '--rewrap-files'], { encoding: 'utf8', timeout: 30000 });
        assert.match(out, /^rewrapped [1-9]\d* file key\(s\) under k2; 0 failed/);
        assert.equal(psqlValue("SELECT count(*) FROM files WHERE wrapped_key IS NOT NULL AND key_id <> 'k2'"), '0');
        await restartController(`storage_master_keys=k2:${k2}`);
        const d = await download(before.json.id);
        assert.equal(d.status, 200);
        assert.ok(d.body.equals(pdf('rotation')));
    });

    test('retention: files of sessions ended long enough ago are crypto-shredded', T, async () => {
        await restartController('file_retention_days=1,file_retention_sweep_interval_s=1');
        const r1 = await newRoom();
        const up = await upload(r1.sid, pdf(), { credential: r1.patient.access.credential });
        assert.equal(up.status, 201);
        const keep = await upload(room.sid, pdf(), { credential: room.patient.access.credential });
        assert.equal(keep.status, 201);
        await transition(r1.sid, 'end');
        psql(`UPDATE sessions SET ended_at = now() - interval '2 days' WHERE id = ${lit(r1.sid)}`);
        await eventually(() => psqlValue(`SELECT wrapped_key IS NULL FROM files WHERE id = ${lit(up.json.id)}`) === 't',
            { timeout: 15000, what: 'wrapped key deleted' });
        assertProblem(await download(up.json.id), 404, 'not-found');
        await eventually(() => {
            try { statSync(blobPath(up.json.id)); return false; } catch { return true; }
        }, { timeout: 5000, what: 'blob removed' });
        assert.equal(psqlValue(`SELECT count(*) FROM audit_log WHERE session_id = ${lit(r1.sid)} AND action = 'file.shredded'`), '1');
        assert.equal((await download(keep.json.id)).status, 200, 'an open session keeps its files');
    });
});

describe('logs', () => {
    test('no file name, no marker, no credential in any log line', T, async () => {
        const logs = pathJoin(stack.dir, 'logs');
        for (const f of readdirSync(logs)) {
            const text = readFileSync(pathJoin(logs, f), 'utf8');
            assert.ok(!text.includes(SECRET_NAME), `file name in ${f}`);
            assert.ok(!text.includes(MARKER), `plaintext marker in ${f}`);
            assert.ok(!text.includes(room.patient.access.credential), `credential in ${f}`);
        }
    });
});
