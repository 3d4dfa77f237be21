// The container images (Dockerfile, tests/package/build.sh) started for
// real: Janus + plugin and the controller with host networking against the
// stack's Postgres and Redis (scripts/test package runs this file inside the
// network namespace where they run), configured from environment variables
// and a mounted secrets file. Checks: labels and version, no secret in any
// layer, refusal without secrets, only the needed Janus modules, /readyz,
// a session with a participant that joins the plugin over the Janus
// WebSocket with its join token, the HEALTHCHECK, non-root processes, a
// graceful SIGTERM stop, the recorder image.
//
// Reads $TELEMED_PKG_OUT/images.env (build.sh) and $TELEMED_STACK_DIR/stack.env.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { joinWith } from '../integ/lib/janus.mjs';
import { ENV, addParticipant, createSession, eventually, transition, uniq } from '../integ/lib/stack.mjs';
import { artifacts, configureVersion } from './lib.mjs';

const T = { timeout: 120000 };

// ------------------------------------------------------------ artifacts
const IMG = artifacts('images.env');
const VERSION = configureVersion();
const IMAGES = { janus: IMG.TELEMED_IMAGE_JANUS, controller: IMG.TELEMED_IMAGE_CONTROLLER, recorder: IMG.TELEMED_IMAGE_RECORDER };

// podman with the private configuration build.sh used (scripts/lib/podman.sh).
const PODMAN_ENV = { ...process.env, CONTAINERS_CONF: IMG.CONTAINERS_CONF, CONTAINERS_STORAGE_CONF: IMG.CONTAINERS_STORAGE_CONF };
function podman(args, { timeout = 60000, input } = {}) {
    const r = spawnSync('podman', args, { env: PODMAN_ENV, encoding: 'utf8', timeout, input });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}
function podmanOk(args, opts) {
    const r = podman(args, opts);
    assert.equal(r.status, 0, `podman ${args.join(' ')}: ${r.stderr || r.error}`);
    return r.stdout;
}
function inspect(image) {
    return JSON.parse(podmanOk(['image', 'inspect', image]))[0];
}
// Runs a shell command in a throw-away container of IMAGE (entrypoint bypassed).
function inImage(image, script, { user } = {}) {
    return podman(['run', '--rm', '--network=host', ...(user ? ['--user', user] : []), '--entrypoint', '/bin/sh', image, '-c', script]);
}

// -------------------------------------------------------------- set-up
// Ports apart from the stack's defaults (8080, 8088, 8188, 7088).
const PORTS = { ctl: 28080, http: 28088, ws: 28188, admin: 27088 };
const RUN_ID = randomBytes(4).toString('hex');
const NAMES = { janus: `telemed-imgtest-janus-${RUN_ID}`, controller: `telemed-imgtest-ctl-${RUN_ID}`,
    recorder: `telemed-imgtest-rec-${RUN_ID}` };
