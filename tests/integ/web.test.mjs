// The web app and the SDK as the controller serves them (GET /app/,
// /app/<file>, /sdk/telemed.js: headers, traversal refused, 404
// problem+json), the join link join.app_url, display names in the plugin's
// roster (create_room grants), and the SDK's Janus-level logic in Node (join,
// lobby, admit, mute, kick; no media: Node has no RTCPeerConnection).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import WebSocket from 'ws';

import { joinWith, mintJanusToken } from './lib/janus.mjs';
import { verifyHs256 } from './lib/jwt.mjs';
import {
    ENV, ROOT, addParticipant, api, createSession, eventually, restartController, show, sleep, stackctl, transition, uniq,
    within,
} from './lib/stack.mjs';

const T = { timeout: 30000 };
const { TelemedClient, TelemedError, decodeJoinLink } = await import(pathToFileURL(join(ROOT, 'web', 'telemed.js')).href);

const CSP_DIRECTIVES = ["default-src 'self'", "connect-src 'self' ws: wss:", "media-src 'self' blob:", "img-src 'self' data:"];
const FILES = [
    ['/app/', 'app/index.html', 'text/html; charset=utf-8'],
    ['/app/index.html', 'app/index.html', 'text/html; charset=utf-8'],
    ['/app/app.js', 'app/app.js', 'text/javascript; charset=utf-8'],
    ['/app/app.css', 'app/app.css', 'text/css; charset=utf-8'],
    ['/app/favicon.svg', 'app/favicon.svg', 'image/svg+xml'],
    ['/app/health.js', 'app/health.js', 'text/javascript; charset=utf-8'],
    ['/app/precall.js', 'app/precall.js', 'text/javascript; charset=utf-8'],
    ['/app/strings.js', 'app/strings.js', 'text/javascript; charset=utf-8'],
    ['/sdk/telemed.js', 'telemed.js', 'text/javascript; charset=utf-8'],
];

const openClients = [];
after(async () => {
    for (const c of openClients) {
        try {
            if (typeof c.close === 'function') await c.close();
        } catch {
            // ignore
        }
    }
});

// An HTTP request with the path sent exactly as given (fetch and curl would
// normalise "..": this must reach the controller as is).
function raw(path, { method = 'GET', headers = {}, timeout = 10000 } = {}) {
    const u = new URL(ENV.TELEMED_URL);
    return within(new Promise((resolve, reject) => {
        const req = http.request({ host: u.hostname, port: u.port, method, path, headers, timeout, agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const body = Buffer.concat(chunks);
                let json;
                try {
                    json = JSON.parse(body.toString('utf8'));
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: res.headers, body, json });
            });
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end();
    }), timeout + 1000, `${method} ${path}`);
}

