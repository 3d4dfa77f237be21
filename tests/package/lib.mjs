// Shared by the tests of tests/package/ (scripts/test package): where the
// build step's outputs are, env-file and unit-file parsing, child processes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// What tests/package/build.sh and build.d/*.sh wrote (images.env, deb.env, compose.env).
export const OUT = process.env.TELEMED_PKG_OUT || resolve(process.env.TELEMED_PKG_CACHE || '/var/cache/telemed-test', 'out');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// NAME=value lines (a value in double quotes loses them); comments and other lines are skipped.
export function parseEnv(text) {
    const env = {};
    for (const line of text.split('\n')) {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (!m) continue;
        let v = m[2];
        if (v.length >= 2 && v[0] === '"' && v.at(-1) === '"') v = v.slice(1, -1);
        env[m[1]] = v;
    }
    return env;
}

// One of the build step's env files in OUT.
export function artifacts(name) {
    return parseEnv(readFileSync(join(OUT, name), 'utf8'));
}

// configure.ac's AC_INIT version: the one version of everything.
export function configureVersion() {
    const m = /AC_INIT\(\[telemed\],\s*\[([^\]]+)\]/.exec(readFileSync(join(ROOT, 'configure.ac'), 'utf8'));
    if (!m) throw new Error('configure.ac has no AC_INIT([telemed], [VERSION], ...)');
    return m[1];
}

export function sh(cmd, args, opts = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
    if (r.error) throw r.error;
    return r;
}

// [Section] key=value lines of a unit file (repeated keys kept in order).
export function unitSettings(text) {
    const out = [];
    let section = '';
    for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#') || line.startsWith(';')) continue;
        const s = /^\[(.+)\]$/.exec(line);
        if (s) { section = s[1]; continue; }
        const eq = line.indexOf('=');
        if (eq > 0) out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
    }
    return out;
}
export const all = (settings, key) => settings.filter((s) => s.key === key).map((s) => s.value);
// The effective value of a single-valued setting ("" resets).
export const last = (settings, key) => all(settings, key).at(-1);

export function freePort() {
    return new Promise((res, rej) => {
        const srv = createServer();
        srv.once('error', rej);
        srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
    });
}

// Whether e is what polling a server that is not up yet throws: connection
// refused or reset, or the time limit. Anything else (a TypeError of the test,
// a server answering something unparseable) is a defect: callers rethrow it.
export function notUpYet(e) {
    const code = e?.cause?.code ?? e?.code;
    return e?.name === 'TimeoutError' || e?.name === 'AbortError'
        || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code);
}

// GET url (2 s limit): {status, body (parsed JSON or null), text}.
export async function getJson(url) {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await r.text();
    let body = null;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, body, text };
}
