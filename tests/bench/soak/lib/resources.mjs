// Resource sampling for the soak benchmarks (tests/bench/soak/*.mjs): memory
// and descriptors of the stack's processes from /proc, Redis's INFO memory,
// the plugin's admin `stats`, a periodic sampler and the trend of a series.
// The stack's stack.env, the Admin API client and the statistics come from
// tests/bench/media/lib/common.mjs.
import { readFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';

import { TELEMED, pluginAdmin, within } from '../../media/lib/common.mjs';

function statusKiB(text, key) {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
}

// One process: VmRSS and RssAnon (KiB: the private anonymous part, where a
// heap leak shows; file and shared memory are not in it), open descriptors,
// threads, CPU seconds so far. null if it is gone.
export function procMem(pid) {
    try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return {
            cpuS: (Number(f[11]) + Number(f[12])) / 100,   // utime + stime (USER_HZ 100)
            rssKiB: statusKiB(status, 'VmRSS'),
            anonKiB: statusKiB(status, 'RssAnon'),
            threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
            fds: readdirSync(`/proc/${pid}/fd`).length,
        };
    } catch {
        return null;
    }
}

// Proportional set size (KiB) of one process: shared pages divided among the
// processes that map them, so a sum over processes counts Postgres's shared
// buffers once.
function pssKiB(pid) {
    try {
        return statusKiB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
        return 0;
    }
}

function childrenOf(ppid) {
    const out = [];
    for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            if (Number(f[1]) === ppid) out.push(Number(d));
        } catch {
            // gone meanwhile
        }
    }
    return out;
}

// Postgres: the postmaster and every child (backends of the controller's
// pool, checkpointer, walwriter, autovacuum...; cpuS of those alive now).
// rssKiB sums VmRSS (shared
// buffers counted once per process that touched them), anonKiB the private
// memory (what a backend leak grows), pssKiB the real footprint.
export function postgresMem(postmasterPid) {
    const pids = [postmasterPid, ...childrenOf(postmasterPid)];
    const out = { processes: 0, rssKiB: 0, anonKiB: 0, pssKiB: 0, cpuS: 0 };
    for (const pid of pids) {
        const m = procMem(pid);
        if (!m) continue;
        out.processes += 1;
        out.cpuS += m.cpuS;
        out.rssKiB += m.rssKiB;
        out.anonKiB += m.anonKiB;
        out.pssKiB += pssKiB(pid);
    }
    return out;
}

// Redis INFO memory → { usedMemory, usedMemoryRss } in bytes (RESP over a
// plain socket: no redis-cli process every sample).
export async function redisMemory(port) {
    const text = await within(new Promise((resolve, reject) => {
        const sock = createConnection({ host: '127.0.0.1', port });
        let buf = '';
        let want = -1;
        sock.setEncoding('utf8');
        sock.on('error', reject);
        sock.on('connect', () => sock.write('*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n'));
        sock.on('data', (d) => {
            buf += d;
            if (want < 0) {
                const nl = buf.indexOf('\r\n');
                if (nl < 0) return;
                if (buf[0] !== '$') { sock.destroy(); reject(new Error(`redis: ${buf.slice(0, 80)}`)); return; }
                want = Number(buf.slice(1, nl));
                buf = buf.slice(nl + 2);
            }
            if (Buffer.byteLength(buf) >= want) { sock.end(); resolve(buf); }
        });
    }), 5000, 'redis INFO memory');
    const num = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { usedMemory: num('used_memory'), usedMemoryRss: num('used_memory_rss') };
}

// The plugin's admin `stats` (docs/PROTOCOL.md), flattened: "handles.attached" → n.
export async function pluginStats(env) {
    const r = await pluginAdmin(env, TELEMED, { request: 'stats' });
    if (r.telemed !== 'stats') throw new Error(`stats answered ${JSON.stringify(r).slice(0, 200)}`);
    const flat = {};
    for (const [group, o] of Object.entries(r)) {
        if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) flat[`${group}.${k}`] = v;
    }
    return flat;
}

// Calls `take()` (async, returns an object) every `everyMs`, from now until
// stop(); each sample gets `t` (seconds since start). A failed sample is
// kept as { t, error }.
export class Sampler {
    constructor(take, everyMs) {
        this.take = take;
        this.everyMs = everyMs;
        this.samples = [];
        this.t0 = performance.now();
        this.timer = null;
        this.running = null;
    }

    async sampleNow() {
        const t = (performance.now() - this.t0) / 1000;
        try {
            this.samples.push({ t, ...(await this.take()) });
        } catch (e) {
            this.samples.push({ t, error: e.message });
        }
        return this.samples.at(-1);
    }

    start() {
        const tick = () => {
            this.running = this.sampleNow().finally(() => { this.running = null; });
            this.timer = setTimeout(tick, this.everyMs);
        };
        tick();
    }

    async stop() {
        clearTimeout(this.timer);
        if (this.running) await this.running;
    }
}

// Least-squares slope of (t, y) in y-units per minute; NaN below 3 points.
export function slopePerMin(points) {
    const p = points.filter(([t, y]) => Number.isFinite(t) && Number.isFinite(y));
    if (p.length < 3) return NaN;
    const n = p.length;
    const mt = p.reduce((a, [t]) => a + t, 0) / n;
    const my = p.reduce((a, [, y]) => a + y, 0) / n;
    let num = 0;
    let den = 0;
    for (const [t, y] of p) { num += (t - mt) * (y - my); den += (t - mt) ** 2; }
    return den > 0 ? 60 * num / den : NaN;
}

// A series in one line: "12.1 12.3 … 12.4" (at most `max` values, evenly
// picked, first and last always shown).
export function compact(values, digits = 1, max = 40) {
    const v = values.filter((x) => x !== undefined);
    if (v.length <= max) return v.map((x) => (Number.isFinite(x) ? x.toFixed(digits) : '?')).join(' ');
    const out = [];
    for (let i = 0; i < max; i += 1) {
        const x = v[Math.round(i * (v.length - 1) / (max - 1))];
        out.push(Number.isFinite(x) ? x.toFixed(digits) : '?');
    }
    return `${out.join(' ')} (${max} of ${v.length})`;
}

// Start → end of a resource series after the warm-up, as the SUMMARY shows
// it: start = the first sample at or after `fromT` seconds, end = the last;
// change in % of start and the least-squares slope per minute over the
// samples from `fromT` on. `pick` maps a sample to the number (or undefined).
export function trend(samples, pick, fromT) {
    const after = samples.filter((s) => !s.error && s.t >= fromT - 0.5 && Number.isFinite(pick(s)));
    if (!after.length) return { start: NaN, end: NaN, changePct: NaN, slope: NaN, n: 0 };
    const start = pick(after[0]);
    const end = pick(after.at(-1));
    return {
        start, end, n: after.length,
        changePct: start ? 100 * (end - start) / start : NaN,
        slope: slopePerMin(after.map((s) => [s.t, pick(s)])),
    };
}
