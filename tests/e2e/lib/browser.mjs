// Headless Debian Chromium (playwright-core, never a downloaded browser) for
// the e2e tier: one browser process per test, one browser context per
// participant, fake camera and microphone, a private profile and temporary
// folder that are removed after the browser is closed.
//
//   await withBrowser(t, async (b) => {
//       const doctor = await b.participant('doctor');
//       await doctor.goto(url);
//       ...
//   });
//
// Every step has a hard time limit: page.evaluate, navigation, clicks and
// screenshots go through `step()` (Promise.race), and closing the browser
// falls back to SIGKILL of our own Chromium children by PID.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

import { ROOT, sleep, within } from '../../integ/lib/stack.mjs';

const require_ = (await import('node:module')).createRequire(import.meta.url);
const { chromium } = require_('playwright-core');

export const CHROMIUM = process.env.TELEMED_CHROMIUM || '/usr/bin/chromium';
const HERE = dirname(fileURLToPath(import.meta.url));
export const PAGES_DIR = join(HERE, '..', 'pages');

// JANUS-NOTES §4: headless, no sandbox (root), no GPU, no QUIC, nothing in
// the background that reaches the network, fake devices granted without UI
// (which also keeps host candidates plain IPs, no mDNS), ICE on loopback
// addresses. No --disable-features here: it would replace Playwright's own.
export const CHROMIUM_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-dev-shm-usage',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    // Several pages in one process: do not throttle the ones in the background.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
];

// Where screenshots and failure dumps go (kept after the run; /test-results
// is ignored by git). TELEMED_E2E_ARTIFACTS overrides.
export const ARTIFACTS = process.env.TELEMED_E2E_ARTIFACTS || join(ROOT, 'test-results', 'e2e');

// Default time limits (ms).
export const STEP_MS = 10000;
const LAUNCH_MS = 20000;
const CLOSE_MS = 10000;

// step(what, promise, ms): the promise, or a rejection naming the step.
export function step(what, promise, ms = STEP_MS) {
    return within(Promise.resolve(promise), ms, what);
}

// The instrumentation every page gets before its own scripts run: records
// RTCPeerConnections and WebSockets, keeps fake-camera captures small (two
// cores shared by every participant), and computes WebRTC stats summaries.
const INSTRUMENT = readFileSync(join(HERE, 'instrument.js'), 'utf8');

// File name safe slug of a test name.
export function slug(s) {
    return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

// Our own Chromium processes: children of this node process whose
// executable lives under /usr/lib/chromium (or the configured binary).
function chromiumChildren() {
    const pids = [];
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid !== process.pid) continue;
            const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
            if (comm.startsWith('chromium') || comm.startsWith('chrome')) pids.push(Number(name));
        } catch {
            // gone already
        }
    }
    return pids;
}

// The process exists and is not a zombie.
function alive(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
        return false;
    }
}

const live = new Set();
after(async () => {
    for (const b of [...live]) await b.close();
});

export class Browser {
    constructor(name, dir) {
        this.name = name;
        this.dir = dir;              // private TMPDIR: profile and Playwright temp files
        this.browser = null;
        this.participants = [];
        this.pids = [];
        this.before = new Set();     // Chromium children of ours that predate this browser
        this.artifacts = join(ARTIFACTS, slug(name));
    }

