// compose.yaml brought up for real with podman-compose (scripts/test package
// runs this file inside the test network namespace): our three images
// (tests/package/build.sh) and the local stand-ins for the upstream
// postgres, redis and coturn images (build.d/60-compose.sh), a fresh .env
// from scripts/gen-secrets, ports apart from everything else in the tier.
// Checks what docs/DEPLOY.md promises an operator: /readyz, a session with a
// doctor who joins the plugin over the published Janus WebSocket, the
// recorder running, the databases not published, and the database volume
// surviving `down` + `up`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { joinWith } from '../integ/lib/janus.mjs';
import { ENV, ROOT, api, addParticipant, createSession, eventually, show, transition, uniq } from '../integ/lib/stack.mjs';
import { artifacts, parseEnv } from './lib.mjs';

const T = { timeout: 240000 };

const IMG = artifacts('images.env');
const STANDIN = artifacts('compose.env');
const PODMAN_ENV = { ...process.env, CONTAINERS_CONF: IMG.CONTAINERS_CONF, CONTAINERS_STORAGE_CONF: IMG.CONTAINERS_STORAGE_CONF };

// Ports of this file only (the stack's are 15432, 16379, 13478, 18080…;
// images.test.mjs uses 27088-28188 and 22000-22099).
const PORTS = { http: 29080, ws: 29188, rtpMin: 29200, rtpMax: 29219, turn: 29478, turnMin: 29500, turnMax: 29519 };
const PROJECT = `telemed-ctest-${randomBytes(3).toString('hex')}`;
let dir;
let secrets;

function compose(args, { timeout = 180000 } = {}) {
    const r = spawnSync('podman-compose', ['-p', PROJECT, ...args], { cwd: dir, env: PODMAN_ENV, encoding: 'utf8', timeout });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}
function podman(args, { timeout = 60000 } = {}) {
    const r = spawnSync('podman', args, { env: PODMAN_ENV, encoding: 'utf8', timeout });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function up() {
    const r = compose(['up', '-d']);
    assert.equal(r.status, 0, `podman-compose up: ${r.error ?? ''}\n${r.out.slice(-3000)}`);
}
function container(service) {
    return `${PROJECT}_${service}_1`;
}
function logsOf(service) {
    const r = podman(['logs', '--tail', '60', container(service)]);
    return `${r.stdout}${r.stderr}`;
}
async function ready() {
    try {
        await eventually(async () => {
            const r = await api('GET', '/readyz', { auth: false, timeout: 3000 }).catch(() => ({ status: 0 }));
            return r.status === 200 && r.json?.status === 'ready';
        }, { timeout: 150000, interval: 1000, what: 'the compose controller answers /readyz 200' });
    } catch (e) {
        for (const s of ['controller', 'janus', 'postgres']) console.log(`--- ${s}:\n${logsOf(s)}`);
        throw e;
    }
}
function refused(port) {
    return new Promise((res) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.setTimeout(2000);
        s.on('connect', () => { s.destroy(); res(false); });
        s.on('error', () => res(true));
        s.on('timeout', () => { s.destroy(); res(true); });
    });
}

before(() => {
    for (const k of ['TELEMED_IMAGE_JANUS', 'TELEMED_IMAGE_CONTROLLER', 'TELEMED_IMAGE_RECORDER']) assert.ok(IMG[k], `images.env gives ${k}`);
    dir = mkdtempSync(join(tmpdir(), 'telemed-compose-'));
    copyFileSync(join(ROOT, 'compose.yaml'), join(dir, 'compose.yaml'));
    // The operator's step: scripts/gen-secrets > .env (then the settings).
    const gen = spawnSync(join(ROOT, 'scripts', 'gen-secrets'), [], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    secrets = parseEnv(gen.stdout);
    const settings = {
        TELEMED_POSTGRES_IMAGE: STANDIN.TELEMED_POSTGRES_IMAGE,
        TELEMED_REDIS_IMAGE: STANDIN.TELEMED_REDIS_IMAGE,
        TELEMED_COTURN_IMAGE: STANDIN.TELEMED_COTURN_IMAGE,
        TELEMED_JANUS_IMAGE: IMG.TELEMED_IMAGE_JANUS,
        TELEMED_CONTROLLER_IMAGE: IMG.TELEMED_IMAGE_CONTROLLER,
        TELEMED_RECORDER_IMAGE: IMG.TELEMED_IMAGE_RECORDER,
        TELEMED_HTTP_PORT: PORTS.http,
        TELEMED_JANUS_WS_PORT: PORTS.ws,
        TELEMED_RTP_MIN_PORT: PORTS.rtpMin,
        TELEMED_RTP_MAX_PORT: PORTS.rtpMax,
        TELEMED_TURN_PORT: PORTS.turn,
        TELEMED_TURN_MIN_PORT: PORTS.turnMin,
        TELEMED_TURN_MAX_PORT: PORTS.turnMax,
        TELEMED_PUBLIC_URL: `http://127.0.0.1:${PORTS.http}`,
        TELEMED_JANUS_WS_URL: `ws://127.0.0.1:${PORTS.ws}/`,
        TELEMED_JANUS_EVENT_LOOPS: 1,
    };
    writeFileSync(join(dir, '.env'), gen.stdout + Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''),
        { mode: 0o600 });
    // The shared test helpers talk to this deployment.
    ENV.TELEMED_URL = `http://127.0.0.1:${PORTS.http}`;
    ENV.TELEMED_API_KEY = secrets.TELEMED_API_KEYS;
    ENV.JANUS_WS_URL = `ws://127.0.0.1:${PORTS.ws}/`;
    ENV.JANUS_TOKEN_SECRET = secrets.TELEMED_JANUS_TOKEN_SECRET;
});