function assertStaticHeaders(r, what) {
    assert.equal(r.headers['cache-control'], 'no-cache', `${what}: Cache-Control`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    const csp = r.headers['content-security-policy'] ?? '';
    for (const d of CSP_DIRECTIVES) assert.ok(csp.split(';').map((x) => x.trim()).includes(d), `${what}: CSP has ${d}: ${csp}`);
    assert.ok(r.headers['x-request-id'], `${what}: X-Request-Id`);
}

function assertNotFound(r, what) {
    assert.equal(r.status, 404, `${what}: ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/problem\+json/, `${what}: problem+json`);
    assert.equal(r.json?.type, 'https://telemed.example/problems/not-found', `${what}: problem type`);
    assert.equal(r.json?.status, 404);
}


function fromBase64url(s) {
    return Buffer.from(s, 'base64url').toString('utf8');
}

describe('static web files', () => {
    test('the app, its files and the SDK are served without authentication, with type, cache and security headers', T, async () => {
        for (const [path, file, type] of FILES) {
            const r = await raw(path);
            assert.equal(r.status, 200, `${path}: ${r.status}`);
            assert.equal(r.headers['content-type'], type, `${path}: content type`);
            assertStaticHeaders(r, path);
            assert.match(r.headers.etag ?? '', /^W\/".+"$/, `${path}: weak ETag`);
            assert.ok(r.body.equals(readFileSync(join(ROOT, 'web', file))), `${path}: the file of web/${file}`);
        }
    });

    test('HEAD answers the same headers without a body', T, async () => {
        for (const [path, file, type] of FILES) {
            const r = await raw(path, { method: 'HEAD' });
            assert.equal(r.status, 200, path);
            assert.equal(r.headers['content-type'], type);
            assert.equal(Number(r.headers['content-length']), readFileSync(join(ROOT, 'web', file)).length, `${path}: Content-Length`);
            assert.equal(r.body.length, 0, `${path}: no body`);
            assertStaticHeaders(r, `HEAD ${path}`);
        }
    });

    test('If-None-Match with the current ETag answers 304 without a body', T, async () => {
        const first = await raw('/sdk/telemed.js');
        const again = await raw('/sdk/telemed.js', { headers: { 'if-none-match': first.headers.etag } });
        assert.equal(again.status, 304);
        assert.equal(again.body.length, 0);
        const stale = await raw('/sdk/telemed.js', { headers: { 'if-none-match': 'W/"0-0.0"' } });
        assert.equal(stale.status, 200);
    });

    test('the page loads only same-origin script and style (no inline code under the CSP)', T, async () => {
        const html = (await raw('/app/')).body.toString('utf8');
        assert.match(html, /<script type="module" src="app\.js"><\/script>/);
        assert.match(html, /<link rel="stylesheet" href="app\.css">/);
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
        assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
        assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
        const js = (await raw('/app/app.js')).body.toString('utf8');
        assert.match(js, /from '\.\.\/sdk\/telemed\.js'/, 'the app imports the SDK the controller serves');
    });

    test('traversal, hidden files, odd names and unknown paths are 404 problem+json', T, async () => {
        const paths = [
            '/app/../README.md', '/app/../../etc/passwd', '/app/..%2F..%2FREADME.md', '/app/%2e%2e%2fREADME.md',
            '/app/..', '/app/.', '/app/%2e%2e', '/app/..%5c..%5cREADME.md', '/app/%2Fetc%2Fpasswd',
            '/app/.hidden.js', '/app/index.html%00.js', '/app/%00', '/app/app.js%00', '/app/app.js/', '/app//app.js',
            '/app/app.js%2F', '/app/README.md', '/app/app.JS', '/app/nonexistent.js', '/app/telemed.js',
            '/app/app', '/app/a%20b.js', `/app/${'a'.repeat(130)}.js`, '/sdk/', '/sdk/app.js', '/sdk/../app/index.html',
            '/sdk/telemed.js/', '/web/telemed.js', '/telemed.js', '/app', '/app/index.html/..',
        ];
        for (const p of paths) {
            const r = await raw(p);
            assertNotFound(r, p);
            assert.ok(!r.body.toString('utf8').includes('root:'), `${p}: nothing leaked`);
        }
        // HEAD of a miss: 404 without a body.
        const h = await raw('/app/nonexistent.js', { method: 'HEAD' });
        assert.equal(h.status, 404);
        assert.equal(h.body.length, 0);
    });

    test('other methods are 405 with Allow: GET, HEAD', T, async () => {
        for (const p of ['/app/', '/app/app.js', '/sdk/telemed.js']) {
            const r = await raw(p, { method: 'POST' });
            assert.equal(r.status, 405, p);
            assert.equal(r.headers.allow, 'GET, HEAD', p);
        }
    });

    test('web_root: symlinks leading out of it, folders and special files are refused; symlinks inside it are served', { timeout: 90000 }, async () => {
        const base = mkdtempSync(join(tmpdir(), 'telemed-webroot-'));
        try {
            const root = join(base, 'web');
            mkdirSync(join(root, 'app'), { recursive: true });
            mkdirSync(join(base, 'outside'));
            writeFileSync(join(base, 'outside', 'secret.js'), 'secret outside the root');
            writeFileSync(join(root, 'app', 'index.html'), '<!doctype html><title>x</title>');
            writeFileSync(join(root, 'app', 'ok.js'), 'export const ok = 1;');
            writeFileSync(join(root, 'telemed.js'), 'export const sdk = 1;');
            symlinkSync(join(base, 'outside', 'secret.js'), join(root, 'app', 'escape.js'));
            symlinkSync('../../outside/secret.js', join(root, 'app', 'escape2.js'));
            symlinkSync('../telemed.js', join(root, 'app', 'inside.js'));
            symlinkSync('/etc/passwd', join(root, 'app', 'passwd.css'));
            symlinkSync('missing.js', join(root, 'app', 'dangling.js'));
            mkdirSync(join(root, 'app', 'folder.css'));
            execFileSync('mkfifo', [join(root, 'app', 'fifo.js')]);
            await restartController(`web_root=${root}`);
            assert.equal((await raw('/app/ok.js')).body.toString(), 'export const ok = 1;');
            assert.equal((await raw('/sdk/telemed.js')).body.toString(), 'export const sdk = 1;');
            const inside = await raw('/app/inside.js');
            assert.equal(inside.status, 200);
            assert.equal(inside.body.toString(), 'export const sdk = 1;');
            for (const p of ['/app/escape.js', '/app/escape2.js', '/app/passwd.css', '/app/dangling.js', '/app/folder.css', '/app/fifo.js']) {
                const r = await raw(p);
                assertNotFound(r, p);
                assert.ok(!r.body.toString().includes('secret') && !r.body.toString().includes('root:'), `${p}: nothing leaked`);
            }
        } finally {
            await restartController(null);
            rmSync(base, { recursive: true, force: true });
        }
        assert.equal((await raw('/sdk/telemed.js')).body.length, readFileSync(join(ROOT, 'web', 'telemed.js')).length);
    });
});

describe('join link (join.app_url)', () => {
    test('app_url is <public_url>/app/#join=<base64url JSON {token, janus_ws_url, ice_servers, expires_at}>', T, async () => {
        const s = await createSession();
        const added = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient', display_name: 'Jane Roe' });
        const j = added.join;
        assert.equal(typeof j.app_url, 'string', show({ status: 201, text: JSON.stringify(Object.keys(j)) }));
        const prefix = `${ENV.TELEMED_URL}/app/#join=`;
        assert.ok(j.app_url.startsWith(prefix), `app_url starts with ${prefix}`);
        const frag = j.app_url.slice(prefix.length);
        assert.match(frag, /^[A-Za-z0-9_-]+$/, 'base64url without padding');
        const obj = JSON.parse(fromBase64url(frag));
        assert.deepEqual(Object.keys(obj).sort(), ['expires_at', 'ice_servers', 'janus_token', 'janus_ws_url', 'token']);
        assert.equal(obj.token, j.token);
        assert.equal(obj.janus_ws_url, j.janus_ws_url);
        assert.deepEqual(obj.ice_servers, j.ice_servers);
        assert.equal(obj.expires_at, j.expires_at);
        assert.ok(!frag.includes('Jane'), 'no name in the link');
        assert.ok(verifyHs256(obj.token, ENV.TOKEN_SECRET), 'the token in the link is the signed token');

        // The SDK decodes the same object from the link's fragment.
        const viaSdk = decodeJoinLink(new URL(j.app_url).hash);
        assert.deepEqual(viaSdk, { token: j.token, janus_ws_url: j.janus_ws_url, ice_servers: j.ice_servers, expires_at: j.expires_at,
            janus_token: j.janus_token });
        // The page behind the link is the app (the fragment stays in the browser).
        const page = await api('GET', new URL(j.app_url).pathname, { auth: false });
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);

        // The link's token joins the plugin.
        const { client, data } = await joinWith(obj.token, { janusToken: obj.janus_token });
        openClients.push(client);
        assert.equal(data.telemed, 'joined', JSON.stringify(data));
        assert.equal(data.participant_id, added.participant.id);

        // A fresh token gives a fresh link.
        const again = await addParticipant(s.id, { user_id: added.participant.user_id, role: 'patient' });
        assert.notEqual(again.join.app_url, j.app_url);
        assert.equal(decodeJoinLink(new URL(again.join.app_url).hash).token, again.join.token);
    });

    test('decodeJoinLink refuses malformed links and keeps an optional name hint', T, () => {
        const good = decodeJoinLink(`#join=${Buffer.from(JSON.stringify({ token: 't.t.t', janus_ws_url: 'wss://m.example/ws', ice_servers: [] })).toString('base64url')}&name=Ann%20Lee`);
        assert.equal(good.token, 't.t.t');
        assert.equal(good.name, 'Ann Lee');
        const bad = ['', '#', '#join=', '#join=***', '#other=1',
            `#join=${Buffer.from('not json').toString('base64url')}`,
            `#join=${Buffer.from(JSON.stringify({ janus_ws_url: 'ws://x/' })).toString('base64url')}`,
            `#join=${Buffer.from(JSON.stringify({ token: 'x', janus_ws_url: 'http://x/' })).toString('base64url')}`,
            `#join=${Buffer.from(JSON.stringify({ token: 'x', janus_ws_url: 'ws://x/', ice_servers: [{}] })).toString('base64url')}`,
            `#join=${'A'.repeat(20000)}`];
        for (const h of bad) {
            assert.throws(() => decodeJoinLink(h), (e) => e instanceof TelemedError && e.code === 'link', JSON.stringify(h.slice(0, 40)));
        }
    });
});

