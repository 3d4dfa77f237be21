// systemd readiness (Type=notify, controller/sd_notify.hpp) of a real
// controller next to the stack's own (same binary and configuration, its own
// port), with NOTIFY_SOCKET pointing at a datagram socket this test listens
// on: while the migrations wait (the test holds their advisory lock) nothing
// says READY and the port is closed; READY=1 (with STATUS=) comes once, when
// the port accepts; WATCHDOG=1 keeps coming when WATCHDOG_USEC asks for it;
// SIGTERM gives STOPPING=1, then exit 0. A bad NOTIFY_SOCKET is never fatal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { freePort, notifySocket, startController } from './lib/extra_controller.mjs';
import { ENV, eventually, psqlValue, sleep, stack } from './lib/stack.mjs';

const T = { timeout: 90000 };
// db::run_migrations's pg_advisory_lock key ("telemed" as a big-endian bigint).
const MIGRATIONS_LOCK = 32762613530977636n;

function portAccepts(port) {
    return new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
    });
}

const cleanups = [];
after(async () => {
    for (const c of cleanups.reverse()) await c();
});

test('READY=1 once the migrations are applied and the port accepts, WATCHDOG=1 as asked, STOPPING=1 on SIGTERM, exit 0', T, async (t) => {
    const port = await freePort();
    const rx = await notifySocket(join(stack.dir, `notify-${process.pid}.sock`), { port });
    cleanups.push(() => rx.close());

    // Hold the migrations' lock for 4 s: the controller waits in its migrations.
    const holder = spawn('sh', ['-c', `${ENV.PSQL} -c "SELECT pg_advisory_lock(${MIGRATIONS_LOCK})" -c "SELECT pg_sleep(4)"`],
        { stdio: 'ignore' });
    const holderExit = new Promise((r) => holder.once('exit', () => r(Date.now())));
    cleanups.push(() => { if (holder.exitCode === null) holder.kill(); });
    const classid = Number(MIGRATIONS_LOCK >> 32n);
    const objid = Number(MIGRATIONS_LOCK & 0xffffffffn);
    await eventually(() => psqlValue(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
        AND classid = ${classid} AND objid = ${objid}`) === '1', { timeout: 10000, what: 'migrations lock held by the test' });

    const c = startController('controller-notify', [], {
        TELEMED_PORT: String(port),
        TELEMED_RECORDING_WORKERS: '0',
        NOTIFY_SOCKET: join(stack.dir, `notify-${process.pid}.sock`),
        WATCHDOG_USEC: '300000',
    });
    cleanups.push(() => c.stop());

    await sleep(1500);
    assert.equal(c.proc.exitCode, null, 'the controller waits, it does not exit');
    assert.ok(!rx.texts().some((m) => m.includes('READY=1')), `no READY while migrations wait: ${JSON.stringify(rx.texts())}`);
    assert.equal(await portAccepts(port), false, 'the port is not open before the migrations');

    const ready = await rx.waitFor((m) => m.split('\n').includes('READY=1'), 30000, 'READY=1');
    const acceptsAtReady = await portAccepts(port);
    const released = await holderExit;
    assert.equal(ready.portOpen, true, 'the port accepted a connection the moment READY=1 arrived');
    assert.ok(acceptsAtReady, 'the port accepts after READY=1');
    assert.ok(ready.at >= released - 50, 'READY=1 after the migrations could run');
    assert.ok(ready.text.split('\n').includes(`STATUS=listening on 127.0.0.1:${port}`), JSON.stringify(ready.text));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);

    // WATCHDOG_USEC=300000: WATCHDOG=1 every 150 ms.
    await eventually(() => rx.texts().filter((m) => m === 'WATCHDOG=1').length >= 3,
        { timeout: 5000, interval: 50, what: 'WATCHDOG=1 keep-alives' });

    c.proc.kill('SIGTERM');
    const code = await c.exited;
    assert.equal(code, 0, `exit status ${code}`);
    const stopping = await rx.waitFor((m) => m.split('\n').includes('STOPPING=1'), 5000, 'STOPPING=1');
    const texts = rx.texts();
    assert.equal(texts.filter((m) => m.split('\n').includes('READY=1')).length, 1, `READY=1 once: ${JSON.stringify(texts)}`);
    assert.ok(texts.indexOf(stopping.text) > texts.indexOf(ready.text), 'STOPPING=1 after READY=1');
    assert.ok(!c.logText().includes('NOTIFY_SOCKET'), 'no notify error was logged');
    t.diagnostic(`messages: ${JSON.stringify(texts.filter((m) => m !== 'WATCHDOG=1'))} + ${texts.filter((m) => m === 'WATCHDOG=1').length} x WATCHDOG=1`);
});

test('a bad NOTIFY_SOCKET is logged and never fatal', T, async () => {
    const bads = ['relative/notify.sock', join(stack.dir, 'no-such-dir', 'notify.sock')];
    for (const [i, bad] of bads.entries()) {
        const port = await freePort();
        const c = startController(`controller-notify-bad-${i}`, [], {
            TELEMED_PORT: String(port), TELEMED_RECORDING_WORKERS: '0', NOTIFY_SOCKET: bad,
        });
        cleanups.push(() => c.stop());
        await eventually(async () => {
            try {
                return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
            } catch {
                return false;
            }
        }, { timeout: 30000, what: `controller up with NOTIFY_SOCKET=${bad}` });
        assert.equal(await c.stop(), 0);
        const log = c.logText();
        assert.match(log, /NOTIFY_SOCKET: /, 'the problem is logged');
    }
});
