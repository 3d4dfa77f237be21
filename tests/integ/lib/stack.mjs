// Access to the private stack started by `scripts/stackctl start` (see
// scripts/test). Everything a test needs to talk to the controller, Postgres,
// Redis and the Janus admin API lives here; Janus WebSocket and JWT helpers
// are in janus.mjs and jwt.mjs.
//
// $TELEMED_STACK_DIR/stack.env holds KEY=VALUE lines: TELEMED_URL,
// TELEMED_API_KEY, JANUS_WS_URL, JANUS_HTTP_URL, JANUS_ADMIN_URL,
// JANUS_ADMIN_SECRET, TOKEN_KID, TOKEN_SECRET, TOKEN_ISSUER, CREDENTIAL_SECRET, TURN_SECRET,
// TURN_URL, PGURL, PSQL (command prefix), REDIS_CLI (command prefix).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PROBLEM_BASE = 'https://telemed.example/problems/';
export const PLUGIN = 'janus.plugin.telemed';
export const PERMISSIONS = ['publish_audio', 'publish_video', 'publish_screen', 'subscribe', 'chat',
    'share_files', 'record', 'moderate', 'bypass_lobby'];
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parseEnvFile(text) {
    const env = {};
    for (const rawLine of text.split('\n')) {
        const line = rawLine.replace(/\r$/, '');
        if (!line.trim() || line.trimStart().startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq <= 0) continue;
        const key = line.slice(0, eq).trim().replace(/^export\s+/, '');
        let value = line.slice(eq + 1);
        if (value.length >= 2 && ((value[0] === '"' && value.at(-1) === '"') ||
                                  (value[0] === "'" && value.at(-1) === "'"))) {
            value = value.slice(1, -1);
        }
        env[key] = value;
    }
    return env;
}

function loadStack() {
    const dir = process.env.TELEMED_STACK_DIR;
    if (!dir) throw new Error('TELEMED_STACK_DIR is not set (run through scripts/test, or start a stack with scripts/stackctl start)');
    const env = parseEnvFile(readFileSync(join(dir, 'stack.env'), 'utf8'));
    for (const k of ['TELEMED_URL', 'TELEMED_API_KEY', 'JANUS_WS_URL', 'JANUS_ADMIN_URL', 'JANUS_ADMIN_SECRET',
        'TOKEN_KID', 'TOKEN_SECRET', 'PSQL', 'REDIS_CLI']) {
        if (!env[k]) throw new Error(`stack.env lacks ${k}`);
    }
    env.TOKEN_ISSUER ||= 'telemed-controller';
    env.TELEMED_URL = env.TELEMED_URL.replace(/\/+$/, '');
    return { dir, env };
}

export const stack = loadStack();
export const ENV = stack.env;

// ---------------------------------------------------------------- timeouts

export function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