const started = new Set();
let work;
let secretsFile;
const SECRETS = {
    TELEMED_API_KEYS: ENV.TELEMED_API_KEY,
    TELEMED_DATABASE_URL: ENV.PGURL,
    TELEMED_TOKEN_KEYS: `${ENV.TOKEN_KID}:${ENV.TOKEN_SECRET}`,
    TELEMED_CREDENTIAL_SECRET: ENV.CREDENTIAL_SECRET,
    TELEMED_JANUS_ADMIN_SECRET: ENV.JANUS_ADMIN_SECRET,
    TELEMED_JANUS_TOKEN_SECRET: ENV.JANUS_TOKEN_SECRET,
    TELEMED_PLUGIN_SECRET: ENV.PLUGIN_SECRET,
    TELEMED_JANUS_EVENTS_SECRET: ENV.JANUS_EVENTS_SECRET,
    TELEMED_STORAGE_MASTER_KEYS: `k1:${randomBytes(32).toString('hex')}`,
    TELEMED_PLAYBACK_LINK_KEYS: `pb1:${randomBytes(16).toString('hex')}`,
    TELEMED_TURN_SECRET: ENV.TURN_SECRET,
};
const CONTROLLER_ENV = {
    TELEMED_LISTEN_ADDRESS: '127.0.0.1',
    TELEMED_PORT: String(PORTS.ctl),
    TELEMED_REDIS_HOST: '127.0.0.1',
    TELEMED_REDIS_PORT: ENV.REDIS_PORT,
    TELEMED_JANUS_ADMIN_URL: `http://127.0.0.1:${PORTS.admin}/admin`,
    TELEMED_JANUS_WS_URL: `ws://127.0.0.1:${PORTS.ws}/`,
    TELEMED_TOKEN_KID: ENV.TOKEN_KID,
    TELEMED_TOKEN_ISSUER: ENV.TOKEN_ISSUER,
    TELEMED_TURN_URLS: ENV.TURN_URL,
    TELEMED_PUBLIC_BASE_URL: `http://127.0.0.1:${PORTS.ctl}`,
};
const JANUS_ENV = {
    TELEMED_JANUS_HTTP_PORT: String(PORTS.http),
    TELEMED_JANUS_WS_PORT: String(PORTS.ws),
    TELEMED_JANUS_ADMIN_PORT: String(PORTS.admin),
    TELEMED_RTP_PORT_RANGE: '22000-22099',
    TELEMED_JANUS_CONTROLLER_URL: `http://127.0.0.1:${PORTS.ctl}`,
    TELEMED_TOKEN_ISSUER: ENV.TOKEN_ISSUER,
    TELEMED_JANUS_EVENT_LOOPS: '1',
    ...(ENV.ICE_IF ? { TELEMED_ICE_IF: ENV.ICE_IF } : {}),
};
const envArgs = (env) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

function runDetached(name, image, env, extra = [], cmd = []) {
    podman(['rm', '-f', '-v', name]);
    const out = podmanOk(['run', '-d', '--name', name, '--network=host', ...envArgs(env),
        '-v', `${secretsFile}:/etc/telemed/secrets.env:ro`,
        '-v', `${join(work, 'recordings')}:/var/lib/telemed/recordings`,
        ...extra, image, ...cmd]);
    started.add(name);
    return out.trim();
}
const logsOf = (name) => { const r = podman(['logs', name]); return r.stdout + r.stderr; };
const state = (name) => JSON.parse(podmanOk(['inspect', name]))[0].State;

before(() => {
    for (const [k, v] of Object.entries(SECRETS)) assert.ok(v, `stack.env gives ${k}`);
    work = mkdtempSync(join(tmpdir(), 'telemed-images-'));
    chmodSync(work, 0o755);
    // State folders owned by the images' telemed user (uid/gid 999).
    for (const d of ['recordings', 'files']) {
        mkdirSync(join(work, d));
        chownSync(join(work, d), 999, 999);
    }
    // The secrets file as the Debian package writes it: 0640 root:telemed.
    secretsFile = join(work, 'secrets.env');
    writeFileSync(secretsFile, `# test secrets\n${Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`).join('\n')}\n`,
        { mode: 0o640 });
    chownSync(secretsFile, 0, 999);
    // The integ helpers talk to this controller and this Janus.
    ENV.TELEMED_URL = `http://127.0.0.1:${PORTS.ctl}`;
    ENV.JANUS_WS_URL = `ws://127.0.0.1:${PORTS.ws}/`;
    ENV.JANUS_ADMIN_URL = `http://127.0.0.1:${PORTS.admin}/admin`;
});

after(() => {
    for (const name of started) {
        if (process.env.TELEMED_IMAGES_KEEP !== '1') podman(['rm', '-f', '-v', '-t', '5', name]);
    }
    if (work && process.env.TELEMED_IMAGES_KEEP !== '1') rmSync(work, { recursive: true, force: true });
});

