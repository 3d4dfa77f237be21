// Issue 14, faults of a recording in a real call (two Chromium participants
// publishing, both consenting, the recording started over REST):
//
//  1. The disk fills up: the session's recordings folder is a 512 KiB tmpfs.
//     The plugin stops the whole recording (fault write_failed), tells both
//     participants (`recording` event: off, fault; the clinic app says so in
//     words, screenshot), the call goes on (media still flows both ways in
//     the app), and the controller processes what was written:
//     `incomplete`, fault write_failed, audit reason write_failed. A new
//     start afterwards (room again on disk) records again, fault cleared.
//  2. Janus is SIGKILLed mid-recording (no shutdown, no manifest, stdio
//     buffers lost) and started again: the controller finds the recording
//     lost (fault media_server_lost), processes the .mjr files left on disk
//     (a cut-off last frame included) and marks it `incomplete`, with an
//     output per participant and the composite. The room comes back with
//     the recording state (issue 15): the stored consents are in the
//     restored room without anyone answering again (a third participant on
//     the raw protocol client rejoins without sending consent: room_info
//     shows its consent), and the room (policy optional, the recording
//     started over REST before the crash) records again as a NEW recording,
//     started by the controller, which records the two browsers and is
//     processed into outputs; both starts are `recording.started` webhooks.
//
// The controller runs with recording_manifest_grace_s=2 here (a lost
// recording is found within ~12 s instead of ~70); the stack's own settings
// are restored at the end. Runs as root (mount), in the faults tier's
// private network namespace, whose mount namespace is private too
// (`ip netns exec`): the tmpfs is seen by this tier's Janus only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { withBrowser } from '../e2e/lib/browser.mjs';
import { appCall, doctorAndPatient, session, totals } from '../e2e/lib/telemed.mjs';
import { joinWith } from '../integ/lib/janus.mjs';
import {
    addParticipant, api, eventually, lit, plugin, psql, restartController, show, sleep, stack, stackctl,
} from '../integ/lib/stack.mjs';

const T = { timeout: 240000 };
const RECORDINGS = join(stack.dir, 'recordings');
const DONE = ['available', 'incomplete', 'failed'];

before(async () => {
    await restartController('recording_manifest_grace_s=2');
});
after(async () => {
    await restartController(null);
});

async function consentBoth(s) {
    for (const peer of [s.doctor, s.patient]) {
        const r = await peer.call('request', { request: 'consent', recording: true });
        assert.ok(r.ok && r.value.recording === true, `${peer.name} consent stored: ${JSON.stringify(r)}`);
    }
}

async function getRecording(rid) {
    const r = await api('GET', `/recordings/${rid}`);
    assert.equal(r.status, 200, show(r));
    return r.json;
}

async function waitDone(rid, ms) {
    return eventually(async () => {
        const r = await getRecording(rid);
        return DONE.includes(r.state) && r;
    }, { timeout: ms, interval: 500, what: `recording ${rid} processed` });
}

function stopReasons(rid) {
    return psql(`SELECT data->>'reason' FROM audit_log WHERE action = 'recording.stopped'
                 AND data->>'recording_id' = ${lit(rid)}`).map((r) => r[0]);
}

function mjrSizes(dir) {
    if (!existsSync(dir)) return {};
    return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.mjr')).map((f) => [f, statSync(join(dir, f)).size]));
}

// What the clinic app shows of the recording.
function appRecording(peer) {
    return peer.p.eval(() => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const ind = q('recording-indicator');
        const c = window.telemedClient;
        return {
            indicator: ind && !ind.hidden ? ind.dataset.state : 'off',
            text: ind && !ind.hidden ? q('recording-text').textContent : '',
            prompt: !!q('consent') && !q('consent').hidden,
            ...(c ? c.recording : {}),
        };
    });
}

async function untilApp(peer, pred, what, timeout = 10000) {
    return eventually(async () => {
        const u = await appRecording(peer);
        return pred(u) ? u : null;
    }, { timeout, interval: 200, what: `${peer.name}: ${what}` });
}