// Rejects when `promise` has not settled within `ms`.
export function within(promise, ms, what = 'operation') {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Polls `fn` (sync or async) until it returns a truthy value; returns it.
export async function eventually(fn, { timeout = 10000, interval = 200, what = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            const v = await within(Promise.resolve().then(fn), Math.max(1000, timeout), what);
            if (v) return v;
            last = v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`not within ${timeout} ms: ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
        }
        await sleep(interval);
    }
}

// ---------------------------------------------------------------- REST

// api('POST', '/sessions', {body}) -> {status, headers, json, text}
//   body:    object serialised as JSON (Content-Type application/json)
//   raw:     string/Buffer sent as is (Content-Type from headers, default application/json)
//   headers: extra headers; {authorization: null} sends none
//   auth:    false to send no Authorization header
export async function api(method, path, { body, raw, headers = {}, auth = true, timeout = 15000 } = {}) {
    const h = {};
    if (auth) h.authorization = `Bearer ${ENV.TELEMED_API_KEY}`;
    let payload;
    if (raw !== undefined) {
        payload = raw;
        h['content-type'] = 'application/json';
    } else if (body !== undefined) {
        payload = JSON.stringify(body);
        h['content-type'] = 'application/json';
    }
    for (const [k, v] of Object.entries(headers)) {
        const key = k.toLowerCase();
        if (v === null || v === undefined) delete h[key];
        else h[key] = v;
    }
    const res = await fetch(ENV.TELEMED_URL + path, {
        method,
        headers: h,
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeout),
    });
    const text = await within(res.text(), timeout, `${method} ${path} body`);
    let json;
    try {
        json = text.length ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
}

// Describes a response for assertion messages (never includes tokens).
export function show(res) {
    let t = res.text ?? '';
    t = t.replace(/"token":"[^"]*"/g, '"token":"…"');
    return `HTTP ${res.status} ${t.slice(0, 600)}`;
}

// The value of an unlabelled counter or gauge in GET /metrics (throws when
// the scrape fails or the family is missing).
export async function metric(name) {
    const r = await api('GET', '/metrics', { auth: false });
    if (r.status !== 200) throw new Error(`GET /metrics: ${show(r)}`);
    const m = r.text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
    if (!m) throw new Error(`/metrics has no ${name}`);
    return Number(m[1]);
}

export function problemType(slug) {
    return PROBLEM_BASE + slug;
}

// ---------------------------------------------------------------- fixtures

export function uniq(prefix = 't') {
    return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export async function createSession(fields = {}, headers = {}) {
    const res = await api('POST', '/sessions', { body: { kind: 'consultation', ...fields }, headers });
    if (res.status !== 201) throw new Error(`create session: ${show(res)}`);
    return res.json;
}

export async function addParticipant(sid, fields) {
    const res = await api('POST', `/sessions/${sid}/participants`, { body: fields });
    if (res.status !== 201 && res.status !== 200) throw new Error(`add participant: ${show(res)}`);
    return res.json;
}

export async function transition(sid, action) {
    const res = await api('POST', `/sessions/${sid}/${action}`);
    if (res.status !== 200) throw new Error(`${action} session: ${show(res)}`);
    return res.json;
}

// ---------------------------------------------------------------- processes

// scripts/stackctl <cmd> against this stack (restart-controller, stop-redis,
// start-redis, stop-janus, start-janus).
export function stackctl(cmd, { timeout = 60000 } = {}) {
    return execFileSync(join(ROOT, 'scripts', 'stackctl'), [cmd], {
        env: { ...process.env, TELEMED_STACK_DIR: stack.dir },
        cwd: ROOT,
        timeout,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
    });
}

// Restarts the stack's controller with extra settings `set` (the
// TELEMED_CONTROLLER_SET of scripts/stackctl, "key=value ..."; null: the
// stack's own configuration) and waits until it is healthy. A restart also
// empties the controller's rate limiters and read cache.
export async function restartController(set) {
    const env = { ...process.env, TELEMED_STACK_DIR: stack.dir };
    if (set) env.TELEMED_CONTROLLER_SET = set;
    else delete env.TELEMED_CONTROLLER_SET;
    execFileSync(join(ROOT, 'scripts', 'stackctl'), ['restart-controller'],
        { env, cwd: ROOT, timeout: 90000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    await eventually(healthy, { timeout: 30000, what: 'controller healthy after restart' });
}

// Runs SQL through the PSQL prefix. Returns rows as arrays of strings
// (tab-separated, unaligned). Throws on error.
export function psql(sql, { timeout = 15000 } = {}) {
    const r = psqlTry(sql, { timeout });
    if (!r.ok) throw new Error(`psql failed: ${r.stderr.trim()}`);
    return r.rows;
}

// Like psql but returns {ok, rows, stdout, stderr} instead of throwing.
export function psqlTry(sql, { timeout = 15000 } = {}) {
    const r = spawnSync('sh', ['-c', `${ENV.PSQL} -X -q -v ON_ERROR_STOP=1 -A -t -F "$(printf '\\t')"`], {
        input: sql,
        encoding: 'utf8',
        timeout,
        cwd: '/',
    });
    if (r.error) throw r.error;
    const stdout = r.stdout ?? '';
    const rows = stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
    return { ok: r.status === 0, rows, stdout, stderr: r.stderr ?? '' };
}

// Single value of a one-row, one-column query.
export function psqlValue(sql) {
    const rows = psql(sql);
    return rows.length ? rows[0][0] : undefined;
}

// SQL string literal (only for values the tests generate themselves; the
// hostile strings go through the REST API, never through here).
export function lit(s) {
    return `'${String(s).replace(/'/g, "''")}'`;
}

// redis-cli through the REDIS_CLI prefix; returns trimmed stdout lines.
export function redis(...args) {
    const r = spawnSync('sh', ['-c', `${ENV.REDIS_CLI} "$@"`, 'sh', ...args.map(String)], {
        encoding: 'utf8',
        timeout: 10000,
        cwd: '/',
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`redis-cli ${args[0]} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.split('\n').filter((l) => l.length > 0);
}

// HGETALL as an object.
export function redisHash(key) {
    const lines = redis('HGETALL', key);
    const o = {};
    for (let i = 0; i + 1 < lines.length; i += 2) o[lines[i]] = lines[i + 1];
    return o;
}

// ---------------------------------------------------------------- Janus admin

let txn = 0;
export function transaction(prefix = 'tx') {
    txn += 1;
    return `${prefix}-${process.pid}-${txn}-${randomUUID().slice(0, 8)}`;
}

// Raw Janus admin call: message_plugin towards janus.plugin.telemed. Returns
// Janus' whole answer ({"janus":"success","response":{...}} or an error).
// secret: undefined = the stack's secret, null = no admin_secret field.
export async function janusAdmin(request, { secret, timeout = 10000 } = {}) {
    const msg = { janus: 'message_plugin', transaction: transaction('adm'), plugin: PLUGIN, request };
    if (secret === undefined) msg.admin_secret = ENV.JANUS_ADMIN_SECRET;
    else if (secret !== null) msg.admin_secret = secret;
    const res = await fetch(ENV.JANUS_ADMIN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(timeout),
    });
    const text = await within(res.text(), timeout, 'janus admin body');
    return JSON.parse(text);
}

// The plugin's response object of a successful admin call (throws otherwise).
export async function plugin(request) {
    const r = await janusAdmin(request);
    if (r.janus !== 'success' || !r.response) {
        throw new Error(`janus admin ${request.request}: ${JSON.stringify(r).slice(0, 400)}`);
    }
    return r.response;
}

export async function roomInfo(sid) {
    return plugin({ request: 'room_info', room: sid });
}

export async function listRooms() {
    const r = await plugin({ request: 'list_rooms' });
    if (r.telemed !== 'rooms' || !Array.isArray(r.rooms)) throw new Error(`list_rooms: ${JSON.stringify(r).slice(0, 400)}`);
    return r.rooms;
}

// ---------------------------------------------------------------- misc

export async function healthy() {
    const r = await api('GET', '/healthz', { auth: false, timeout: 5000 });
    return r.status === 200;
}

export function nowSeconds() {
    return Math.floor(Date.now() / 1000);
}