    async launch() {
        // Playwright creates the profile under os.tmpdir(): point it (and
        // Chromium's own temporary files) at our private folder.
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = this.dir;
        this.before = new Set(chromiumChildren());
        try {
            this.browser = await step('launch chromium', chromium.launch({
                executablePath: CHROMIUM,
                headless: true,
                chromiumSandbox: false,
                args: CHROMIUM_FLAGS,
                env: { ...process.env, TMPDIR: this.dir },
                timeout: LAUNCH_MS,
            }), LAUNCH_MS + 2000);
        } finally {
            if (saved === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = saved;
        }
        this.pids = chromiumChildren().filter((p) => !this.before.has(p));
        return this;
    }

    // A new participant: its own browser context (cookies, storage, media
    // permissions) and one page with the instrumentation installed.
    async participant(name) {
        const context = await step(`${name}: new context`, this.browser.newContext({
            viewport: { width: 960, height: 600 },
            permissions: ['camera', 'microphone'],
        }));
        await context.addInitScript({ content: INSTRUMENT });
        const page = await step(`${name}: new page`, context.newPage());
        page.setDefaultTimeout(STEP_MS);
        page.setDefaultNavigationTimeout(STEP_MS);
        const p = new Participant(this, name, context, page);
        this.participants.push(p);
        return p;
    }

    // Screenshots of every open page and their logs, into the artifacts folder.
    async dump(reason = 'failure') {
        mkdirSync(this.artifacts, { recursive: true });
        for (const p of this.participants) {
            try {
                await p.screenshot(`${reason}-${p.name}`);
            } catch {
                // page gone
            }
            try {
                const events = await p.eval(() => {
                    if (window.H) return window.H.events;
                    if (window.R) return window.R.events;
                    try {
                        return window.telemedApp ? JSON.parse(JSON.stringify(window.telemedApp)) : null;
                    } catch {
                        return null;
                    }
                }, undefined, 3000);
                if (events) writeFileSync(join(this.artifacts, `${reason}-${p.name}-events.json`), JSON.stringify(events, null, 1));
            } catch {
                // page gone
            }
            writeFileSync(join(this.artifacts, `${reason}-${p.name}-console.log`), p.console.join('\n') + '\n');
        }
        return this.artifacts;
    }

    async close() {
        if (!live.has(this)) return;
        live.delete(this);
        // Close the PeerConnections first, while the pages still run: Chromium
        // then releases its TURN allocations (coturn's relay ports are few)
        // and Janus gets a proper DTLS close.
        let open = 0;
        for (const p of this.participants) {
            try {
                open += await step(`${p.name}: close PeerConnections`, p.page.evaluate(() => {
                    let n = 0;
                    for (const pc of window.__e2e?.pcs ?? []) {
                        if (pc.signalingState !== 'closed') {
                            pc.close();
                            n += 1;
                        }
                    }
                    return n;
                }), 2000);
            } catch {
                // page gone or hung: the context close below handles it
            }
        }
        if (open > 0) await sleep(300);
        for (const p of this.participants) {
            try {
                await step(`${p.name}: close context`, p.context.close(), 5000);
            } catch {
                // the browser close below takes everything down
            }
        }
        let closed = false;
        try {
            if (this.browser) {
                await step('close chromium', this.browser.close(), CLOSE_MS);
                closed = true;
            }
        } catch {
            // killed below
        }
        if (!closed) {
            // also a browser whose launch timed out but came up later
            const pids = new Set([...this.pids, ...chromiumChildren().filter((p) => !this.before.has(p))]);
            for (const pid of pids) {
                try {
                    process.kill(pid, 'SIGKILL');
                } catch {
                    // already gone
                }
            }
            await sleep(500);
        }
        // JANUS-NOTES §4: remove the profile only after the browser is gone.
        const deadline = Date.now() + 5000;
        while (this.pids.some(alive) && Date.now() < deadline) await sleep(100);
        for (let attempt = 0; ; attempt++) {
            try {
                rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
                break;
            } catch (e) {
                if (attempt >= 2) {
                    console.error(`e2e: could not remove ${this.dir}: ${e.message}`);
                    break;
                }
                await sleep(1000);
            }
        }
    }
}

// Runs fn(browser) with a fresh Chromium; on failure saves screenshots and
// logs of every page; always closes the browser and removes its folders.
export async function withBrowser(t, fn) {
    const name = t?.name ?? 'e2e';
    const dir = mkdtempSync(join(tmpdir(), 'telemed-e2e-chromium-'));
    const b = new Browser(name, dir);
    // This test's screenshots and dumps of an earlier run go first.
    rmSync(b.artifacts, { recursive: true, force: true });
    live.add(b);
    try {
        await b.launch();
        return await fn(b);
    } catch (e) {
        try {
            const where = await step('dump artifacts', b.dump('failure'), 20000);
            t?.diagnostic?.(`screenshots and logs of the failure: ${where}`);
            e.message += `\n(screenshots and logs: ${where})`;
        } catch {
            // keep the original error
        }
        throw e;
    } finally {
        await b.close();
    }
}

const CONSOLE_MAX = 2000;

export class Participant {
    constructor(browser, name, context, page) {
        this.browser = browser;
        this.name = name;
        this.context = context;
        this.page = page;
        this.console = [];
        const push = (line) => {
            if (this.console.length < CONSOLE_MAX) this.console.push(`${new Date().toISOString()} ${line}`);
        };
        page.on('console', (m) => push(`[${m.type()}] ${m.text().slice(0, 500)}`));
        page.on('pageerror', (e) => push(`[pageerror] ${String(e?.stack ?? e).slice(0, 1000)}`));
        page.on('crash', () => push('[crash] page crashed'));
        page.on('requestfailed', (r) => push(`[requestfailed] ${r.url().replace(/#.*/, '')} ${r.failure()?.errorText}`));
    }

    async goto(url, { ms = STEP_MS } = {}) {
        // The fragment (app join links carry the token there) is never logged.
        const shown = url.replace(/#.*/, '#…');
        const res = await step(`${this.name}: goto ${shown}`, this.page.goto(url, { waitUntil: 'load', timeout: ms }), ms + 1000);
        if (res && !res.ok()) throw new Error(`${this.name}: ${shown} answered HTTP ${res.status()}`);
        return res;
    }

    // page.evaluate with a hard time limit.
    eval(fn, arg, ms = STEP_MS) {
        return step(`${this.name}: evaluate`, this.page.evaluate(fn, arg), ms);
    }

    // Summaries of every RTCPeerConnection the page created (instrument.js).
    stats(ms = 5000) {
        return this.eval(() => window.__e2e.stats(), undefined, ms);
    }

    async screenshot(label) {
        mkdirSync(this.browser.artifacts, { recursive: true });
        const path = join(this.browser.artifacts, `${slug(label)}.png`);
        await step(`${this.name}: screenshot`, this.page.screenshot({ path, fullPage: true, timeout: 8000 }), 10000);
        return path;
    }

    // Clicks the element with data-testid TESTID (a string, or a CSS
    // selector when it starts with '[').
    async click(testid, { ms = STEP_MS } = {}) {
        const sel = testid.startsWith('[') ? testid : `[data-testid="${testid}"]`;
        await step(`${this.name}: click ${sel}`, this.page.locator(sel).first().click({ timeout: ms }), ms + 1000);
    }

    async waitVisible(testid, { ms = STEP_MS } = {}) {
        const sel = testid.startsWith('[') ? testid : `[data-testid="${testid}"]`;
        await step(`${this.name}: wait for ${sel}`, this.page.locator(sel).first().waitFor({ state: 'visible', timeout: ms }), ms + 1000);
    }
}
