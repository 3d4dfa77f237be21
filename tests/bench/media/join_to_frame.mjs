#!/usr/bin/env node
// Join → first decoded remote video frame, janus.plugin.telemed against the
// stock janus.plugin.videoroom loaded in the same Janus, same headless
// Chromium (fake camera and microphone). Prints figures; asserts nothing.
//
// Per plugin, one publisher page stays in a room for the whole run, sending
// the fake camera. Each sample opens a new page that gets its camera, opens
// the WebSocket, creates the Janus session and attaches; then the clock
// starts when its `join` request leaves, and stops at the first getStats
// poll (every 20 ms) that shows framesDecoded > 0 for the publisher's video:
//   videoroom  join ptype=publisher → joined → attach a subscriber handle →
//              join ptype=subscriber streams=[{feed}] (Janus offers) →
//              answer + start; in parallel it publishes its own camera
//   telemed    join {token} → joined → one PeerConnection (camera and mic
//              sendrecv, also its audio and video slot) → configure (offer) →
//              answer; raw Janus API (default) or web/telemed.js (--sdk)
// Samples alternate between the plugins (the order flips every pair), after
// warm-up joins that are not counted.
//
// Usage (inside the stack's network namespace; tests/bench/media.sh does it):
//   TELEMED_STACK_DIR=... node tests/bench/media/join_to_frame.mjs [--samples N] [--warmup N]
//       [--only videoroom|telemed] [--sdk]
// Output: RESULT lines (machine-readable) and a summary on stdout; progress on stderr.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

import {
    ROOT, benchJanusToken, createTelemedSession, createVideoRoom, destroyVideoRoom, endTelemedSession, fmt, joinToken,
    loadStack, log, percentile, sleep, within,
} from './lib/common.mjs';

const { values: args } = parseArgs({
    options: {
        samples: { type: 'string', default: process.env.BENCH_JOIN_SAMPLES || '20' },
        warmup: { type: 'string', default: '2' },
        only: { type: 'string' },
        sdk: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '10000' },
    },
});
const SAMPLES = Math.max(1, Math.min(500, Number(args.samples) || 20));
const WARMUP = Math.max(0, Math.min(20, Number(args.warmup) || 0));
const STEP_MS = Math.max(2000, Math.min(120000, Number(args.timeout) || 20000));
const { env } = loadStack();

// ---------------------------------------------------------------- static pages

// /bench/* = tests/bench/media/page, /sdk/* = web/ (telemed.js).
const ROOTS = { '/bench/': join(ROOT, 'tests/bench/media/page'), '/sdk/': join(ROOT, 'web') };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };

