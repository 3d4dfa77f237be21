// Extra telemed-controller processes next to the stack's own (the same
// binary, the same generated configuration), and a systemd-style notify
// socket (sd_notify(3): an AF_UNIX datagram socket; node has none, so a tiny
// python3 listener prints each datagram as a JSON line).
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ROOT, eventually, stack } from './stack.mjs';

// The binary the stack's controller runs (so the integ-asan tier checks its
// own build), else TELEMED_CONTROLLER_BIN, else ./build's.
export function controllerExe() {
    try {
        const pid = Number(readFileSync(join(stack.dir, 'pids', 'controller.pid'), 'utf8').trim());
        const exe = readlinkSync(`/proc/${pid}/exe`);
        if (exe.includes('telemed-controller')) return exe;
    } catch {
        // no running controller
    }
    return process.env.TELEMED_CONTROLLER_BIN || join(ROOT, 'build', 'controller', 'telemed-controller');
}

// A TCP port the kernel found free.
export async function freePort() {
    const probe = createServer();
    await new Promise((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address();
    await new Promise((r) => probe.close(r));
    return port;
}

// With a port (argv[2]), a READY=1 datagram is answered at once, before
// anything else, by a TCP connect to that port: port_open says whether the
// sender was listening by the time it said READY (no node latency between).
const LISTENER = `
import json, socket, sys, time
addr = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print(json.dumps({"bound": True}), flush=True)
while True:
    data = s.recv(65536)
    out = {"msg": data.decode("utf-8", "replace")}
    if port and "READY=1" in out["msg"].split("\\n"):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            out["port_open"] = True
        except OSError:
            out["port_open"] = False
    print(json.dumps(out), flush=True)
`;

// Listens on `address` (an absolute path or '@abstract-name'). Returns
// { messages: [{ text, at, portOpen }], waitFor(pred, timeout), close() };
// `at` is Date.now() when the line reached us; portOpen (READY=1 messages,
// when `port` is given) whether `port` accepted a connection right then.
export async function notifySocket(address, { port } = {}) {
    const proc = spawn('python3', ['-u', '-c', LISTENER, address, ...(port ? [String(port)] : [])],
        { stdio: ['ignore', 'pipe', 'inherit'] });
    const messages = [];
    let bound = false;
    const waiters = new Set();
    createInterface({ input: proc.stdout }).on('line', (line) => {
        const o = JSON.parse(line);
        if (o.bound) bound = true;
        else messages.push({ text: o.msg, at: Date.now(), portOpen: o.port_open });
        for (const w of waiters) w();
    });
    await eventually(() => bound || proc.exitCode !== null, { timeout: 10000, what: 'notify listener bound' });
    if (!bound) throw new Error(`notify listener on ${address} did not start`);
    return {
        messages,
        texts: () => messages.map((m) => m.text),
        // The first message satisfying `pred`, waiting up to `timeout` ms.
        async waitFor(pred, timeout = 30000, what = 'notify message') {
            const found = () => messages.find((m) => pred(m.text));
            if (found()) return found();
            return new Promise((resolve, reject) => {
                const done = () => {
                    const m = found();
                    if (m) {
                        waiters.delete(done);
                        clearTimeout(timer);
                        resolve(m);
                    }
                };
                const timer = setTimeout(() => {
                    waiters.delete(done);
                    reject(new Error(`${what} not received within ${timeout} ms; got ${JSON.stringify(messages.map((x) => x.text))}`));
                }, timeout);
                waiters.add(done);
            });
        },
        close() {
            if (proc.exitCode === null) proc.kill('SIGTERM');
        },
    };
}

// Starts `telemed-controller --config <stack's> ...args` with `env` added to
// a minimal environment (PATH only: the stack's TELEMED_* variables stay
// out). Its output goes to logs/<name>.log (truncated first). Returns
// { proc, exited, logText, stop } where exited resolves to the exit code (or
// the signal name). `config`: another configuration file.
export function startController(name, args, env, { config } = {}) {
    const logPath = join(stack.dir, 'logs', `${name}.log`);
    const log = openSync(logPath, 'w');
    // Under the integ-asan tier: the sanitizer settings of the stack's
    // controller (reports into the tier's folder, leak checking on).
    const san = {};
    const asan = process.env.TELEMED_CONTROLLER_ASAN_OPTIONS || process.env.ASAN_OPTIONS;
    if (asan) san.ASAN_OPTIONS = asan;
    if (process.env.UBSAN_OPTIONS) san.UBSAN_OPTIONS = process.env.UBSAN_OPTIONS;
    const proc = spawn(controllerExe(), ['--config', config || join(stack.dir, 'controller.conf'), ...args], {
        env: { PATH: process.env.PATH, ...san, ...env },
        stdio: ['ignore', log, log],
    });
    const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
    return {
        proc,
        exited,
        logText: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
        async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15000))]);
        },
    };
}