// ------------------------------------------------------------- images
describe('images', () => {
    test('build.sh tagged the three images with configure.ac\'s version and OCI labels', () => {
        for (const [kind, image] of Object.entries(IMAGES)) {
            assert.ok(image?.endsWith(`/${kind}:${VERSION}`), `${kind}: ${image} is tagged ${VERSION}`);
            const labels = inspect(image).Config.Labels ?? {};
            assert.equal(labels['org.opencontainers.image.version'], VERSION, `${kind}: version label`);
            assert.equal(labels['org.opencontainers.image.title'], `telemed-${kind}`, `${kind}: title label`);
            for (const l of ['source', 'licenses', 'description']) {
                assert.ok(labels[`org.opencontainers.image.${l}`], `${kind}: label ${l}`);
            }
        }
    });

    test('each image holds the packages build.sh exported (not a stale layer)', () => {
        const sum = (f) => createHash('sha256').update(readFileSync(join(IMG.TELEMED_DEB_DIR, f))).digest('hex');
        const want = { janus: IMG.TELEMED_DEB_PLUGIN, controller: IMG.TELEMED_DEB_CONTROLLER, recorder: IMG.TELEMED_DEB_CONTROLLER };
        for (const [kind, image] of Object.entries(IMAGES)) {
            const deb = want[kind].split('/').pop();
            const r = inImage(image, 'cat /usr/local/share/telemed/debs.sha256sums');
            assert.equal(r.status, 0, `${kind}: ${r.stderr}`);
            const line = r.stdout.split('\n').find((l) => l.endsWith(`  ${deb}`));
            assert.ok(line, `${kind}: ${deb} listed in ${r.stdout}`);
            assert.equal(line.split(/\s+/)[0], sum(deb), `${kind}: built from the exported ${deb}`);
        }
        for (const kind of ['controller', 'recorder']) {
            const v = podman(['run', '--rm', '--network=host', '--entrypoint', '/usr/bin/telemed-controller', IMAGES[kind], '--version']);
            assert.match(v.stdout + v.stderr, new RegExp(`\\b${VERSION.replace(/\./g, '\\.')}\\b`), `${kind}: --version`);
        }
    });

    test('every image runs as the non-root user telemed (uid 999)', () => {
        for (const [kind, image] of Object.entries(IMAGES)) {
            assert.equal(inspect(image).Config.User, 'telemed', `${kind}: USER`);
            const r = podman(['run', '--rm', '--network=host', '--entrypoint', '/usr/bin/id', image, '-u']);
            assert.equal(r.stdout.trim(), '999', `${kind}: id -u (${r.stderr})`);
        }
    });

    test('no secret is baked into any image: environment, history, files', () => {
        const secretName = /SECRET|PASSWORD|_KEYS=|API_KEY|DATABASE_URL/i;
        for (const [kind, image] of Object.entries(IMAGES)) {
            const cfg = inspect(image).Config;
            for (const e of cfg.Env ?? []) assert.doesNotMatch(e, secretName, `${kind}: image env ${e.split('=')[0]}`);
            const hist = podmanOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]);
            assert.doesNotMatch(hist, /TELEMED_[A-Z_]*(SECRET|KEYS)=/, `${kind}: no secret assignment in the history`);
            // The packages' postinst generates /etc/telemed/secrets.env: the
            // image must not keep it (nor a generated TLS key).
            const r = inImage(image, 'ls -A /etc/telemed; for f in /etc/telemed/secrets.env /etc/ssl/private/ssl-cert-snakeoil.key; do [ -e "$f" ] && echo "FOUND $f"; done; ' +
                'grep -rIl -E "^[[:space:]]*(TELEMED_[A-Z_]*(SECRET|KEYS)|api_keys|token_keys|janus_admin_secret|plugin_secret|credential_secret|storage_master_keys)[[:space:]]*=[[:space:]]*[^[:space:]#]" /etc/telemed /etc/janus/janus.plugin.telemed.jcfg 2>/dev/null | sed "s/^/SET /"; true', { user: 'root' });
            assert.equal(r.status, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /FOUND|SET /, `${kind}: ${r.stdout}`);
        }
        // And no value of this run's secrets in any layer's metadata.
        for (const image of Object.values(IMAGES)) {
            const all = podmanOk(['image', 'inspect', image]) + podmanOk(['history', '--no-trunc', image]);
            for (const [k, v] of Object.entries(SECRETS)) assert.ok(!all.includes(v), `${k} not in ${image}`);
        }
    });

    test('the controller image has no ffmpeg (the recorder has ffmpeg and janus-pp-rec)', () => {
        const c = inImage(IMAGES.controller, 'command -v ffmpeg; command -v janus-pp-rec; command -v curl');
        assert.doesNotMatch(c.stdout, /ffmpeg|janus-pp-rec/, c.stdout);
        assert.match(c.stdout, /curl/, 'the HEALTHCHECK probe is there');
        const r = inImage(IMAGES.recorder, 'command -v ffmpeg && command -v ffprobe && command -v janus-pp-rec');
        assert.equal(r.status, 0, `recorder: ${r.stdout}${r.stderr}`);
    });

    test('the Janus image refuses to start without its secrets and names the variable, not a value', () => {
        const r = podman(['run', '--rm', '--network=host', '-e', `TELEMED_JANUS_ADMIN_SECRET=${SECRETS.TELEMED_JANUS_ADMIN_SECRET}`,
            '-e', `TELEMED_JANUS_TOKEN_SECRET=${SECRETS.TELEMED_JANUS_TOKEN_SECRET}`, IMAGES.janus], { timeout: 30000 });
        assert.equal(r.status, 2, `exit status: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /TELEMED_TOKEN_KEYS is required/);
        assert.ok(!r.stderr.includes(SECRETS.TELEMED_JANUS_ADMIN_SECRET), 'no secret value in the message');
        const bad = podman(['run', '--rm', '--network=host', '-e', 'TELEMED_TOKEN_KEYS=k1:short',
            '-e', `TELEMED_JANUS_ADMIN_SECRET=${SECRETS.TELEMED_JANUS_ADMIN_SECRET}`,
            '-e', `TELEMED_JANUS_TOKEN_SECRET=${SECRETS.TELEMED_JANUS_TOKEN_SECRET}`, IMAGES.janus], { timeout: 30000 });
        assert.equal(bad.status, 2, bad.stderr);
        assert.match(bad.stderr, /TELEMED_TOKEN_KEYS must be/);
        assert.ok(!bad.stderr.includes('k1:short'), 'the bad value is not echoed');
    });
});

// ----------------------------------------------------------- running
describe('running', () => {
    before(async () => {
        // Read-only root file systems: the images write only to their
        // volumes and to the tmpfs podman gives /run and /tmp.
        runDetached(NAMES.janus, IMAGES.janus, JANUS_ENV, ['--read-only']);
        runDetached(NAMES.controller, IMAGES.controller, CONTROLLER_ENV,
            ['--read-only', '-v', `${join(work, 'files')}:/var/lib/telemed/files`]);
        try {
            await eventually(async () => {
                for (const n of [NAMES.janus, NAMES.controller]) {
                    const st = state(n);
                    if (!st.Running) throw new Error(`${n} exited (${st.ExitCode}):\n${logsOf(n).slice(-3000)}`);
                }
                const r = await fetch(`http://127.0.0.1:${PORTS.ctl}/readyz`, { signal: AbortSignal.timeout(2000) });
                return r.status === 200;
            }, { timeout: 60000, interval: 500, what: 'controller /readyz 200' });
        } catch (e) {
            throw new Error(`${e.message}\n--- janus:\n${logsOf(NAMES.janus).slice(-2000)}\n--- controller:\n${logsOf(NAMES.controller).slice(-2000)}`);
        }
    });

    test('/readyz answers 200 with Postgres, Redis and Janus up', T, async () => {
        const r = await fetch(`http://127.0.0.1:${PORTS.ctl}/readyz`);
        assert.equal(r.status, 200);
        const body = await r.json();
        assert.equal(body.status, 'ready');
        for (const dep of ['postgres', 'redis', 'janus']) assert.equal(body.checks[dep], 'ok', `${dep}: ${JSON.stringify(body)}`);
    });

    test('Janus loads only the telemed plugin, the HTTP and WebSocket transports and sampleevh', T, async () => {
        const r = await fetch(`http://127.0.0.1:${PORTS.http}/janus/info`);
        const info = await r.json();
        assert.deepEqual(Object.keys(info.plugins), ['janus.plugin.telemed'], JSON.stringify(info.plugins));
        assert.deepEqual(Object.keys(info.transports).sort(), ['janus.transport.http', 'janus.transport.websockets']);
        assert.deepEqual(Object.keys(info.events ?? {}), ['janus.eventhandler.sampleevh']);
        // Rendered from this run's secrets; Debian's default admin secret is gone.
        const conf = podmanOk(['exec', NAMES.janus, '/bin/sh', '-c',
            'cat /run/janus-telemed/janus.jcfg 2>/dev/null || cat /tmp/janus-telemed.*/janus.jcfg']);
        assert.match(conf, /token_auth = true/);
        assert.ok(!conf.includes('janusoverlord'), "Debian's default admin_secret is not used");
        const admin = await fetch(ENV.JANUS_ADMIN_URL, { method: 'POST',
            body: JSON.stringify({ janus: 'list_sessions', transaction: 't1', admin_secret: 'janusoverlord' }) });
        assert.equal((await admin.json()).janus, 'error', "Debian's default admin secret is refused");
        const ok = await fetch(ENV.JANUS_ADMIN_URL, { method: 'POST',
            body: JSON.stringify({ janus: 'list_sessions', transaction: 't2', admin_secret: SECRETS.TELEMED_JANUS_ADMIN_SECRET }) });
        assert.equal((await ok.json()).janus, 'success');
    });

    test('a session, a participant, and its plugin join over the Janus WebSocket with the join token', T, async () => {
        const s = await createSession({ kind: 'consultation' });
        const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        assert.ok(doc.join?.token && doc.join?.janus_token, `join object: ${JSON.stringify(doc.join)}`);
        const { client, data } = await joinWith(doc.join.token, { janusToken: doc.join.janus_token });
        try {
            assert.equal(data.telemed, 'joined', JSON.stringify(data));
            assert.equal(data.session_id, s.id);
            assert.equal(data.participant_id, doc.participant.id);
        } finally {
            await client.close();
        }
    });

    test('the HEALTHCHECK turns healthy', T, async () => {
        const hc = inspect(IMAGES.controller).Config.Healthcheck ?? inspect(IMAGES.controller).Healthcheck;
        assert.ok(hc?.Test?.join(' ').includes('healthcheck'), `HEALTHCHECK: ${JSON.stringify(hc)}`);
        const r = podman(['healthcheck', 'run', NAMES.controller], { timeout: 30000 });
        assert.equal(r.status, 0, `podman healthcheck run: ${r.stdout}${r.stderr}`);
        assert.match(podmanOk(['inspect', '-f', '{{.State.Health.Status}}', NAMES.controller]), /healthy/);
    });

    test('the processes run as non-root (uid 999)', T, () => {
        for (const n of [NAMES.janus, NAMES.controller]) {
            const status = podmanOk(['exec', n, 'cat', '/proc/1/status']);
            const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
            assert.ok(uid, status);
            assert.deepEqual([uid[1], uid[2]], ['999', '999'], `${n}: PID 1 uid`);
            assert.match(status, /^Name:\s+(janus|telemed-contro)/m, `${n}: PID 1 is the daemon itself (exec)`);
        }
    });

    test('SIGTERM stops the controller gracefully: exit 0 and its "stopped" line', T, () => {
        podmanOk(['stop', '-t', '20', NAMES.controller], { timeout: 40000 });
        const st = state(NAMES.controller);
        assert.equal(st.Running, false);
        assert.equal(st.ExitCode, 0, `exit code; logs:\n${logsOf(NAMES.controller).slice(-2000)}`);
        assert.match(logsOf(NAMES.controller), /stopped/);
    });
});

// ------------------------------------------------------------ recorder
describe('recorder', () => {
    test('the recorder image runs telemed-controller --recordings-only', T, async (t) => {
        const help = podman(['run', '--rm', '--network=host', '--entrypoint', '/usr/bin/telemed-controller', IMAGES.recorder, '--help']);
        assert.match(help.stdout + help.stderr, /--recordings-only/);
        runDetached(NAMES.recorder, IMAGES.recorder, { ...CONTROLLER_ENV, TELEMED_PORT: String(PORTS.ctl + 1) });
        await new Promise((r) => setTimeout(r, 3000));
        const st = state(NAMES.recorder);
        assert.equal(st.Running, true, `recorder exited (${st.ExitCode}):\n${logsOf(NAMES.recorder).slice(-2000)}`);
        podmanOk(['stop', '-t', '20', NAMES.recorder], { timeout: 40000 });
        assert.equal(state(NAMES.recorder).ExitCode, 0, logsOf(NAMES.recorder).slice(-2000));
    });
});
