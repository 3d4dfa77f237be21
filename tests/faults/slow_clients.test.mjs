// Issue 11, item 1: slow clients must not take the controller down.
//
// About 1,100 connections from five addresses of 127.0.0.0/8 (the tier runs
// in a private network namespace where all of 127/8 is on lo) each send a
// request head at one byte a second, and open a new connection a few
// seconds after the server closes one (as slowloris does: here 5 s). 127.0.0.3 opens
// 300 of them, more than per_ip_connection_limit (256). Meanwhile normal
// requests, each on a new connection (GET /healthz, GET /sessions/<id> with
// the API key, and GET /healthz from 127.0.0.3 itself), must be answered
// with 200 in under 2 s, for longer than the head deadline, so that both
// shedding (the attack exceeds the connection limits) and the head deadline
// (header_timeout_s) are exercised. Before the connection guard every normal
// request timed out and no slow connection was ever closed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ENV, api, createSession, healthy, restartController, sleep, stack } from '../integ/lib/stack.mjs';

const PORT = Number(new URL(ENV.TELEMED_URL).port);
const GROUPS = [
    { addr: '127.0.0.3', n: 300 },
    { addr: '127.0.0.4', n: 200 },
    { addr: '127.0.0.5', n: 200 },
    { addr: '127.0.0.6', n: 200 },
    { addr: '127.0.0.7', n: 200 },
];
const RECONNECT_MS = 5000;
const ATTACK_MS = 16000;
const PROBE_LIMIT_MS = 2000;
// The reaper looks every 200 ms; the rest is scheduling on a busy machine.
const REAPER_SLACK_MS = 2000;

// header_timeout_s of the stack's controller (the sample's default when unset).
function headerTimeoutMs() {
    const conf = readFileSync(join(stack.dir, 'controller.conf'), 'utf8');
    const m = /^[ \t]*header_timeout_s[ \t]*=[ \t]*"?(\d+)"?[ \t]*$/m.exec(conf);
    return (m ? Number(m[1]) : 10) * 1000;
}

