// telemed-controller --recordings-only (docs/OPERATIONS.md "Recorder mode"):
// the recording post-processing in a process of its own, as the recorder
// container runs it, next to a controller with recording_workers = 0.
//  - it refuses to start (exit 2, the reason named) when recordings are not
//    enabled in its configuration or a tool is missing; --help lists it;
//  - a real recording (two Chromium participants, the doctor consents)
//    stopped through REST stays `stopped` while only the main controller
//    runs (it does not process recordings any more), and becomes `available`
//    once the recorder runs: the recorder's log names it, the main
//    controller's does not; the recorder opens no HTTP port (it starts with
//    the stack's own configuration, whose port the main controller holds);
//  - the recorder's configuration holds none of the HTTP side's secrets;
//  - the recorder says READY=1 and STOPPING=1 on an abstract notify socket
//    and exits 0 on SIGTERM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { withBrowser } from '../e2e/lib/browser.mjs';
import { doctorAndPatient, sleep } from '../e2e/lib/telemed.mjs';
import { controllerExe, notifySocket, startController } from './lib/extra_controller.mjs';
import { api, eventually, lit, psql, restartController, show, stack } from './lib/stack.mjs';

const T = { timeout: 180000 };
const RECORDINGS = join(stack.dir, 'recordings');

const cleanups = [];
after(async () => {
    for (const c of cleanups.reverse()) await c();
    await restartController(null);  // the stack's own configuration again
});

async function getRecording(id) {
    const res = await api('GET', `/recordings/${id}`);
    assert.equal(res.status, 200, show(res));
    return res.json;
}