test('a full disk stops the recording with an event and a fault; the call goes on; what was written ends incomplete', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session();
        // The session's recordings folder on a tiny filesystem.
        const mnt = join(RECORDINGS, s.sid);
        mkdirSync(mnt, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0755', 'tmpfs', mnt]);
        let mounted = true;
        try {
            const { doctor, patient, D, P } = await appCall(b, s);
            const start = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
            assert.equal(start.status, 201, show(start));
            const rid = start.json.id;
            for (const peer of [doctor, patient]) {
                await untilApp(peer, (u) => u.indicator === 'on' && u.prompt, 'asked to consent');
                await peer.click('consent-yes');
            }
            const t0 = Date.now();
            await untilApp(patient, (u) => u.state === 'on' && u.recorded.length === 2, 'both recorded');

            // ~1 Mbit/s of media fills 512 KiB within seconds. Both are told,
            // in words, and nobody is recorded any more.
            for (const peer of [doctor, patient]) {
                const u = await untilApp(peer, (x) => x.fault === 'write_failed', 'told the recording failed', 45000);
                assert.equal(u.state, 'off', JSON.stringify(u));
                assert.deepEqual(u.recorded, []);
                assert.equal(u.indicator, 'fault');
                assert.match(u.text, /Recording stopped: it could not be saved/);
            }
            const fs = statfsSync(mnt);
            console.log(`recording_faults: disk full ${Date.now() - t0} ms after both were recorded; ` +
                `${fs.bavail * fs.bsize} bytes left; files ${JSON.stringify(mjrSizes(join(mnt, rid)))}`);
            t.diagnostic(`doctor after the failure: ${await doctor.screenshot('doctor-recording-fault')}`);
            const info = await plugin({ request: 'room_info', room: s.sid });
            assert.equal(info.recording.state, 'off', JSON.stringify(info.recording));
            assert.equal(info.recording.fault, 'write_failed');
            for (const p of info.participants) assert.ok(p.stats.rtp_recorded > 0, `some of ${p.participant_id} was written`);

            // The call goes on, both ways.
            for (const peer of [doctor, patient]) {
                const before = totals(await peer.stats()).in;
                await eventually(async () => {
                    const now = totals(await peer.stats()).in;
                    return now.video.frames > before.video.frames + 30 && now.audio.packets > before.audio.packets + 50;
                }, { timeout: 15000, what: `${peer.name} still receives video and audio` });
            }

            // The controller: stopped by the fault, processed from what was written.
            const rec = await waitDone(rid, 90000);
            assert.equal(rec.state, 'incomplete', JSON.stringify(rec));
            assert.equal(rec.fault, 'write_failed');
            assert.ok(rec.stopped_at, 'stopped');
            assert.deepEqual(stopReasons(rid), ['write_failed']);
            assert.deepEqual(rec.tracks.map((x) => x.participant_id).sort(), [D.id, D.id, P.id, P.id].sort(),
                JSON.stringify(rec.tracks));
            const kinds = rec.outputs.map((o) => (o.kind === 'composite' ? 'composite' : o.participant_id)).sort();
            assert.deepEqual(kinds, ['composite', D.id, P.id].sort(), `outputs of what was written: ${JSON.stringify(rec.outputs)}`);
            assert.equal(psql(`SELECT payload->>'state' FROM outbox WHERE topic = 'recording.available'
                               AND payload->>'recording_id' = ${lit(rid)}`)[0][0], 'incomplete');

            // Room on disk again: a new start records, and clears the fault.
            execFileSync('umount', [mnt]);
            mounted = false;
            const again = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
            assert.equal(again.status, 201, show(again));
            const u2 = await untilApp(doctor, (x) => x.state === 'on' && x.recordingId === again.json.id, 'recording again');
            assert.equal(u2.fault, null);
            assert.equal(u2.indicator, 'on');
            const stop = await api('POST', `/sessions/${s.sid}/recordings/stop`, { body: {} });
            assert.equal(stop.status, 200, show(stop));
        } finally {
            if (mounted) {
                try {
                    execFileSync('umount', [mnt]);
                } catch {
                    execFileSync('umount', ['-l', mnt]);
                }
            }
        }
    });
});