describe('display names (create_room grants)', () => {
    test('the others see a participant\'s display_name in the roster; null without one', T, async () => {
        const s = await createSession();
        const name = 'Dr. Ünïcode Grey';
        const a = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor', display_name: name });
        const b = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        const ja = await joinWith(a.join.token);
        openClients.push(ja.client);
        assert.equal(ja.data.telemed, 'joined', JSON.stringify(ja.data));
        const mark = ja.client.received.length;
        const jb = await joinWith(b.join.token);
        openClients.push(jb.client);
        assert.equal(jb.data.telemed, 'joined', JSON.stringify(jb.data));
        const seenByB = jb.data.participants.find((p) => p.participant_id === a.participant.id);
        assert.ok(seenByB, `B's roster lists A: ${JSON.stringify(jb.data.participants)}`);
        assert.equal(seenByB.display_name, name);
        const update = await ja.client.pluginEvent(ja.handle,
            (d) => d.telemed === 'participants' && d.participants.some((p) => p.participant_id === b.participant.id),
            { from: mark, what: 'roster update with B' });
        assert.equal(update.participants.find((p) => p.participant_id === b.participant.id).display_name, null);
    });
});

describe('SDK (Janus level, no media)', () => {
    function sdkClient(j, extra = {}) {
        const events = [];
        const c = new TelemedClient({ janusUrl: j.janus_ws_url, token: j.token, janusToken: j.janus_token, iceServers: j.ice_servers, WebSocket, requestTimeoutMs: 5000, ...extra });
        for (const ev of ['joined', 'waiting', 'admitted', 'denied', 'participants', 'muted', 'kicked', 'ended', 'closed', 'error']) {
            c.on(ev, (data) => events.push({ ev, data }));
        }
        openClients.push(c);
        return { c, events };
    }
    const waitEvent = (events, ev, pred = () => true, what = ev) =>
        eventually(() => events.find((e) => e.ev === ev && pred(e.data)), { timeout: 8000, interval: 50, what });

    test('connect joins; a lobby participant waits, the moderator sees and admits it; mute, 4044, kick', { timeout: 60000 }, async () => {
        const s = await createSession();
        const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor', display_name: 'Dr. Who' });
        const pat = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient', display_name: 'Pat Doe' });
        await transition(s.id, 'start');

        const d = sdkClient(doc.join);
        const joined = await d.c.connect();
        assert.equal(joined.telemed, 'joined');
        assert.equal(d.c.participantId, doc.participant.id);
        assert.equal(d.c.sessionId, s.id);
        assert.equal(d.c.role, 'doctor');
        assert.equal(d.c.status, 'admitted');
        assert.ok(d.c.connected);

        const p = sdkClient(pat.join);
        const pj = await p.c.connect();
        assert.equal(pj.status, 'waiting', JSON.stringify(pj));
        assert.equal(p.c.status, 'waiting');
        assert.equal(p.c.participants.size, 0);

        const w = await waitEvent(d.events, 'waiting', (list) => list.some((x) => x.participant_id === pat.participant.id), 'doctor sees the patient waiting');
        assert.equal(w.data.find((x) => x.participant_id === pat.participant.id).display_name, 'Pat Doe');

        const ok = await d.c.admit(pat.participant.id);
        assert.equal(ok.telemed, 'ok');
        await waitEvent(p.events, 'admitted');
        assert.equal(p.c.status, 'admitted');
        assert.equal(p.c.participants.get(doc.participant.id)?.display_name, 'Dr. Who');
        await waitEvent(d.events, 'participants', (m) => m.has(pat.participant.id));

        // Admitting again: the patient is no longer in the lobby.
        await assert.rejects(d.c.admit(pat.participant.id), (e) => e instanceof TelemedError && e.code === 4041);
        // A patient cannot moderate.
        await assert.rejects(p.c.kick(doc.participant.id), (e) => e.code === 4043);

        await d.c.mute(pat.participant.id, 'audio');
        await waitEvent(p.events, 'muted', (m) => m.mutedByModerator.includes('audio'));
        assert.deepEqual(p.c.mutedByModerator, ['audio']);
        await assert.rejects(p.c.unmuteSelf('audio'), (e) => e.code === 4044);
        await waitEvent(d.events, 'participants', (m) => m.get(pat.participant.id)?.muted_by_moderator.includes('audio'));
        await d.c.unmute(pat.participant.id, 'audio');
        await waitEvent(p.events, 'muted', (m) => !m.muted.includes('audio'));

        await d.c.kick(pat.participant.id);
        const k = await waitEvent(p.events, 'kicked');
        assert.equal(k.data.reason, 'kicked');
        assert.equal(p.c.status, 'kicked');
        await waitEvent(p.events, 'closed');
        assert.equal(p.c.connected, false);

        d.c.close();
        assert.equal(d.c.status, 'left');
        await waitEvent(d.events, 'closed');
    });

    test('connect rejects with the plugin error code; the token is not in the error', T, async () => {
        const s = await createSession();
        const pat = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient' });
        const parts = pat.join.token.split('.');
        const forged = `${parts[0]}.${parts[1]}.${parts[2].slice(0, -4)}AAAA`;
        const { c } = sdkClient({ ...pat.join, token: forged });
        const err = await c.connect().then(() => null, (e) => e);
        assert.ok(err instanceof TelemedError, String(err));
        assert.equal(err.code, 4013);
        assert.ok(!JSON.stringify({ m: err.message, ...err }).includes(parts[1]), 'no token in the error');
        assert.equal(c.connected, false);
        assert.equal(c.status, null);

        const { c: down } = sdkClient({ ...pat.join, janus_ws_url: 'ws://127.0.0.1:1/' });
        await assert.rejects(down.connect(), (e) => e.code === 'transport' || e.code === 'timeout');
    });

    test('a rejoin after a Janus restart takes the join object getToken returns, Janus token included', { timeout: 90000 }, async () => {
        const s = await createSession();
        const user = uniq('doc');
        const doc = await addParticipant(s.id, { user_id: user, role: 'doctor' });
        await transition(s.id, 'start');
        // The Janus token the client starts with is dead by the time Janus
        // restarts: only the one in getToken's join object lets the rejoin
        // create a Janus session (before, the SDK kept the old one: 403).
        let calls = 0;
        const { c } = sdkClient({ ...doc.join, janus_token: mintJanusToken({ ttlSeconds: 3 }) }, {
            getToken: async () => {
                calls += 1;
                return (await addParticipant(s.id, { user_id: user, role: 'doctor' })).join;  // same user: a fresh join
            },
        });
        const reconnected = [];
        c.on('reconnected', (d) => reconnected.push(d));
        assert.equal((await c.connect()).telemed, 'joined');
        await sleep(3500);  // the first Janus token has expired
        stackctl('restart-janus');
        await eventually(() => reconnected.length > 0, { timeout: 60000, interval: 200, what: 'the SDK rejoined' });
        assert.ok(calls >= 1, 'getToken was asked');
        assert.equal(reconnected[0].claimed, false, 'a new Janus session, not a claim');
        assert.equal(c.status, 'admitted', 'back in the room (a doctor bypasses the lobby)');
    });

    test('the session ending closes the SDK client with `ended`', T, async () => {
        const s = await createSession();
        const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        const { c, events } = sdkClient(doc.join);
        await c.connect();
        await transition(s.id, 'end');
        await waitEvent(events, 'ended');
        assert.equal(c.status, 'ended');
        await waitEvent(events, 'closed', (x) => x.status === 'ended');
    });
});
