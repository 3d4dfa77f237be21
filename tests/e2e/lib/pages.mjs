// A small HTTP server on 127.0.0.1 (inside the test namespace) for the test
// pages of tests/e2e/pages, started once per test file:
//
//   GET /__e2e/<file>      tests/e2e/pages/<file>   (.html .js .mjs)
//   GET /sdk/telemed.js    the SDK exactly as the controller serves it (proxied)
//
// Why not page.route() on the controller's origin: Chromium's Local Network
// Access checks treat a document fulfilled by the test runner as public, and
// then refuse its WebSocket to Janus on 127.0.0.1. A real loopback server is
// what a clinic deployment looks like to the browser.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after } from 'node:test';

import { ENV } from '../../integ/lib/stack.mjs';
import { PAGES_DIR } from './browser.mjs';

let server = null;
let base = null;

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8' };

async function handle(req, res) {
    const path = new URL(req.url, 'http://x').pathname;
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method');
    if (path === '/sdk/telemed.js') {
        try {
            const r = await fetch(`${ENV.TELEMED_URL}/sdk/telemed.js`, { signal: AbortSignal.timeout(5000) });
            return send(r.status, Buffer.from(await r.arrayBuffer()), r.headers.get('content-type') ?? 'text/plain');
        } catch (e) {
            return send(502, `controller: ${e.message}`);
        }
    }
    const m = /^\/__e2e\/([a-z0-9_-]+)\.(html|js|mjs)$/.exec(path);
    if (!m) return send(404, 'not found');
    try {
        return send(200, await readFile(join(PAGES_DIR, `${m[1]}.${m[2]}`)), TYPES[m[2]]);
    } catch {
        return send(404, 'not found');
    }
}

// The base URL (http://127.0.0.1:<port>) of the page server.
export async function pagesBase() {
    if (base) return base;
    server = createServer((req, res) => {
        handle(req, res).catch(() => {
            try {
                res.writeHead(500);
                res.end();
            } catch {
                // ignore
            }
        });
    });
    server.keepAliveTimeout = 1000;
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    server.unref();
    base = `http://127.0.0.1:${server.address().port}`;
    return base;
}

after(() => {
    if (!server) return;
    server.closeAllConnections?.();
    server.close();
    server = null;
    base = null;
});
