// docs/openapi.yaml against the controller: the route table printed by
// `telemed-controller --list-routes` and the document served at
// /openapi.json must describe the same operations.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { describe, test } from 'node:test';

import { ENV, ROOT, api, show } from './lib/stack.mjs';

const T = { timeout: 30000 };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// TELEMED_CONTROLLER_BIN, else the binary of the running stack's controller
// (so routes and the served document come from the same build), else the
// default build path.
function controllerBin() {
    let p = process.env.TELEMED_CONTROLLER_BIN;
    if (!p && ENV.CONTROLLER_PID) {
        try {
            const exe = readlinkSync(`/proc/${ENV.CONTROLLER_PID}/exe`);
            if (basename(exe).startsWith('telemed-controller')) p = `/proc/${ENV.CONTROLLER_PID}/exe`;
        } catch {
            // not running or not ours: fall through
        }
    }
    p ||= 'build/controller/telemed-controller';
    return isAbsolute(p) ? p : join(ROOT, p);
}

function listRoutes() {
    const bin = controllerBin();
    assert.ok(existsSync(bin), `controller binary at ${bin} (set TELEMED_CONTROLLER_BIN)`);
    const out = execFileSync(bin, ['--list-routes'], { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
    const routes = new Set();
    for (const line of out.split('\n')) {
        const t = line.trim();
        if (!t) continue;
        const [method, pattern] = t.split(/\s+/);
        assert.match(method, /^[A-Z]+$/, `route line "${t}" starts with a METHOD`);
        assert.match(pattern, /^\//, `route line "${t}" has a path pattern`);
        routes.add(`${method} ${pattern}`);
    }
    assert.ok(routes.size > 0, '--list-routes printed routes');
    return routes;
}

async function servedDoc() {
    const r = await api('GET', '/openapi.json', { auth: false });
    assert.equal(r.status, 200, show(r));
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(r.json && typeof r.json === 'object', '/openapi.json parses as JSON');
    return r.json;
}

function operations(doc) {
    const ops = new Map();
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
        for (const m of METHODS) if (item[m]) ops.set(`${m.toUpperCase()} ${path}`, { path, method: m, op: item[m], item });
    }
    return ops;
}

describe('OpenAPI document', () => {
    test('/openapi.json is OpenAPI 3.1 and equals docs/openapi.yaml', T, async () => {
        const doc = await servedDoc();
        assert.match(String(doc.openapi), /^3\.1\.\d+$/, 'openapi 3.1.x');
        assert.ok(doc.info?.title && doc.info?.version, 'info');
        assert.ok(doc.components?.securitySchemes?.bearer, 'bearer security scheme');
        for (const s of ['Session', 'Participant', 'JoinInfo', 'Problem']) assert.ok(doc.components.schemas[s], `schema ${s}`);
        // The served document is the current YAML (the build embeds it).
        const yamlJson = execFileSync('/usr/bin/python3', ['-c',
            'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8")), default=str))',
            join(ROOT, 'docs', 'openapi.yaml')], { encoding: 'utf8', timeout: 10000 });
        assert.deepEqual(doc, JSON.parse(yamlJson), 'served document = docs/openapi.yaml (rebuild the controller?)');
    });

    test('every $ref resolves', T, async () => {
        const doc = await servedDoc();
        const missing = [];
        (function walk(n, where) {
            if (Array.isArray(n)) n.forEach((v, i) => walk(v, `${where}/${i}`));
            else if (n && typeof n === 'object') {
                for (const [k, v] of Object.entries(n)) {
                    if (k === '$ref' && typeof v === 'string') {
                        let x = doc;
                        for (const seg of v.replace(/^#\//, '').split('/')) x = x?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
                        if (x === undefined) missing.push(`${where}: ${v}`);
                    } else walk(v, `${where}/${k}`);
                }
            }
        })(doc, '#');
        assert.deepEqual(missing, [], 'unresolved $ref');
    });

    test('routes of the controller = operations of the document', T, async () => {
        const routes = listRoutes();
        const ops = new Set(operations(await servedDoc()).keys());
        const undocumented = [...routes].filter((r) => !ops.has(r)).sort();
        const unrouted = [...ops].filter((o) => !routes.has(o)).sort();
        assert.deepEqual(undocumented, [], 'routes missing from docs/openapi.yaml');
        assert.deepEqual(unrouted, [], 'documented operations the controller does not route');
    });

    test('documented security matches what the controller enforces', T, async () => {
        const doc = await servedDoc();
        const globalSec = doc.security ?? [];
        for (const [key, { path, method, op }] of operations(doc)) {
            const sec = op.security ?? globalSec;
            const open = sec.length === 0;
            const concrete = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
            const body = ['post', 'patch', 'delete', 'put'].includes(method) && path.startsWith('/sessions') ? {} : undefined;
            const r = await api(method.toUpperCase(), concrete, { auth: false, body });
            if (open) assert.notEqual(r.status, 401, `${key} is documented as open: ${show(r)}`);
            else assert.equal(r.status, 401, `${key} is documented as authenticated: ${show(r)}`);
        }
    });

    test('every documented operation has an id, a 2xx answer and documents 401 where authenticated', T, async () => {
        const doc = await servedDoc();
        const ids = new Set();
        for (const [key, { op }] of operations(doc)) {
            assert.ok(op.operationId, `${key} operationId`);
            assert.ok(!ids.has(op.operationId), `${key} operationId unique`);
            ids.add(op.operationId);
            const codes = Object.keys(op.responses ?? {});
            assert.ok(codes.some((c) => /^2\d\d$/.test(c)), `${key} documents a success answer`);
            const sec = op.security ?? doc.security ?? [];
            if (sec.length) assert.ok(codes.includes('401'), `${key} documents 401`);
        }
    });
});