test('--help lists --recordings-only', () => {
    const r = spawnSync(controllerExe(), ['--help'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^ {2}--recordings-only$/m);
});

test('--recordings-only refuses to start (exit 2, reason named) when recordings are off or a tool is missing', T, async () => {
    // A configuration without recordings_dir (the stack's, that line removed).
    const conf = readFileSync(join(stack.dir, 'controller.conf'), 'utf8');
    const noDir = join(stack.dir, 'controller-no-recordings.conf');
    writeFileSync(noDir, conf.split('\n').filter((l) => !/^\s*recordings_dir\s*=/.test(l)).join('\n'), { mode: 0o600 });
    const noAdmin = join(stack.dir, 'controller-no-admin-secret.conf');
    writeFileSync(noAdmin, conf.split('\n').filter((l) => !/^\s*janus_admin_secret\s*=/.test(l)).join('\n'), { mode: 0o600 });
    const cases = [
        { env: { TELEMED_RECORDING_WORKERS: '0' }, reason: /recordings are not enabled: recording_workers = 0/ },
        { env: {}, config: noDir, reason: /recordings are not enabled: recordings_dir is not set/ },
        { env: {}, config: noAdmin, reason: /configuration: janus_admin_secret: required/ },
        { env: { TELEMED_FFMPEG_PATH: '/nonexistent/ffmpeg' }, reason: /ffmpeg_path \/nonexistent\/ffmpeg is not an executable/ },
        { env: { TELEMED_JANUS_PP_REC_PATH: '/usr/bin' }, reason: /janus_pp_rec_path \/usr\/bin is not an executable file/ },
    ];
    for (const [i, c] of cases.entries()) {
        const r = startController(`recorder-refused-${i}`, ['--recordings-only'], c.env, { config: c.config });
        cleanups.push(() => r.stop());
        const code = await Promise.race([r.exited, sleep(15000).then(() => 'still running')]);
        assert.equal(code, 2, `case ${i}: exit status ${code}; log: ${r.logText()}`);
        assert.match(r.logText(), c.reason, `case ${i}`);
    }
});

test('a controller with recording_workers = 0 leaves a stopped recording alone; a --recordings-only process makes it available', T, async (t) => {
    await restartController('recording_workers=0');
    const mainLog = join(stack.dir, 'logs', 'controller.log');
    await withBrowser(t, async (b) => {
        const s = await doctorAndPatient(b);
        const yes = await s.doctor.call('request', { request: 'consent', recording: true });
        assert.ok(yes.ok, JSON.stringify(yes));
        const no = await s.patient.call('request', { request: 'consent', recording: false });
        assert.ok(no.ok, JSON.stringify(no));
        const start = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
        assert.equal(start.status, 201, show(start));
        const rid = start.json.id;
        await sleep(3000);
        const stop = await api('POST', `/sessions/${s.sid}/recordings/stop`, { body: {} });
        assert.equal(stop.status, 200, show(stop));

        // Only the main controller (recording_workers = 0): nothing takes it.
        await eventually(() => existsSync(join(RECORDINGS, s.sid, rid, 'manifest.json')),
            { timeout: 15000, what: 'the manifest written by the plugin' });
        await sleep(3000);
        assert.equal((await getRecording(rid)).state, 'stopped', 'the main controller does not process recordings');

        const notifyName = `@telemed-recorder-test/${process.pid}`;
        const rx = await notifySocket(notifyName);
        cleanups.push(() => rx.close());
        // The stack's configuration file now says recording_workers = 0 (the
        // main controller's); the recorder overrides it, as a recorder
        // container sharing the file would (TELEMED_RECORDING_WORKERS).
        // Its file lacks every secret of the HTTP side (a recorder container
        // needs none of them): the stack's file without those lines.
        const httpSecrets = ['api_keys', 'token_keys', 'token_kid', 'credential_secret', 'plugin_secret',
            'janus_token_secret', 'janus_events_secret', 'playback_link_keys', 'turn_secret', 'turn_urls'];
        const recorderConf = join(stack.dir, 'controller-recorder.conf');
        writeFileSync(recorderConf, readFileSync(join(stack.dir, 'controller.conf'), 'utf8').split('\n')
            .filter((l) => !httpSecrets.some((k) => new RegExp(`^\\s*${k}\\s*=`).test(l))).join('\n'), { mode: 0o600 });
        const recorder = startController('recorder', ['--recordings-only'],
            { NOTIFY_SOCKET: notifyName, TELEMED_RECORDING_WORKERS: '1' }, { config: recorderConf });
        cleanups.push(() => recorder.stop());
        const ready = await rx.waitFor((m) => m.split('\n').includes('READY=1'), 30000, 'READY=1 from the recorder');
        assert.match(ready.text, /^STATUS=processing recordings \(\d+ worker\(s\)\)$/m);

        let rec;
        await eventually(async () => {
            rec = await getRecording(rid);
            return ['available', 'incomplete', 'failed'].includes(rec.state);
        }, { timeout: 60000, interval: 250, what: 'the recording processed' });
        assert.equal(rec.state, 'available', JSON.stringify(rec));
        assert.equal(rec.attempts, 1);
        assert.deepEqual(rec.outputs.map((o) => o.kind).sort(), ['composite', 'participant']);
        assert.equal(rec.outputs.find((o) => o.kind === 'participant').participant_id, s.people.doctor.id);
        for (const o of rec.outputs) assert.ok(existsSync(join(stack.dir, 'data', 'blobs', o.id.slice(0, 2), o.id)), `blob ${o.id}`);
        assert.ok(!existsSync(join(RECORDINGS, s.sid, rid)), 'the raw files are removed');
        assert.deepEqual(psql(`SELECT count(*) FROM outbox WHERE topic = 'recording.available'
            AND payload->>'recording_id' = ${lit(rid)}`), [['1']]);

        // Who did it: the recorder's log names the recording, the main controller's does not.
        assert.match(recorder.logText(), new RegExp(`recording ${rid}: available`));
        assert.match(recorder.logText(), /recordings only: post-processing on .*no HTTP server/);
        assert.ok(!readFileSync(mainLog, 'utf8').includes(`recording ${rid}: post-processing attempt`),
            'the main controller never took the job');
        assert.equal(recorder.proc.exitCode, null, 'the recorder runs on (no HTTP port taken from the main controller)');

        recorder.proc.kill('SIGTERM');
        assert.equal(await recorder.exited, 0);
        await rx.waitFor((m) => m.split('\n').includes('STOPPING=1'), 5000, 'STOPPING=1 from the recorder');
        assert.match(recorder.logText(), /received signal 15: stopping/);
    });
});