test('SIGKILL of Janus mid-recording: the recording is found lost, what was written is processed, incomplete; ' +
     'the room comes back with its consents and records again', { timeout: 360000 }, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await doctorAndPatient(b, { roles: ['observer'] });
        const D = s.people.doctor.id;
        const P = s.people.patient.id;
        const O = s.people.observer.id;
        await consentBoth(s);
        // The observer, on the raw protocol client (which never repeats a
        // consent by itself), consents from the lobby.
        let obs = await joinWith(s.people.observer.join.token);
        const oc = await obs.client.message(obs.handle, { request: 'consent', recording: true }, { timeout: 10000 });
        assert.equal(oc.telemed, 'consent', JSON.stringify(oc));
        assert.equal(oc.recording, true);
        const obsConsent = oc.consent_id;
        const start = await api('POST', `/sessions/${s.sid}/recordings`, { body: {} });
        assert.equal(start.status, 201, show(start));
        const rid = start.json.id;
        const dir = join(RECORDINGS, s.sid, rid);
        // A few seconds of both on disk (past stdio's 4 KiB buffers).
        await eventually(() => {
            const sizes = Object.entries(mjrSizes(dir));
            return sizes.length === 4 && sizes.every(([, n]) => n > 8192);
        }, { timeout: 30000, interval: 250, what: 'four tracks with data on disk' });
        await sleep(1500);

        const pid = Number(readFileSync(join(stack.dir, 'pids', 'janus.pid'), 'utf8').trim());
        process.kill(pid, 'SIGKILL');
        await eventually(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] === 'Z',
            { timeout: 10000, what: 'Janus gone' });
        const left = mjrSizes(dir);
        console.log(`recording_faults: Janus (pid ${pid}) killed; left on disk ${JSON.stringify(left)}`);
        assert.ok(!existsSync(join(dir, 'manifest.json')), 'no manifest: Janus never finished it');
        try {
            stackctl('start-janus');
            // The room is back, and records again: a new recording, started
            // by the controller (the lost one was on when Janus died).
            const again = await eventually(async () => {
                const list = await api('GET', `/sessions/${s.sid}/recordings?limit=10`);
                return list.json?.items?.find((x) => x.id !== rid && x.state === 'recording');
            }, { timeout: 30000, interval: 250, what: 'a new recording on after the restart' });
            assert.equal(again.started_by, null);
            const info = await plugin({ request: 'room_info', room: s.sid });
            assert.equal(info.recording.state, 'on', JSON.stringify(info.recording));
            assert.equal(info.recording.recording_id, again.id);
            // The observer rejoins on a new connection and sends no consent:
            // the restored room has its stored one.
            await obs.client.close();
            const fresh = await addParticipant(s.sid, { user_id: s.people.observer.userId, role: 'observer' });
            obs = await joinWith(fresh.join.token, { timeout: 10000 });
            const seen = await eventually(async () => {
                const i = await plugin({ request: 'room_info', room: s.sid });
                return i.participants.find((p) => p.participant_id === O);
            }, { timeout: 10000, what: 'observer in the restored room' });
            assert.equal(seen.consent, true, `stored consent restored: ${JSON.stringify(seen)}`);
            // The browsers rejoin and are recorded in the new recording.
            await eventually(async () => {
                const i = await plugin({ request: 'room_info', room: s.sid });
                const rec = Object.fromEntries(i.participants.map((p) => [p.participant_id, p.stats.rtp_recorded]));
                return rec[D] > 200 && rec[P] > 200;
            }, { timeout: 60000, interval: 500, what: 'both browsers recorded in the new recording' });

            const rec = await waitDone(rid, 90000);
            assert.equal(rec.state, 'incomplete', JSON.stringify(rec));
            assert.equal(rec.fault, 'media_server_lost');
            assert.ok(rec.stopped_at, 'stopped');
            assert.deepEqual(stopReasons(rid), ['media_server_lost']);
            const kinds = rec.outputs.map((o) => (o.kind === 'composite' ? 'composite' : o.participant_id)).sort();
            assert.deepEqual(kinds, ['composite', D, P].sort(), `outputs of what was written: ${JSON.stringify(rec.outputs)}`);
            for (const o of rec.outputs) {
                assert.equal(o.video_codec, 'vp8', JSON.stringify(o));
                assert.equal(o.audio_codec, 'opus', JSON.stringify(o));
                assert.ok(o.duration_ms >= 1000, `at least a second kept: ${JSON.stringify(o)}`);
            }
            assert.ok(!existsSync(dir), 'raw files deleted once processed');

            // The new recording, stopped on purpose, is processed into outputs.
            const stop = await api('POST', `/sessions/${s.sid}/recordings/stop`, { body: {} });
            assert.equal(stop.status, 200, show(stop));
            const rec2 = await waitDone(again.id, 120000);
            assert.equal(rec2.state, 'available', JSON.stringify(rec2));
            assert.equal(rec2.fault, null);
            const kinds2 = rec2.outputs.map((o) => (o.kind === 'composite' ? 'composite' : o.participant_id)).sort();
            assert.deepEqual(kinds2, ['composite', D, P].sort(), `outputs of the new recording: ${JSON.stringify(rec2.outputs)}`);
            // Its tracks were written under the stored consents.
            const stored = Object.fromEntries(rec2.consents.filter((c) => c.recording).map((c) => [c.id, c.participant_id]));
            for (const tr of rec2.tracks) assert.equal(stored[tr.consent_id], tr.participant_id, JSON.stringify(tr));
            assert.ok(rec2.consents.some((c) => c.id === obsConsent && c.participant_id === O));
            // Audit: the controller asked for it; webhooks: both starts.
            const asked = psql(`SELECT actor FROM audit_log WHERE action = 'recording.requested'
                                AND data->>'recording_id' = ${lit(again.id)}`).map((r) => r[0]);
            assert.deepEqual(asked, ['system']);
            const started = psql(`SELECT payload->>'recording_id', coalesce(payload->>'by', 'null') FROM outbox
                                  WHERE topic = 'recording.started' AND session_id = ${lit(s.sid)} ORDER BY id`);
            assert.deepEqual(started, [[rid, 'null'], [again.id, 'null']]);
            const all = await api('GET', `/sessions/${s.sid}/recordings?limit=10`);
            assert.equal(all.json.items.length, 2, JSON.stringify(all.json.items.map((x) => [x.id, x.state])));

            // A recording stopped on purpose is not restarted: Janus killed
            // again, the room comes back without recording.
            const pid2 = Number(readFileSync(join(stack.dir, 'pids', 'janus.pid'), 'utf8').trim());
            process.kill(pid2, 'SIGKILL');
            await eventually(() => !existsSync(`/proc/${pid2}`) || readFileSync(`/proc/${pid2}/stat`, 'utf8').split(') ')[1][0] === 'Z',
                { timeout: 10000, what: 'Janus gone again' });
            stackctl('start-janus');
            await eventually(async () => (await api('GET', '/readyz', { auth: false, timeout: 5000 })).status === 200,
                { timeout: 60000, what: '/readyz 200 after the second restart' });
            const back = await eventually(async () => {
                try {
                    return await plugin({ request: 'room_info', room: s.sid });
                } catch {
                    return null;
                }
            }, { timeout: 20000, what: 'room back after the second restart' });
            await sleep(5000);  // a few reconciler passes
            assert.equal((await plugin({ request: 'room_info', room: s.sid })).recording.state, 'off', JSON.stringify(back.recording));
            const final = await api('GET', `/sessions/${s.sid}/recordings?limit=10`);
            assert.equal(final.json.items.length, 2, JSON.stringify(final.json.items.map((x) => [x.id, x.state])));
        } finally {
            await obs.client.close().catch(() => {});
            // The next file needs a whole stack: Janus up, rooms restored.
            stackctl('start-janus');
            await eventually(async () => (await api('GET', '/readyz', { auth: false, timeout: 5000 })).status === 200,
                { timeout: 60000, what: '/readyz 200 after the restart' });
        }
    });
});
