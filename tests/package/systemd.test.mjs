// The systemd units (docs/DEPLOY.md "systemd"): conf/systemd/telemed-controller.service
// and the janus.service drop-in conf/systemd/janus.service.d/telemed.conf.
// Their settings are checked here as written, then as installed by the
// Debian packages: `systemd-analyze verify` and `systemd-analyze security
// --offline=true` on the root of the install image of
// tests/package/build.d/50-deb.sh (podman image mount), where ExecStart=
// exists, the user telemed exists and janus.service is Debian's own plus
// our drop-in. Each unit's exposure must be <= 2.0 ("OK"). Then the same
// image boots systemd as PID 1 (a privileged container: systemd makes the
// units' namespaces) and starts the units for real, so that the sandbox
// (seccomp filter, namespaces, no capabilities) is exercised, not only scored.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { OUT, ROOT, all, freePort, last, notUpYet, parseEnv, sh, sleep, unitSettings } from './lib.mjs';

const MAX_EXPOSURE = 2.0;
// The controller's drain on SIGTERM (controller/main.cpp: server.stop(10 s)).
const DRAIN_S = 10;

// The hardening both units share (the list and what
// systemd-analyze security scores).
function assertHardened(u, name) {
    const want = {
        ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
        NoNewPrivileges: 'yes', CapabilityBoundingSet: '', AmbientCapabilities: '',
        ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes',
        RestrictNamespaces: 'yes', RestrictSUIDSGID: 'yes', LockPersonality: 'yes',
        MemoryDenyWriteExecute: 'yes', SystemCallArchitectures: 'native', User: 'telemed',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(last(u, k), v, `${name}: ${k}=${v}`);
    assert.equal(all(u, 'SystemCallFilter')[0], '@system-service', `${name}: SystemCallFilter=@system-service`);
    assert.ok(all(u, 'SystemCallFilter').slice(1).some((v) => v.startsWith('~') && v.includes('@privileged')),
        `${name}: @privileged denied`);
    const fams = last(u, 'RestrictAddressFamilies').split(/\s+/);
    assert.ok(!fams.includes('AF_PACKET') && fams.includes('AF_INET'), `${name}: RestrictAddressFamilies`);
    assert.ok(all(u, 'EnvironmentFile').includes('/etc/telemed/secrets.env'), `${name}: reads secrets.env (required)`);
}

describe('units as written', () => {
    test('telemed-controller.service', () => {
        const u = unitSettings(readFileSync(join(ROOT, 'conf/systemd/telemed-controller.service'), 'utf8'));
        const s = u.filter((x) => x.section === 'Service');
        assert.equal(last(s, 'Type'), 'notify');
        assert.equal(last(s, 'ExecStart'), '/usr/bin/telemed-controller --config /etc/telemed/telemed-controller.conf');
        assert.ok(all(s, 'StateDirectory').join(' ').split(/\s+/).includes('telemed'));
        assert.equal(last(s, 'KillSignal'), 'SIGTERM');
        const stop = Number(/^(\d+)s?$/.exec(last(s, 'TimeoutStopSec'))?.[1]);
        assert.ok(stop > DRAIN_S, `TimeoutStopSec (${stop}) above the ${DRAIN_S} s drain`);
        assert.equal(last(s, 'Restart'), 'on-failure');
        assertHardened(s, 'telemed-controller.service');
        assert.equal(last(u.filter((x) => x.section === 'Install'), 'WantedBy'), 'multi-user.target');
    });

    test('janus.service.d/telemed.conf', () => {
        const u = unitSettings(readFileSync(join(ROOT, 'conf/systemd/janus.service.d/telemed.conf'), 'utf8'));
        const s = u.filter((x) => x.section === 'Service');
        assert.equal(last(s, 'Type'), 'exec');
        const exec = all(s, 'ExecStart');
        assert.deepEqual(exec.length, 2);
        assert.equal(exec[0], '', 'ExecStart= reset first (Debian\'s runs janus --daemon)');
        assert.match(exec[1], /^\/usr\/bin\/janus( .*)? -F \/run\/janus-telemed$/);
        assert.ok(!/--daemon|(^| )-b( |$)/.test(exec[1]));
        assert.equal(last(s, 'ExecStartPre'), '/usr/libexec/telemed/janus-config /run/janus-telemed');
        assert.equal(last(s, 'RuntimeDirectory'), 'janus-telemed');
        assert.ok(Number(last(s, 'LimitNOFILE')) >= 65536, 'many descriptors');
        assertHardened(s, 'janus drop-in');
        assert.ok(last(s, 'RestrictAddressFamilies').split(/\s+/).includes('AF_NETLINK'), 'libnice enumerates interfaces');
    });
});

describe('units as installed by the packages', { concurrency: false }, () => {
    let image, mnt;
    before(() => {
        const f = join(OUT, 'deb.env');
        assert.ok(existsSync(f), `${f} exists (tests/package/build.d/50-deb.sh writes it)`);
        image = parseEnv(readFileSync(f, 'utf8')).DEB_INSTALL_IMAGE;
        const r = sh('podman', ['image', 'mount', image]);
        assert.equal(r.status, 0, `podman image mount ${image}: ${r.stderr}`);
        mnt = r.stdout.trim();
        assert.ok(existsSync(join(mnt, 'usr/bin/telemed-controller')), 'the install image has the controller');
        assert.ok(existsSync(join(mnt, 'usr/libexec/telemed/janus-config')), 'the plugin package has the renderer');
    });
    after(() => { if (mnt) sh('podman', ['image', 'unmount', image]); });

    for (const unit of ['telemed-controller.service', 'janus.service']) {
        test(`systemd-analyze verify ${unit}`, () => {
            const r = sh('systemd-analyze', ['verify', '--man=no', `--root=${mnt}`, unit]);
            const lines = (r.stdout + r.stderr).split('\n').filter(Boolean);
            const status = r.status;
            assert.deepEqual(lines, []);
            assert.equal(status, 0);
        });

        test(`systemd-analyze security --offline=true ${unit} <= ${MAX_EXPOSURE}`, (t) => {
            const r = sh('systemd-analyze', ['security', '--offline=true', `--root=${mnt}`, '--no-pager', unit]);
            assert.equal(r.status, 0, r.stderr);
            const m = /Overall exposure level for (\S+): ([0-9.]+) (\S+)/.exec(r.stdout);
            assert.ok(m, r.stdout.slice(-500));
            console.log(`# ${m[1]}: exposure ${m[2]} ${m[3]}`);
            t.diagnostic(`${m[1]}: exposure ${m[2]} ${m[3]}`);
            assert.ok(Number(m[2]) <= MAX_EXPOSURE, `${unit}: ${m[2]} > ${MAX_EXPOSURE}`);
            // janus.service is scored WITH the drop-in: it runs as telemed, not as root.
            assert.match(r.stdout, /✓ User=\/DynamicUser=\s+Service runs under a static non-root user identity/);
        });
    }
});

describe('units under systemd as PID 1', { concurrency: false }, () => {
    let image, S;
    const name = `telemed-debtest-systemd-${process.pid}`;
    const ex = (script) => sh('podman', ['exec', name, 'sh', '-c', script]);
    before(async () => {
        image = parseEnv(readFileSync(join(OUT, 'deb.env'), 'utf8')).DEB_INSTALL_IMAGE;
        assert.ok(process.env.TELEMED_STACK_DIR, 'TELEMED_STACK_DIR is set (the tier starts Postgres and Redis)');
        S = parseEnv(readFileSync(join(process.env.TELEMED_STACK_DIR, 'stack.env'), 'utf8'));
        const r = sh('podman', ['run', '-d', '--name', name, '--privileged', '--systemd=always', '--network=host',
            image, '/lib/systemd/systemd']);
        assert.equal(r.status, 0, `systemd container: ${r.stderr}`);
        // The boot starts the enabled telemed-controller.service, which has no
        // local database here: it would keep the boot "starting" through its
        // ~30 s of migration retries. As soon as systemd answers, that start
        // job is cancelled; the tests below start the unit themselves.
        let state = '';
        for (let i = 0; i < 120 && !/^(initializing|starting|running|degraded)$/.test(state); i++) {
            await sleep(250);
            state = ex('systemctl is-system-running 2>/dev/null || true').stdout.trim();
        }
        assert.match(state, /^(initializing|starting|running|degraded)$/, `systemd answers: ${state}`);
        ex('systemctl stop telemed-controller.service');
        for (let i = 0; i < 120 && !/^(running|degraded)$/.test(state); i++) {
            await sleep(250);
            state = ex('systemctl is-system-running 2>/dev/null || true').stdout.trim();
        }
        assert.match(state, /^(running|degraded)$/, `systemd came up: ${state}`);
        assert.equal(ex('test -x /usr/libexec/telemed/janus-config').status, 0, 'the renderer is installed');
    });
    after(() => { sh('podman', ['rm', '-f', '-t', '2', name]); });

    const journal = (unit) => ex(`journalctl -u ${unit} --no-pager -n 40 2>&1`).stdout;
    const show = (unit, props) => Object.fromEntries(ex(`systemctl show -p ${props} ${unit}`).stdout.trim().split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

    test('telemed-controller.service starts sandboxed, answers /readyz, stops cleanly on SIGTERM', async (t) => {
        const port = await freePort();
        // The test stack instead of the local Postgres/Redis of a real host.
        const dropIn = ['[Service]', `Environment=TELEMED_DATABASE_URL=${S.PGURL}`, 'Environment=TELEMED_REDIS_HOST=127.0.0.1',
            `Environment=TELEMED_REDIS_PORT=${S.REDIS_PORT}`, `Environment=TELEMED_PORT=${port}`,
            'Environment=TELEMED_JANUS_ADMIN_URL=http://127.0.0.1:9/admin'];
        const d = '/run/systemd/system/telemed-controller.service.d';
        const w = sh('podman', ['exec', name, 'sh', '-c',
            `mkdir -p ${d} && printf '%s\\n' "$@" >${d}/test.conf && systemctl daemon-reload && systemctl restart telemed-controller`,
            'sh', ...dropIn]);
        assert.equal(w.status, 0, `systemctl restart telemed-controller: ${w.stderr}\n${journal('telemed-controller')}`);
        let ready = null;
        const deadline = Date.now() + 40000;
        while (Date.now() < deadline && !ready) {
            try {
                const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
                const body = await r.json();
                if (body?.checks?.postgres === 'ok' && body?.checks?.redis === 'ok') ready = { status: r.status, body };
            } catch (e) { if (!notUpYet(e)) throw e; }
            if (!ready) await sleep(250);
        }
        assert.ok(ready, `/readyz reported postgres and redis ok within 40 s:\n${journal('telemed-controller')}`);
        assert.equal(ready.body.checks.janus, 'down');
        const st = show('telemed-controller', 'ActiveState,SubState,MainPID');
        assert.equal(st.ActiveState, 'active');
        const pid = st.MainPID;
        const status = ex(`cat /proc/${pid}/status; stat -c %U /proc/${pid}`).stdout;
        assert.match(status, /^Seccomp:\s+2$/m, 'a seccomp filter is in place');
        assert.match(status, /^NoNewPrivs:\s+1$/m);
        assert.match(status, /^CapEff:\s+0+$/m, 'no effective capability');
        assert.match(status, /^CapBnd:\s+0+$/m, 'empty bounding set');
        assert.match(status, /^telemed$/m, 'runs as telemed');
        const files = ex('stat -c "%U %a" /var/lib/telemed/files /var/lib/telemed/recordings').stdout.trim();
        assert.equal(files, 'telemed 750\ntelemed 750', 'StateDirectory made the state folders');
        const stop = ex('systemctl stop telemed-controller');
        assert.equal(stop.status, 0, stop.stderr);
        const end = show('telemed-controller', 'Result,ExecMainStatus,ActiveState');
        assert.deepEqual(end, { Result: 'success', ExecMainStatus: '0', ActiveState: 'inactive' },
            journal('telemed-controller'));
    });

    test('janus.service with the drop-in loads the plugin, sandboxed, as telemed', async (t) => {
        const r = ex('systemctl restart janus');
        assert.equal(r.status, 0, `systemctl restart janus: ${r.stderr}\n${journal('janus')}`);
        const conf = ex('cat /run/janus-telemed/janus.transport.http.jcfg').stdout;
        const general = /general\s*:\s*\{([\s\S]*?)\n\s*\}/.exec(conf)?.[1] ?? '';
        const port = Number(/^\s*port\s*=\s*(\d+)/m.exec(general)?.[1] ?? 8088);
        let info = null;
        const deadline = Date.now() + 20000;
        while (Date.now() < deadline && !info) {
            try {
                const res = await fetch(`http://127.0.0.1:${port}/janus/info`, { signal: AbortSignal.timeout(2000) });
                const b = await res.json();
                if (b?.janus === 'server_info') info = b;
            } catch (e) { if (!notUpYet(e)) throw e; }
            if (!info) await sleep(250);
        }
        assert.ok(info, `Janus answered info:\n${journal('janus')}`);
        assert.ok(info.plugins?.['janus.plugin.telemed'], `plugin loaded:\n${journal('janus')}`);
        const pid = show('janus', 'MainPID').MainPID;
        const status = ex(`cat /proc/${pid}/status; stat -c %U /proc/${pid}`).stdout;
        assert.match(status, /^telemed$/m);
        assert.match(status, /^Seccomp:\s+2$/m);
        assert.match(status, /^CapEff:\s+0+$/m);
        ex('systemctl stop janus');
    });
});
