// The systemd units (docs/DEPLOY.md "systemd"): conf/systemd/telemed-controller.service
// and the janus.service drop-in conf/systemd/janus.service.d/telemed.conf.
// Their settings are checked here as written, then as installed by the
// Debian packages: `systemd-analyze verify` and `systemd-analyze security
// --offline=true` on the root of the install image of
// tests/package/build.d/50-deb.sh (podman image mount), where ExecStart=
// exists, the user telemed exists and janus.service is Debian's own plus
// our drop-in. Each unit's exposure must be <= 2.0 ("OK").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = process.env.TELEMED_PKG_OUT ?? '';
const MAX_EXPOSURE = 2.0;
// The controller's drain on SIGTERM (controller/main.cpp: server.stop(10 s)).
const DRAIN_S = 10;

function unitSettings(text) {
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
const all = (u, key) => u.filter((s) => s.key === key).map((s) => s.value);
const last = (u, key) => all(u, key).at(-1);
function parseEnv(text) {
    const env = {};
    for (const line of text.split('\n')) {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (m) env[m[1]] = m[2];
    }
    return env;
}
function sh(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (r.error) throw r.error;
    return r;
}

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
    let image, mnt, hasRenderer;
    before(() => {
        const f = join(OUT, 'deb.env');
        assert.ok(existsSync(f), `${f} exists (tests/package/build.d/50-deb.sh writes it)`);
        image = parseEnv(readFileSync(f, 'utf8')).DEB_INSTALL_IMAGE;
        const r = sh('podman', ['image', 'mount', image]);
        assert.equal(r.status, 0, `podman image mount ${image}: ${r.stderr}`);
        mnt = r.stdout.trim();
        assert.ok(existsSync(join(mnt, 'usr/bin/telemed-controller')), 'the install image has the controller');
        hasRenderer = existsSync(join(mnt, 'usr/libexec/telemed/janus-config'));
    });
    after(() => { if (mnt) sh('podman', ['image', 'unmount', image]); });

    const RENDERER_MISSING = 'janus.service: Command /usr/libexec/telemed/janus-config is not executable: No such file or directory';
    for (const unit of ['telemed-controller.service', 'janus.service']) {
        test(`systemd-analyze verify ${unit}`, (t) => {
            const r = sh('systemd-analyze', ['verify', '--man=no', `--root=${mnt}`, unit]);
            let lines = (r.stdout + r.stderr).split('\n').filter(Boolean);
            let status = r.status;
            if (unit === 'janus.service' && !hasRenderer) {
                // Until the renderer is packaged, that one line is expected.
                t.diagnostic('renderer not packaged yet: its ExecStartPre= line is the one error allowed');
                assert.ok(lines.includes(RENDERER_MISSING), lines.join('\n'));
                lines = lines.filter((l) => l !== RENDERER_MISSING);
                if (lines.length === 0) status = 0;
            }
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
