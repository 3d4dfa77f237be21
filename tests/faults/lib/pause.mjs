// Pausing a service of the private stack (SIGSTOP / SIGCONT) for the fault
// tests. Processes are found from the PID scripts/stackctl wrote to
// stack.env (read afresh: an earlier test may have restarted the service)
// and that PID's descendants through /proc, never by name, so nothing
// outside this stack is ever signalled.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { stack } from '../../integ/lib/stack.mjs';

// The current value of KEY (e.g. POSTGRES_PID) in the stack's stack.env.
export function stackPid(key) {
    const text = readFileSync(join(stack.dir, 'stack.env'), 'utf8');
    const m = text.match(new RegExp(`^${key}=["']?(\\d+)["']?$`, 'm'));
    if (!m) throw new Error(`stack.env has no ${key}`);
    return Number(m[1]);
}

// Parent PID of every live process, from /proc/<pid>/stat (the field after
// the parenthesised command name, which may itself hold spaces or ')').
function parents() {
    const out = new Map();
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
            const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            out.set(Number(name), Number(rest[1]));
        } catch {
            // exited meanwhile
        }
    }
    return out;
}

// `root` and all its descendants.
export function processTree(root) {
    const ppid = parents();
    const tree = new Set([root]);
    let grew = true;
    while (grew) {
        grew = false;
        for (const [pid, parent] of ppid) {
            if (!tree.has(pid) && tree.has(parent)) {
                tree.add(pid);
                grew = true;
            }
        }
    }
    return [...tree];
}

function signal(pids, sig) {
    for (const pid of pids) {
        try {
            process.kill(pid, sig);
        } catch {
            // exited meanwhile
        }
    }
}

// Stops `root` first (so it forks nothing new), then every descendant;
// repeated until the tree is stable. Returns the stopped PIDs.
export function stopTree(root) {
    signal([root], 'SIGSTOP');
    const stopped = new Set([root]);
    for (let round = 0; round < 5; round++) {
        const fresh = processTree(root).filter((p) => !stopped.has(p));
        if (fresh.length === 0) break;
        signal(fresh, 'SIGSTOP');
        for (const p of fresh) stopped.add(p);
    }
    return [...stopped];
}

// Continues every PID of `pids` and the current tree of `root`.
export function contTree(root, pids = []) {
    signal([...new Set([...pids, ...processTree(root)])], 'SIGCONT');
}

// One timed request: {status, ms, res} or {error, ms}.
export async function timed(fn) {
    const t0 = performance.now();
    try {
        const res = await fn();
        return { res, status: res.status, ms: performance.now() - t0, started: t0 };
    } catch (e) {
        return { error: e, ms: performance.now() - t0, started: t0 };
    }
}

export function percentile(values, p) {
    if (!values.length) return NaN;
    const s = [...values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