function serve() {
    const server = createServer((req, res) => {
        const url = new URL(req.url, 'http://x');
        const prefix = Object.keys(ROOTS).find((p) => url.pathname.startsWith(p));
        const rel = prefix ? normalize(decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html') : '';
        const file = prefix && !rel.startsWith('..') ? join(ROOTS[prefix], rel) : '';
        if (!file || !existsSync(file) || !statSync(file).isFile() || !TYPES[extname(file)]) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { 'content-type': TYPES[extname(file)], 'cache-control': 'no-store' });
        createReadStream(file).pipe(res);
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---------------------------------------------------------------- browser

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', '--autoplay-policy=no-user-gesture-required'];

const openPages = new Set();

async function newPage(ctx, base) {
    const page = await ctx.newPage();
    openPages.add(page);
    page.setDefaultTimeout(STEP_MS);
    await page.goto(`${base}/bench/index.html`, { timeout: STEP_MS });
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: STEP_MS });
    return page;
}

// page.evaluate has no timeout of its own.
function run(page, fn, arg, what) {
    return within(page.evaluate(({ fn: f, arg: a }) => window.benchClient[f](a), { fn, arg }), STEP_MS + 5000, what);
}

async function closePage(page) {
    if (!openPages.delete(page)) return;
    try { await within(page.evaluate(() => window.benchClient.teardown()), 5000, 'teardown'); } catch { /* closed anyway */ }
    try { await within(page.close(), 5000, 'page close'); } catch { /* browser goes at the end */ }
}

// ---------------------------------------------------------------- main

async function main() {
    const server = await serve();
    const base = `http://127.0.0.1:${server.address().port}`;
    const profile = mkdtempSync(join(tmpdir(), 'bench-chromium-'));
    const ctx = await within(chromium.launchPersistentContext(profile, {
        executablePath: process.env.BENCH_CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS,
    }), 30000, 'chromium launch');
    const wsUrl = env.JANUS_WS_URL;
    const vrToken = benchJanusToken(env, ['janus.plugin.videoroom']);  // telemed joins use their join's janus_token
    const sdkUrl = `${base}/sdk/telemed.js`;
    const plugins = {};
    let vrRoom = null;
    let tmSession = null;
    try {
        // --- the publishers already in each room
        if (args.only !== 'telemed') {
            try {
                vrRoom = await createVideoRoom(env);
                const page = await newPage(ctx, base);
                const { feed } = await run(page, 'vrPublisher', { wsUrl, room: vrRoom, janusToken: vrToken, timeoutMs: STEP_MS }, 'videoroom publisher');
                plugins.videoroom = {
                    page,
                    sample: async (p) => run(p, 'vrJoiner', { wsUrl, room: vrRoom, feed, janusToken: vrToken, timeoutMs: STEP_MS }, 'videoroom join'),
                };
                await run(page, 'publisherWatch', null, 'publisher watch');
                log(`videoroom: room ${vrRoom}, publisher feed ${feed} up`);
            } catch (e) {
                log(`videoroom: publisher set-up failed: ${e.message}`);
            }
        }
        if (args.only !== 'videoroom') {
            try {
                if (args.sdk && !existsSync(join(ROOT, 'web/telemed.js'))) throw new Error('web/telemed.js missing');
                tmSession = await createTelemedSession(env, 'bench join_to_frame');
                const { token, janusToken } = await joinToken(env, tmSession);
                const page = await newPage(ctx, base);
                await run(page, args.sdk ? 'sdkPublisher' : 'tmPublisher', { wsUrl, token, janusToken, sdkUrl, timeoutMs: STEP_MS },
                    'telemed publisher');
                plugins.telemed = {
                    page,
                    sample: async (p) => {
                        const t = await joinToken(env, tmSession);
                        return run(p, args.sdk ? 'sdkJoiner' : 'tmJoiner', { wsUrl, token: t.token, janusToken: t.janusToken, sdkUrl, timeoutMs: STEP_MS },
                            'telemed join');
                    },
                };
                await run(page, 'publisherWatch', null, 'publisher watch');
                log(`telemed: session started, publisher up (${args.sdk ? 'web/telemed.js' : 'raw Janus API'})`);
            } catch (e) {
                log(`telemed: publisher set-up failed (plugin media side not ready?): ${e.message}`);
            }
        }
        const names = Object.keys(plugins);
        if (!names.length) throw new Error('no plugin could be set up');

        const res = Object.fromEntries(names.map((n) => [n, { ms: [], fail: 0, phases: [] }]));
        const once = async (name, counted) => {
            const page = await newPage(ctx, base);
            try {
                const r = await plugins[name].sample(page);
                if (counted) {
                    res[name].ms.push(r.ms);
                    res[name].phases.push(r.phases);
                }
                let pub = '';
                try {
                    const ev = await within(plugins[name].page.evaluate((t) => window.benchClient.publisherEvents(t), r.joinEpoch), 5000, 'events');
                    pub = ev.map((e) => `${e.what}@${fmt(e.at - r.joinEpoch, 0)}`).join(' ');
                } catch { /* diagnostics only */ }
                log(`${counted ? 'sample' : 'warm-up'} ${name}: ${fmt(r.ms)} ms ${JSON.stringify(r.phases)} ${JSON.stringify(r.counts ?? {})} publisher: ${pub}`);
            } catch (e) {
                if (counted) res[name].fail += 1;
                let pub = '';
                try { pub = await within(plugins[name].page.evaluate(() => window.benchClient.publisherDiag()), 5000, 'diag'); } catch { /* none */ }
                log(`${counted ? 'sample' : 'warm-up'} ${name}: FAILED ${e.message.split('\n')[0]} ${pub}`);
            } finally {
                await closePage(page);
                await sleep(300);
            }
        };
        for (let i = 0; i < WARMUP; i += 1) for (const n of names) await once(n, false);
        for (let i = 0; i < SAMPLES; i += 1) {
            const order = i % 2 ? [...names].reverse() : names;
            for (const n of order) await once(n, true);
        }

        // --- figures
        console.log(`\njoin -> first decoded remote frame (ms; ${SAMPLES} samples per plugin, alternating, ` +
            `${WARMUP} warm-up each; getStats polled every 20 ms)`);
        const p = {};
        for (const n of names) {
            const v = res[n].ms;
            p[n] = { p50: percentile(v, 0.5), p95: percentile(v, 0.95) };
            const phaseKeys = [...new Set(res[n].phases.flatMap((o) => Object.keys(o)))];
            const phaseTxt = phaseKeys.map((k) => `${k} ${fmt(percentile(res[n].phases.map((o) => o[k]).filter(Number.isFinite), 0.5), 0)}`).join(', ');
            console.log(`  ${n.padEnd(9)} n=${v.length} failed=${res[n].fail}  p50 ${fmt(p[n].p50)}  p95 ${fmt(p[n].p95)}  ` +
                `min ${fmt(Math.min(...v))}  max ${fmt(Math.max(...v))}`);
            console.log(`  ${''.padEnd(9)} median phase times from join: ${phaseTxt}`);
            console.log(`RESULT join_to_frame plugin=${n} n=${v.length} failed=${res[n].fail} p50_ms=${fmt(p[n].p50)} p95_ms=${fmt(p[n].p95)}`);
        }
        if (p.telemed && p.videoroom) {
            const r50 = p.telemed.p50 / p.videoroom.p50;
            const r95 = p.telemed.p95 / p.videoroom.p95;
            console.log(`  ratio telemed/videoroom: p50 ${fmt(r50, 2)}  p95 ${fmt(r95, 2)}  (goal <= 0.8; issue 17: p50 <= 0.5 and p50 <= 100 ms)`);
            for (const n of names) {
                if (res[n].fail) {
                    console.log(`  WARNING: ${n}: ${res[n].fail} of ${SAMPLES} joins saw no frame within ${STEP_MS} ms; ` +
                        'its figures and the ratio cover the successful joins only');
                }
            }
            console.log(`RESULT join_to_frame ratio_p50=${fmt(r50, 2)} ratio_p95=${fmt(r95, 2)}`);
        } else {
            console.log(`  ratio telemed/videoroom: n/a (${names.join(' only')})`);
        }
    } finally {
        for (const page of [...openPages]) await closePage(page);
        if (vrRoom !== null) await destroyVideoRoom(env, vrRoom);
        if (tmSession !== null) await endTelemedSession(env, tmSession);
        try { await within(ctx.close(), 10000, 'browser close'); } catch (e) { log(e.message); }
        server.close();
        rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
}

main().then(() => process.exit(0), (e) => {
    log(`join_to_frame: ${e.stack || e.message}`);
    process.exit(1);
});
