// The Debian packages (docs/DEPLOY.md "Debian package"): built by
// tests/package/build.sh into $TELEMED_PKG_OUT/debs, checked (lintian) and
// installed from Debian's mirror into a clean image FROM $TELEMED_BASE_IMAGE
// by tests/package/build.d/50-deb.sh, which writes $TELEMED_PKG_OUT/deb.env.
// Here (inside the tier's network namespace, with the stack's Postgres and
// Redis): what the packages hold, what their maintainer scripts do (user,
// generated secrets, reinstall, purge), the controller started from its
// installed unit's ExecStart= line, and Janus loading the packaged plugin.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { OUT, ROOT, configureVersion, freePort, getJson, last, notUpYet, parseEnv, sh, sleep, unitSettings } from './lib.mjs';

function podman(...args) {
    const r = sh('podman', args);
    assert.equal(r.status, 0, `podman ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
}

// A list setting with systemd's reset semantics.
function listOf(settings, key) {
    let v = [];
    for (const s of settings.filter((x) => x.key === key)) v = s.value === '' ? [] : v.concat(s.value.split(/\s+/));
    return v;
}

// The shell that starts a unit's process the way systemd would, in a
// container of the install image: StateDirectory= (and RuntimeDirectory=)
// made and owned by User=, UMask=, EnvironmentFile= read (as systemd does,
// as root), then User=/Group= with NoNewPrivileges (setpriv), then argv.
function unitLauncher(settings, { extraPre = [] } = {}) {
    const user = last(settings, 'User');
    const group = last(settings, 'Group') || user;
    const mode = last(settings, 'StateDirectoryMode') || '0755';
    const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
    const lines = ['set -e'];
    for (const d of listOf(settings, 'StateDirectory')) {
        lines.push(`mkdir -p /var/lib/${d} && chown ${user}:${group} /var/lib/${d} && chmod ${mode} /var/lib/${d}`);
    }
    for (const d of listOf(settings, 'RuntimeDirectory')) {
        lines.push(`mkdir -p /run/${d} && chown ${user}:${group} /run/${d} && chmod ${last(settings, 'RuntimeDirectoryMode') || '0755'} /run/${d}`);
    }
    const umask = last(settings, 'UMask');
    if (umask) lines.push(`umask ${umask}`);
    lines.push('set -a');
    for (const s of settings.filter((x) => x.key === 'EnvironmentFile' && x.value)) {
        const optional = s.value.startsWith('-');
        const f = optional ? s.value.slice(1) : s.value;
        lines.push(optional ? `[ ! -r ${q(f)} ] || . ${q(f)}` : `. ${q(f)}`);
    }
    lines.push('set +a');
    const drop = `setpriv --reuid=${user} --regid=${group} --init-groups --no-new-privs --`;
    for (const pre of extraPre) lines.push(`${drop} ${pre}`);
    lines.push(`exec ${drop} "$@"`);
    return lines.join('\n');
}

const V = configureVersion();

test('debian/changelog: the upstream version is configure.ac\'s, revision -N', () => {
    const head = readFileSync(join(ROOT, 'debian', 'changelog'), 'utf8').split('\n')[0];
    const m = /^telemed \(([^)]+)\) /.exec(head);
    assert.ok(m, `first line of debian/changelog names the source package telemed: ${head}`);
    const [upstream, revision] = [m[1].replace(/-[^-]+$/, ''), m[1].replace(/^.*-/, '')];
    assert.equal(upstream, V, 'bump configure.ac first, then `dch -v <version>-1` (docs/DEPLOY.md)');
    assert.match(revision, /^[0-9]+$/);
});

describe('the built packages', { concurrency: false }, () => {
    let E;
    before(() => {
        assert.ok(OUT, 'TELEMED_PKG_OUT is set (scripts/test package, /tmp/lead/pkg.sh)');
        const f = join(OUT, 'deb.env');
        assert.ok(existsSync(f), `${f} exists (tests/package/build.d/50-deb.sh writes it)`);
        E = parseEnv(readFileSync(f, 'utf8'));
        console.log(`# packages: telemed-controller ${(E.DEB_CONTROLLER_BYTES / 1024).toFixed(0)} KiB, `
            + `janus-plugin-telemed ${(E.DEB_PLUGIN_BYTES / 1024).toFixed(0)} KiB; install image `
            + `${(E.DEB_INSTALL_IMAGE_BYTES / 1e6).toFixed(0)} MB, apt-get install ${E.DEB_INSTALL_SECONDS} s${E.DEB_INSTALL_CACHED ? ' (cached)' : ''}`);
    });

    test('lintian: no errors (warnings listed)', () => {
        const log = readFileSync(E.DEB_LINTIAN_LOG, 'utf8');
        const errors = log.split('\n').filter((l) => l.startsWith('E: '));
        for (const l of log.split('\n').filter((x) => /^[EW]: /.test(x))) console.log(`# lintian ${l}`);
        assert.deepEqual(errors, []);
        assert.equal(E.DEB_LINTIAN_ERRORS, '0');
    });

    const field = (deb, f) => execFileSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).trim();
    const contents = (deb) => execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' })
        .split('\n').filter(Boolean).map((l) => l.replace(/^.* \.\//, '/').replace(/ -> .*$/, ''));
    const control = (deb, name) => {
        const r = sh('sh', ['-c', `dpkg-deb --ctrl-tarfile "$1" | tar -xO ./${name}`, 'sh', deb]);
        return r.status === 0 ? r.stdout : null;
    };

    test('names, version <configure.ac>-N, relationships', () => {
        assert.equal(field(E.DEB_CONTROLLER, 'Package'), 'telemed-controller');
        assert.equal(field(E.DEB_PLUGIN, 'Package'), 'janus-plugin-telemed');
        for (const deb of [E.DEB_CONTROLLER, E.DEB_PLUGIN]) {
            assert.equal(field(deb, 'Source'), 'telemed');
            assert.match(field(deb, 'Version'), new RegExp(`^${V.replaceAll('.', '\\.')}-[0-9]+$`));
            assert.match(field(deb, 'Depends'), /(^|, )adduser(,|$)/);
        }
        const cd = field(E.DEB_CONTROLLER, 'Depends');
        for (const lib of ['libpq5', 'libmicrohttpd12', 'libhiredis0.14', 'libcurl4']) {
            assert.match(cd, new RegExp(`(^|, )${lib.replaceAll('.', '\\.')} `), `${lib} from \${shlibs:Depends}`);
        }
        assert.match(field(E.DEB_PLUGIN, 'Depends'), /(^|, )janus( \(|,|$)/, "Debian's janus");
        const rec = field(E.DEB_CONTROLLER, 'Recommends').split(/,\s*/).map((x) => x.split(' ')[0]);
        for (const p of ['postgresql', 'redis-server', 'coturn', 'ffmpeg', 'janus-tools']) assert.ok(rec.includes(p), `Recommends ${p}`);
    });

    test('contents: binaries, web app, units, configs as conffiles, no secrets', () => {
        const c = contents(E.DEB_CONTROLLER);
        const p = contents(E.DEB_PLUGIN);
        for (const f of ['/usr/bin/telemed-controller', '/usr/share/telemed/web/telemed.js',
            '/usr/share/telemed/web/app/index.html', '/lib/systemd/system/telemed-controller.service',
            '/etc/telemed/telemed-controller.conf']) assert.ok(c.includes(f), `telemed-controller has ${f}`);
        assert.ok(p.some((f) => /^\/usr\/lib\/[a-z0-9_]+-linux-gnu\/janus\/plugins\/libjanus_telemed\.so$/.test(f)),
            "the plugin in Debian's janus plugin folder");
        for (const f of ['/lib/systemd/system/janus.service.d/telemed.conf', '/etc/janus/janus.plugin.telemed.jcfg']) {
            assert.ok(p.includes(f), `janus-plugin-telemed has ${f}`);
        }
        assert.ok(!p.some((f) => f.endsWith('.la')), 'no libtool archive');
        for (const f of [...c, ...p]) assert.ok(!/secrets\.env$|^\/etc\/telemed\/secrets/.test(f), `no secrets file shipped: ${f}`);
        assert.ok(c.includes('/usr/libexec/telemed/gen-secrets'), 'telemed-controller has the secrets generator');
        assert.deepEqual(control(E.DEB_CONTROLLER, 'conffiles').trim().split('\n'), ['/etc/telemed/telemed-controller.conf']);
        assert.deepEqual(control(E.DEB_PLUGIN, 'conffiles').trim().split('\n'), ['/etc/janus/janus.plugin.telemed.jcfg']);
        // The packaged configs carry no secret values (they come from secrets.env).
        const conf = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO ./etc/telemed/telemed-controller.conf', 'sh', E.DEB_CONTROLLER], { encoding: 'utf8' });
        for (const k of ['api_keys', 'token_keys', 'janus_admin_secret', 'credential_secret', 'storage_master_keys']) {
            assert.ok(!new RegExp(`^\\s*${k}\\s*=`, 'm').test(conf), `${k} is not set in the conffile`);
        }
        // The renderer ships with the plugin whenever `make install` installs it.
        const am = readFileSync(join(ROOT, 'Makefile.am'), 'utf8')
            + ['plugin/local.mk', 'scripts/local.mk'].filter((f) => existsSync(join(ROOT, f)))
                .map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
        if (/janus-config/.test(am)) assert.ok(p.includes('/usr/libexec/telemed/janus-config'), 'janus-plugin-telemed has the renderer');
        else console.log('# the renderer (janus-config) is not installed by make install yet: not in the package');
    });

    test('both postinst scripts carry the same user and secrets code', () => {
        const block = (t) => {
            const m = /# --- telemed common:[\s\S]*# --- end of telemed common/.exec(t ?? '');
            assert.ok(m, 'postinst has the telemed common block');
            return m[0];
        };
        assert.equal(block(control(E.DEB_CONTROLLER, 'postinst')), block(control(E.DEB_PLUGIN, 'postinst')));
    });
});

describe('installed into a clean container', { concurrency: false }, () => {
    let E, S, IMAGE;
    const names = [];
    const run = (script, ...args) => sh('podman', ['run', '--rm', '--network=host', IMAGE, 'sh', '-c', script, 'sh', ...args]);
    before(() => {
        E = parseEnv(readFileSync(join(OUT, 'deb.env'), 'utf8'));
        IMAGE = E.DEB_INSTALL_IMAGE;
        assert.ok(process.env.TELEMED_STACK_DIR, 'TELEMED_STACK_DIR is set (the tier starts Postgres and Redis)');
        S = parseEnv(readFileSync(join(process.env.TELEMED_STACK_DIR, 'stack.env'), 'utf8'));
    });
    after(() => {
        for (const n of names) sh('podman', ['rm', '-f', '-t', '2', n]);
    });

    test('the system user telemed, secrets.env generated (0640 root:telemed, every secret, all distinct)', () => {
        const r = run(`getent passwd telemed; stat -c '%a %U %G' /etc/telemed/secrets.env; grep -v '^#' /etc/telemed/secrets.env`);
        assert.equal(r.status, 0, r.stderr);
        const [pw, st, ...lines] = r.stdout.trim().split('\n');
        const [, , uid, , , home, shell] = pw.split(':');
        assert.ok(Number(uid) > 0 && Number(uid) < 1000, `system uid: ${uid}`);
        assert.equal(home, '/var/lib/telemed');
        assert.equal(shell, '/usr/sbin/nologin');
        assert.equal(st, '640 root telemed');
        const env = parseEnv(lines.join('\n'));
        const required = ['TELEMED_API_KEYS', 'TELEMED_TOKEN_KEYS', 'TELEMED_CREDENTIAL_SECRET', 'TELEMED_JANUS_ADMIN_SECRET',
            'TELEMED_JANUS_TOKEN_SECRET', 'TELEMED_PLUGIN_SECRET', 'TELEMED_JANUS_EVENTS_SECRET',
            'TELEMED_STORAGE_MASTER_KEYS', 'TELEMED_PLAYBACK_LINK_KEYS', 'TELEMED_TURN_SECRET'];
        for (const k of required) assert.match(env[k] ?? '', /^([a-z0-9]+:)?[0-9a-f]{64}$/, `${k}: 32 random bytes in hex`);
        assert.equal(env.TELEMED_TOKEN_KID, env.TELEMED_TOKEN_KEYS.split(':')[0], 'TELEMED_TOKEN_KID names the key');
        const values = required.map((k) => env[k].replace(/^[a-z0-9]+:/, ''));
        assert.equal(new Set(values).size, values.length, 'every secret differs');
    });

    test('the unit is enabled the Debian way, nothing was started', () => {
        const r = run(`readlink /etc/systemd/system/multi-user.target.wants/telemed-controller.service;
            ls /var/lib/systemd/deb-systemd-helper-enabled/ | grep -c telemed-controller; pgrep -c telemed-controller || true`);
        assert.equal(r.status, 0, r.stderr);
        const [link, state, procs] = r.stdout.trim().split('\n');
        assert.equal(link, '/lib/systemd/system/telemed-controller.service');
        assert.ok(Number(state) >= 1, 'deb-systemd-helper recorded the enablement (purge removes it)');
        assert.equal(procs, '0');
    });

    test('reinstall keeps secrets.env; purge removes it (only once both packages are purged) and the enablement', () => {
        const r = run(`set -e
            a=$(sha256sum /etc/telemed/secrets.env)
            dpkg -i /opt/telemed-debs/telemed-controller_*.deb /opt/telemed-debs/janus-plugin-telemed_*.deb >/dev/null
            b=$(sha256sum /etc/telemed/secrets.env)
            [ "$a" = "$b" ] && echo kept || echo regenerated
            dpkg --purge telemed-controller >/dev/null
            [ -e /etc/telemed/secrets.env ] && echo present-after-first-purge || echo gone-after-first-purge
            [ -e /etc/telemed/telemed-controller.conf ] && echo conf-left || echo conf-gone
            [ -e /etc/systemd/system/multi-user.target.wants/telemed-controller.service ] && echo link-left || echo link-gone
            dpkg --purge janus-plugin-telemed >/dev/null
            [ -e /etc/telemed/secrets.env ] && echo present-after-second-purge || echo gone-after-second-purge
            [ -e /etc/janus/janus.plugin.telemed.jcfg ] && echo jcfg-left || echo jcfg-gone
            getent passwd telemed >/dev/null && echo user-kept || echo user-gone
            dpkg -i /opt/telemed-debs/telemed-controller_*.deb >/dev/null
            c=$(sha256sum /etc/telemed/secrets.env)
            [ "$a" = "$c" ] && echo same-after-reinstall || echo new-after-reinstall`);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n'), ['kept', 'present-after-first-purge', 'conf-gone', 'link-gone',
            'gone-after-second-purge', 'jcfg-gone', 'user-kept', 'new-after-reinstall']);
    });

    test("the controller starts from its unit's ExecStart= and answers /readyz (postgres, redis ok; janus down), stops on SIGTERM with 0", async (t) => {
        const unitText = run('cat /lib/systemd/system/telemed-controller.service').stdout;
        const u = unitSettings(unitText).filter((s) => s.section === 'Service');
        const exec = last(u, 'ExecStart');
        assert.equal(exec, '/usr/bin/telemed-controller --config /etc/telemed/telemed-controller.conf');
        const port = await freePort();
        const name = `telemed-debtest-ctl-${process.pid}`;
        names.push(name);
        const redisHost = '127.0.0.1';
        podman('run', '-d', '--name', name, '--network=host', '--user', 'root',
            '-e', `TELEMED_DATABASE_URL=${S.PGURL}`, '-e', `TELEMED_REDIS_HOST=${redisHost}`,
            '-e', `TELEMED_REDIS_PORT=${S.REDIS_PORT}`, '-e', `TELEMED_PORT=${port}`,
            '-e', 'TELEMED_JANUS_ADMIN_URL=http://127.0.0.1:9/admin',
            IMAGE, 'sh', '-c', unitLauncher(u), 'sh', ...exec.split(/\s+/));
        let ready = null;
        const deadline = Date.now() + 40000;
        while (Date.now() < deadline) {
            try {
                const r = await getJson(`http://127.0.0.1:${port}/readyz`);
                if (r.body?.checks?.postgres === 'ok' && r.body?.checks?.redis === 'ok') { ready = r; break; }
            } catch (e) { if (!notUpYet(e)) throw e; }
            if (podman('inspect', '--format', '{{.State.Running}}', name).trim() !== 'true') break;
            await sleep(250);
        }
        const logs = () => sh('podman', ['logs', name]).stderr + sh('podman', ['logs', name]).stdout;
        assert.ok(ready, `/readyz reported postgres and redis ok within 40 s; log:\n${logs().slice(-3000)}`);
        assert.equal(ready.status, 503, 'not ready: Janus is down');
        assert.equal(ready.body.checks.janus, 'down');
        const health = await getJson(`http://127.0.0.1:${port}/healthz`);
        assert.equal(health.status, 200);
        // It runs as the unit's User, in the StateDirectory made for it.
        const ps = podman('exec', name, 'sh', '-c', 'stat -c %U /proc/1 /var/lib/telemed/files; ls -ld /var/lib/telemed/files | cut -c1-10');
        assert.deepEqual(ps.trim().split('\n'), ['telemed', 'telemed', 'drwxr-x---']);
        assert.match(podman('exec', name, '/usr/bin/telemed-controller', '--version'), new RegExp(`^telemed-controller ${V.replaceAll('.', '\\.')}\\n`));
        const t0 = Date.now();
        podman('stop', '-t', last(u, 'TimeoutStopSec') ?? '30', name);
        const code = podman('inspect', '--format', '{{.State.ExitCode}}', name).trim();
        t.diagnostic(`SIGTERM to exit: ${Date.now() - t0} ms`);
        assert.equal(code, '0', `clean exit on SIGTERM; log:\n${logs().slice(-2000)}`);
    });

    test('Janus loads the packaged plugin (janus.plugin.telemed, configure.ac version)', async (t) => {
        const dropIn = unitSettings(run('cat /lib/systemd/system/janus.service.d/telemed.conf').stdout)
            .filter((s) => s.section === 'Service');
        const execs = dropIn.filter((s) => s.key === 'ExecStart').map((s) => s.value);
        assert.equal(execs[0], '', 'the drop-in resets ExecStart');
        const exec = execs.at(-1).split(/\s+/);
        const pre = last(dropIn, 'ExecStartPre');
        assert.equal(run('test -x /usr/libexec/telemed/janus-config').status, 0, 'the plugin package has the renderer');
        const name = `telemed-debtest-janus-${process.pid}`;
        names.push(name);
        const launcher = unitLauncher(dropIn, { extraPre: [pre] });
        assert.ok(!exec.includes('--daemon') && !exec.includes('-b'), 'janus stays in the foreground');
        podman('run', '-d', '--name', name, '--network=host', '--user', 'root', IMAGE, 'sh', '-c', launcher, 'sh', ...exec);
        // The HTTP transport's port, from the configuration Janus was given.
        let port = null;
        let info = null;
        const deadline = Date.now() + 20000;
        while (Date.now() < deadline) {
            if (!port) {
                const c = sh('podman', ['exec', name, 'sh', '-c', 'cat /run/janus-telemed/janus.transport.http.jcfg']);
                if (c.status === 0) {
                    const general = /general\s*:\s*\{([\s\S]*?)\n\s*\}/.exec(c.stdout)?.[1] ?? '';
                    port = Number(/^\s*port\s*=\s*(\d+)/m.exec(general)?.[1] ?? 8088);
                }
            }
            if (port) {
                try {
                    const r = await getJson(`http://127.0.0.1:${port}/janus/info`);
                    if (r.status === 200 && r.body?.janus === 'server_info') { info = r.body; break; }
                } catch (e) { if (!notUpYet(e)) throw e; }
            }
            if (podman('inspect', '--format', '{{.State.Running}}', name).trim() !== 'true') break;
            await sleep(250);
        }
        const logs = sh('podman', ['logs', name]);
        assert.ok(info, `Janus answered info within 20 s; log:\n${(logs.stdout + logs.stderr).slice(-3000)}`);
        const plugin = info.plugins?.['janus.plugin.telemed'];
        assert.ok(plugin, `janus.plugin.telemed is loaded (${Object.keys(info.plugins ?? {})}); log:\n${(logs.stdout + logs.stderr).slice(-3000)}`);
        assert.equal(plugin.version_string, V);
        assert.equal(podman('exec', name, 'stat', '-c', '%U', '/proc/1').trim(), 'telemed', 'Janus runs as telemed');
        sh('podman', ['stop', '-t', '5', name]);
    });
});