after(() => {
    if (!dir) return;
    compose(['down'], { timeout: 120000 });
    for (const v of ['db', 'redis', 'files', 'recordings']) podman(['volume', 'rm', '-f', `${PROJECT}_${v}`]);
    podman(['network', 'rm', '-f', `${PROJECT}_default`]);  // podman-compose 1.0.3's down leaves it
    rmSync(dir, { recursive: true, force: true });
});

describe('compose.yaml with podman-compose', () => {
    let sid;

    test('up: every service runs and the controller is ready', T, async () => {
        up();
        await ready();
        for (const s of ['postgres', 'redis', 'coturn', 'janus', 'controller', 'recorder']) {
            const st = podman(['inspect', '-f', '{{.State.Status}}', container(s)]);
            assert.equal(st.stdout.trim(), 'running', `${s} runs: ${st.stderr}\n${logsOf(s)}`);
        }
        const ids = podman(['ps', '--filter', `label=io.podman.compose.project=${PROJECT}`, '--format', '{{.Names}}']);
        assert.equal(ids.stdout.trim().split('\n').length, 6, `six containers: ${ids.stdout}`);
    });

    test('a session, a doctor, and the doctor joins the plugin over the published WebSocket', T, async () => {
        const s = await createSession({ kind: 'consultation' });
        sid = s.id;
        const doc = await addParticipant(sid, { user_id: uniq('doc'), role: 'doctor' });
        assert.equal(doc.join.janus_ws_url, `ws://127.0.0.1:${PORTS.ws}/`, 'the join names the published WebSocket');
        assert.ok(doc.access.invite_url.startsWith(`http://127.0.0.1:${PORTS.http}/app/#invite=`), doc.access.invite_url);
        await transition(sid, 'start');
        const { client, data } = await joinWith(doc.join.token, { janusToken: doc.join.janus_token });
        try {
            assert.equal(data.telemed, 'joined', JSON.stringify(data));
            assert.equal(data.session_id, sid);
            assert.equal(data.participant_id, doc.participant.id);
        } finally {
            await client.close();
        }
    });

    test('the recorder runs the recording jobs and the controller leaves them to it', T, async () => {
        await eventually(() => /post-processing on/.test(logsOf('recorder')),
            { timeout: 30000, what: 'the recorder says post-processing is on' });
        assert.match(logsOf('controller'), /recording post-processing off/);
    });

    test('Postgres, Redis and the Janus Admin API are not published on the host', T, async () => {
        for (const port of [5432, 6379, 7088]) {
            assert.ok(await refused(port), `nothing listens on 127.0.0.1:${port}`);
        }
        const ports = podman(['port', container('postgres')]);
        assert.equal(ports.stdout.trim(), '', `postgres publishes nothing: ${ports.stdout}`);
    });

    test('down and up again: the session is still there (the db volume)', T, async () => {
        assert.ok(sid, 'a session was created');
        const down = compose(['down'], { timeout: 120000 });
        assert.equal(down.status, 0, down.out.slice(-2000));
        assert.equal(podman(['volume', 'exists', `${PROJECT}_db`]).status, 0, 'the db volume outlives down');
        up();
        await ready();
        const r = await api('GET', `/sessions/${sid}`);
        assert.equal(r.status, 200, show(r));
        assert.equal(r.json.status, 'active');
    });
});