// One request on a new connection; never rejects. {status, ms} or {error, ms}.
function probe(path, { localAddress, auth = false, timeout = 5000 } = {}) {
    const t0 = performance.now();
    return new Promise((resolve) => {
        const headers = auth ? { authorization: `Bearer ${ENV.TELEMED_API_KEY}` } : {};
        const req = http.request({ host: '127.0.0.1', port: PORT, path, headers, agent: false, localAddress, timeout }, (res) => {
            res.resume();
            res.on('end', () => resolve({ path, localAddress, status: res.statusCode, ms: performance.now() - t0 }));
            res.on('error', (e) => resolve({ path, localAddress, error: e.code ?? e.message, ms: performance.now() - t0 }));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
        req.on('error', (e) => resolve({ path, localAddress, error: e.code ?? e.message, ms: performance.now() - t0 }));
        req.end();
    });
}

// The attack: one slot per connection, re-opened RECONNECT_MS after the
// server closes it, until stop().
function slowloris() {
    const head = Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}`);
    const open = new Set();
    const lifetimes = [];  // ms from connect to the server's close
    let running = true;
    let refused = 0;
    let connects = 0;
    const slots = [];
    for (const g of GROUPS) for (let i = 0; i < g.n; i++) slots.push(g.addr);
    function start(addr) {
        if (!running) return;
        const s = { sock: connect({ host: '127.0.0.1', port: PORT, localAddress: addr }), at: 0, sent: 0 };
        s.sock.setNoDelay(true);
        s.sock.on('connect', () => { s.at = performance.now(); connects += 1; open.add(s); s.sock.write(head.subarray(0, 1)); s.sent = 1; });
        s.sock.on('data', () => {});
        s.sock.on('error', () => {});
        s.sock.on('close', () => {
            const was = open.delete(s);
            if (!running) return;
            if (was) lifetimes.push(performance.now() - s.at);
            else refused += 1;
            setTimeout(() => start(addr), RECONNECT_MS);
        });
    }
    const tick = setInterval(() => {
        for (const s of open) {
            if (s.sent < head.length) s.sock.write(head.subarray(s.sent, s.sent + 1));
            s.sent += 1;
        }
    }, 1000);
    for (const addr of slots) start(addr);
    return {
        open,
        lifetimes,
        get refused() { return refused; },
        get connects() { return connects; },
        slots: slots.length,
        stop() {
            running = false;
            clearInterval(tick);
            for (const s of open) s.sock.destroy();
            open.clear();
        },
    };
}

function pct(list, p) {
    if (!list.length) return NaN;
    const s = [...list].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

describe('slow clients', () => {
    let sid;
    const deadline = headerTimeoutMs();
    before(async () => {
        sid = (await createSession()).id;
    });
    after(async () => {
        // Whatever happened, the controller must serve again.
        for (let i = 0; i < 50 && !(await healthy().catch(() => false)); i++) await sleep(200);
    });

    test('1,100 trickling connections from five addresses: normal requests answer in < 2 s, slow ones are closed',
        { timeout: 60000 }, async (t) => {
            const attack = slowloris();
            const results = [];
            let oldestOpen = 0;
            try {
                // Let every slow connection connect once before probing.
                for (let i = 0; i < 50 && attack.connects < attack.slots; i++) await sleep(100);
                const opened = attack.open.size;
                const t0 = performance.now();
                while (performance.now() - t0 < ATTACK_MS) {
                    results.push(...await Promise.all([
                        probe('/healthz'),
                        probe(`/sessions/${sid}`, { auth: true }),
                        probe('/healthz', { localAddress: '127.0.0.3' }),
                    ]));
                    const now = performance.now();
                    for (const s of attack.open) oldestOpen = Math.max(oldestOpen, now - s.at);
                    await sleep(200);
                }
                t.diagnostic(`attack: ${opened} connections open when probing began, ${attack.open.size} at the end; ` +
                    `${attack.lifetimes.length} closed by the server, ${attack.refused} refused at accept`);
            } finally {
                attack.stop();
            }
            const ms = results.filter((r) => r.ms !== undefined).map((r) => r.ms);
            t.diagnostic(`normal requests: ${results.length}, latency p50 ${pct(ms, 50).toFixed(1)} ms, ` +
                `p99 ${pct(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
            const lt = attack.lifetimes;
            const shed = lt.filter((x) => x < deadline - 1000).length;
            const timedOut = lt.filter((x) => x >= deadline - 500).length;
            t.diagnostic(`slow connections closed by the server: ${shed} shed before the deadline, ${timedOut} at the ` +
                `${deadline / 1000} s head deadline; longest lived ${(Math.max(0, ...lt) / 1000).toFixed(2)} s, ` +
                `oldest still open ${(oldestOpen / 1000).toFixed(2)} s`);

            const bad = results.filter((r) => r.status !== 200 || r.ms >= PROBE_LIMIT_MS);
            assert.deepEqual(bad.slice(0, 5).map((r) => `${r.localAddress ?? 'default'} ${r.path}: ` +
                `${r.status ?? r.error} in ${r.ms.toFixed(0)} ms`), [], `${bad.length} of ${results.length} normal requests failed or took >= 2 s`);
            assert.ok(results.length >= 30, `enough normal requests (${results.length})`);
            assert.ok(shed > 0, 'connections were shed when the attack exceeded the limits');
            assert.ok(timedOut > 0, 'connections were closed at the head deadline');
            assert.ok(Math.max(0, ...lt) <= deadline + REAPER_SLACK_MS, `no slow connection lived past the deadline (${Math.max(...lt)} ms)`);
            assert.ok(oldestOpen <= deadline + REAPER_SLACK_MS, `no slow connection stayed open past the deadline (${oldestOpen} ms)`);
        });

    test('a lone trickling connection is closed at the head deadline; one that sends its head in time is served',
        { timeout: 30000 }, async () => {
            const slow = connect({ host: '127.0.0.1', port: PORT, localAddress: '127.0.0.4' });
            const t0 = await new Promise((resolve, reject) => {
                slow.once('connect', () => resolve(performance.now()));
                slow.once('error', reject);
            });
            const closed = new Promise((resolve) => slow.on('close', () => resolve(performance.now())));
            slow.on('error', () => {});
            const head = Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}`);
            let i = 0;
            const tick = setInterval(() => { if (!slow.destroyed) slow.write(head.subarray(i, ++i)); }, 1000);
            slow.write(head.subarray(0, ++i));
            try {
                // A head sent byte by byte over less than the deadline is fine.
                const ok = connect({ host: '127.0.0.1', port: PORT, localAddress: '127.0.0.5' });
                ok.on('error', () => {});
                let text = '';
                ok.on('data', (d) => { text += d.toString('latin1'); });
                const good = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
                for (let k = 0; k < good.length; k += 8) {
                    ok.write(good.subarray(k, k + 8));
                    await sleep(Math.floor((deadline / 2) / (good.length / 8)));
                }
                await new Promise((resolve) => { ok.on('close', resolve); setTimeout(resolve, 5000); });
                ok.destroy();
                assert.match(text, /^HTTP\/1\.1 200 /, 'a head sent slowly but within the deadline is served');

                const end = await Promise.race([closed, sleep(deadline + REAPER_SLACK_MS + 3000).then(() => null)]);
                assert.ok(end !== null, 'the trickling connection was closed by the server');
                const lived = end - t0;
                assert.ok(lived >= deadline - 500 && lived <= deadline + REAPER_SLACK_MS,
                    `closed at the deadline: after ${lived.toFixed(0)} ms (deadline ${deadline} ms)`);
            } finally {
                clearInterval(tick);
                slow.destroy();
            }
            assert.equal((await api('GET', '/healthz', { auth: false })).status, 200);
        });

    test('short deadlines (header_timeout_s=2, body_timeout_s=2): a trickled body and an idle kept-alive connection are closed',
        { timeout: 60000 }, async () => {
            const opened = () => new Promise((resolve, reject) => {
                const sock = connect({ host: '127.0.0.1', port: PORT });
                sock.once('connect', () => resolve(sock));
                sock.once('error', reject);
            });
            const closedAt = (sock) => new Promise((resolve) => {
                sock.on('error', () => {});
                sock.on('close', () => resolve(performance.now()));
            });
            await restartController('header_timeout_s=2,body_timeout_s=2');
            try {
                // A head sent at once, then a body at one byte a second: closed
                // 2 s after the head, although the connection is never idle.
                const slow = await opened();
                const slowClosed = closedAt(slow);
                let answer = '';
                slow.on('data', (d) => { answer += d.toString('latin1'); });
                const t0 = performance.now();
                slow.write(`POST /sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ENV.TELEMED_API_KEY}\r\n` +
                    'Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{');
                const tick = setInterval(() => { if (!slow.destroyed) slow.write(' '); }, 1000);
                // A kept-alive connection: one request, then silence.
                const idle = await opened();
                const idleClosed = closedAt(idle);
                let idleText = '';
                idle.on('data', (d) => { idleText += d.toString('latin1'); });
                idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
                for (let i = 0; i < 50 && !/\r\n\r\n/.test(idleText); i++) await sleep(20);
                const answered = performance.now();
                assert.match(idleText, /^HTTP\/1\.1 200 /, 'the kept-alive request is served');
                // A request sent in time is served meanwhile.
                assert.equal((await api('POST', '/sessions', { body: { kind: 'consultation' } })).status, 201);
                const [s1, s2] = await Promise.all([
                    Promise.race([slowClosed, sleep(8000).then(() => null)]),
                    Promise.race([idleClosed, sleep(8000).then(() => null)]),
                ]);
                clearInterval(tick);
                slow.destroy();
                idle.destroy();
                assert.ok(s1 !== null, 'the trickled body was cut off');
                assert.ok(s1 - t0 >= 1500 && s1 - t0 <= 2000 + REAPER_SLACK_MS, `body deadline: closed after ${(s1 - t0).toFixed(0)} ms`);
                assert.equal(answer, '', 'no answer to a request whose body never arrived');
                assert.ok(s2 !== null, 'the idle kept-alive connection was closed');
                assert.ok(s2 - answered >= 1500 && s2 - answered <= 2000 + REAPER_SLACK_MS,
                    `kept alive: closed ${(s2 - answered).toFixed(0)} ms after the response`);
            } finally {
                await restartController(null);
            }
        });
});
