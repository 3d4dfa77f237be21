// Janus events -> the controller (docs/DESIGN.md "Janus events",
// docs/API.md "Internal endpoints" and "Presence"): POST
// /internal/v1/janus-events as Janus's sampleevh sends it, with the
// controller restarted with a short janus_events_hangup_grace_ms.
//   (a) auth: no / wrong / Bearer credentials -> 401 before the body is
//       read; the right Basic password -> 200;
//   (b) bounds: over janus_events_max_body_bytes -> 413, garbage and
//       too-deep bodies -> 400, bad elements skipped and counted (answer and
//       /metrics), the good ones of the same post still used;
//   (c) a replayed consultation (events shaped as recorded from a real run:
//       JANUS-NOTES §6): doctor joins (plugin joined + webrtcup + stats),
//       patient waits in the lobby, is admitted, reconnects on a new handle
//       (replaced + joined: no noise), leaves; the doctor's connection drops
//       (hangup) and comes back within the grace (no event), then drops for
//       good (participant.left reason hangup after the grace); presence in
//       GET /sessions/{id} (online, media, quality, figures) at each step,
//       participant_events rows (source janus, occurred_at = Janus's time),
//       outbox rows exactly once per transition, ids only;
//   (d) kicked -> participant.left reason kicked; a later left of the same
//       participant adds nothing; events about a participant of another
//       session or an unknown one are dropped (no row, no outbox);
//   (e) the real Janus of the stack posts too (its event handler is on):
//       a room created reaches the endpoint;
//   (f) a controller restarted mid-call recognises the handle (from
//       participant_events): stats keep grading the participant (online
//       since the join), its hangup becomes participant.left.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
    ENV, addParticipant, api, createSession, eventually, lit, psql, redis, restartController, show, sleep, transition,
    uniq,
} from './lib/stack.mjs';

const PATH = '/internal/v1/janus-events';
const GRACE_MS = 1500;
const basic = (user, pwd) => `Basic ${Buffer.from(`${user}:${pwd}`).toString('base64')}`;
const AUTH = basic('janus', ENV.JANUS_EVENTS_SECRET);

async function post(events, { auth = AUTH, raw } = {}) {
    return api('POST', PATH, {
        raw: raw ?? JSON.stringify(events),
        auth: false,
        headers: auth ? { authorization: auth } : {},
    });
}

// ------------------------------------------------------------ event shapes
// As sampleevh posts them (compact, grouped); ids like Janus's.
let clock = 1795480684000000;
const ts = () => (clock += 1000);
const JSESSION = 7984029268962072;
const plugin = (handle, event, room, pid) => ({
    type: 64, timestamp: ts(), session_id: handle ? JSESSION : null, handle_id: handle || null,
    event: { plugin: 'janus.plugin.telemed', data: pid ? { event, room, participant_id: pid } : { event, room } },
});
const webrtcup = (handle) => ({ type: 16, subtype: 6, timestamp: ts(), session_id: JSESSION, handle_id: handle,
    event: { connection: 'webrtcup' } });
const hangup = (handle, reason = 'DTLS alert') => ({ type: 16, subtype: 6, timestamp: ts(), session_id: JSESSION,
    handle_id: handle, event: { connection: 'hangup', reason } });
const iceFailed = (handle) => ({ type: 16, subtype: 1, timestamp: ts(), session_id: JSESSION, handle_id: handle,
    event: { ice: 'failed' } });
const detached = (handle) => ({ type: 2, timestamp: ts(), session_id: JSESSION, handle_id: handle,
    event: { name: 'detached', plugin: 'janus.plugin.telemed' } });
const stats = (handle, { mid = '0', media = 'audio', lost = 0, recv = 0, sent = 0, lostRemote = 0, jitter = 3,
    rtt = 12 } = {}) => ({
    type: 32, subtype: 3, timestamp: ts(), session_id: JSESSION, handle_id: handle,
    event: { mid, mindex: Number(mid), media, codec: media === 'audio' ? 'opus' : 'vp8',
        base: media === 'audio' ? 48000 : 90000, rtt, lost, 'lost-by-remote': lostRemote, 'jitter-local': jitter,
        'jitter-remote': 1, 'in-link-quality': 100, 'in-media-link-quality': 100, 'out-link-quality': 100,
        'out-media-link-quality': 100, 'packets-received': recv, 'packets-sent': sent, 'bytes-received': recv * 100,
        'bytes-sent': sent * 100, 'bytes-received-lastsec': 4000, 'bytes-sent-lastsec': 4000, 'nacks-received': 0,
        'nacks-sent': 0, 'retransmissions-received': 0 },
});
const transportNoise = { type: 128, timestamp: ts(), event: { transport: 'janus.transport.websockets',
    id: '1', data: { event: 'connected' } } };
let nextHandle = 4313449144084000;
const newHandle = () => ++nextHandle;

// ------------------------------------------------------------ helpers

async function presenceOf(sid) {
    const res = await api('GET', `/sessions/${sid}`);
    assert.equal(res.status, 200, show(res));
    return Object.fromEntries(res.json.participants.map((p) => [p.id, p.presence]));
}

function outboxOf(sid) {
    return psql(`SELECT topic, payload::text FROM outbox WHERE session_id = ${lit(sid)}
                 AND topic IN ('participant.joined','participant.waiting','participant.left') ORDER BY id`)
        .map(([topic, payload]) => ({ topic, ...JSON.parse(payload) }));
}

function rowsOf(sid) {
    return psql(`SELECT participant_id, event, data::text, occurred_at IS NOT NULL FROM participant_events
                 WHERE session_id = ${lit(sid)} AND data->>'source' = 'janus' ORDER BY id`)
        .map(([pid, event, data, hasTime]) => ({ pid, event, data: JSON.parse(data), hasTime: hasTime === 't' }));
}

async function metric(name) {
    const res = await api('GET', '/metrics', { auth: false });
    const m = res.text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : NaN;
}

async function consultation() {
    const s = await createSession({ title: uniq('evh') });
    await transition(s.id, 'start');
    const doc = await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor', display_name: 'Dr Secret Name' });
    const pat = await addParticipant(s.id, { user_id: uniq('pat'), role: 'patient', display_name: 'Pat Secret Name' });
    return { sid: s.id, doc: doc.participant, pat: pat.participant };
}

before(async () => {
    assert.ok(ENV.JANUS_EVENTS_SECRET, 'stack.env has JANUS_EVENTS_SECRET');
    await restartController(`janus_events_hangup_grace_ms=${GRACE_MS}`);
});

after(async () => {
    await restartController();
});

describe('POST /internal/v1/janus-events', () => {
    test('(a) auth: only the events secret opens it, before the body is read', async () => {
        const one = [webrtcup(newHandle())];
        for (const auth of [null, basic('janus', 'x'.repeat(64)), basic('janus', ''),
            `Bearer ${ENV.JANUS_EVENTS_SECRET}`, `Bearer ${ENV.TELEMED_API_KEY}`, `Bearer ${ENV.PLUGIN_SECRET}`,
            basic('janus', ENV.PLUGIN_SECRET), 'Basic !!!notbase64', `Basic ${Buffer.from(ENV.JANUS_EVENTS_SECRET)
                .toString('base64')}` /* no colon */]) {
            const res = await post(one, { auth });
            assert.equal(res.status, 401, `${auth?.slice(0, 12)}: ${show(res)}`);
            assert.match(res.headers.get('content-type'), /application\/problem\+json/);
            assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
        }
        // 401 even with a body far over the cap: refused from the head.
        const big = await post(undefined, { auth: basic('janus', 'wrong'), raw: 'x'.repeat(2 << 20) });
        assert.equal(big.status, 401, show(big));
        // The user name is not checked; the password is.
        for (const user of ['janus', 'anyone', '']) {
            const ok = await post(one, { auth: basic(user, ENV.JANUS_EVENTS_SECRET) });
            assert.equal(ok.status, 200, show(ok));
        }
    });

    test('(b) bounds: 413 over the cap, 400 for garbage, bad elements skipped and counted', async () => {
        const invalidBefore = await metric('telemed_janus_events_invalid_total');
        const over = await post(undefined, { raw: `[${'{"type":1,"event":{}},'.repeat(60000)}1]` });  // > 1 MiB
        assert.equal(over.status, 413, show(over));
        assert.equal(over.json.type, 'https://telemed.example/problems/payload-too-large');
        for (const raw of ['garbage', '[1,2', '42', '"x"', '', `${'['.repeat(9)}${']'.repeat(9)}`,
            `[${Array(10001).fill('{}').join(',')}]`]) {
            const res = await post(undefined, { raw });
            assert.equal(res.status, 400, `${raw.slice(0, 20)}: ${show(res)}`);
            assert.equal(res.json.type, 'https://telemed.example/problems/invalid-json');
        }
        const { sid, doc } = await consultation();
        const h = newHandle();
        const res = await post([
            1, 'x', null, {}, { type: '64', event: {} },
            { type: 16, subtype: 6, handle_id: -5, event: { connection: 'webrtcup' } },
            { type: 16, subtype: 6, handle_id: h, event: { connection: 'hangup', reason: 'r'.repeat(65) } },
            { type: 64, handle_id: h, event: { plugin: 'janus.plugin.telemed',
                data: { event: 'joined', room: 'not-a-uuid', participant_id: doc.id } } },
            transportNoise,
            plugin(h, 'joined', sid, doc.id),   // the good one of the post
        ]);
        assert.equal(res.status, 200, show(res));
        assert.deepEqual(res.json, { received: 10, accepted: 1, invalid: 8, ignored: 1, dropped: 0 });
        await eventually(async () => (await presenceOf(sid))[doc.id]?.online === true,
            { what: 'the good event of a post with bad ones is used' });
        assert.ok(await metric('telemed_janus_events_invalid_total') >= invalidBefore + 8);
        // A single object (grouping off) is accepted too.
        const single = await post(undefined, { raw: JSON.stringify(stats(h, { recv: 10, sent: 10 })) });
        assert.deepEqual(single.json, { received: 1, accepted: 1, invalid: 0, ignored: 0, dropped: 0 });
    });

    test('(c) a replayed consultation: presence, participant events, outbox once per transition', async () => {
        const { sid, doc, pat } = await consultation();
        // Before any event: both offline, presence present and explicit.
        let pres = await presenceOf(sid);
        assert.deepEqual(pres[doc.id], { online: false, state: 'offline', since: null, media: 'down', quality: null,
            loss_pct: null, jitter_ms: null, rtt_ms: null, updated_at: null });

        // The doctor joins, media comes up, stats arrive (two samples: 1 % loss over the interval).
        const hd = newHandle();
        await post([transportNoise, plugin(hd, 'joined', sid, doc.id), webrtcup(hd),
            stats(hd, { recv: 500, sent: 500 }), stats(hd, { mid: '1', media: 'video', recv: 900, sent: 900 })]);
        await post([stats(hd, { recv: 995, sent: 1000, lost: 5, jitter: 4, rtt: 20 }),
            stats(hd, { mid: '1', media: 'video', recv: 1800, sent: 1800, jitter: 5, rtt: 25 })]);
        await eventually(async () => (await presenceOf(sid))[doc.id]?.rtt_ms === 25, { what: 'doctor graded' });
        pres = await presenceOf(sid);
        const d = pres[doc.id];
        assert.equal(d.online, true);
        assert.equal(d.state, 'in_room');
        assert.equal(d.media, 'up');
        assert.equal(d.quality, 'good');
        assert.equal(d.loss_pct, 1);         // 5 lost of 500 in the interval, audio (the worst stream)
        assert.equal(d.jitter_ms, 5);        // the worst stream's
        assert.equal(d.rtt_ms, 25);
        assert.match(d.since, /^\d{4}-\d\d-\d\dT/);
        assert.equal(pres[pat.id].online, false);

        // Poor network: 20 % loss in the next interval -> poor.
        await post([stats(hd, { recv: 1395, sent: 1400, lost: 105, jitter: 40, rtt: 30 })]);
        await eventually(async () => (await presenceOf(sid))[doc.id]?.quality === 'poor', { what: 'poor quality' });

        // The patient waits in the lobby, is admitted; media up; a duplicate joined changes nothing.
        const hp = newHandle();
        await post([plugin(hp, 'waiting', sid, pat.id)]);
        await eventually(async () => (await presenceOf(sid))[pat.id]?.state === 'waiting', { what: 'patient waiting' });
        assert.equal((await presenceOf(sid))[pat.id].online, true);
        await post([plugin(hp, 'admitted', sid, pat.id), webrtcup(hp), plugin(hp, 'joined', sid, pat.id)]);
        // Reconnect on a new handle: replaced (old handle), joined (new); then the old handle's hangup/detach.
        const hp2 = newHandle();
        await post([plugin(hp, 'replaced', sid, pat.id), plugin(hp2, 'joined', sid, pat.id), webrtcup(hp2),
            hangup(hp, 'Close PC'), detached(hp)]);
        await eventually(async () => (await presenceOf(sid))[pat.id]?.media === 'up', { what: 'patient media up' });
        await sleep(GRACE_MS + 800);  // an old handle's hangup must not turn into a left
        pres = await presenceOf(sid);
        assert.equal(pres[pat.id].online, true, JSON.stringify(pres[pat.id]));
        assert.equal(pres[pat.id].state, 'in_room');

        // The doctor's connection drops and comes back within the grace: nothing emitted.
        await post([iceFailed(hd), hangup(hd, 'ICE failed')]);
        await eventually(async () => (await presenceOf(sid))[doc.id]?.media === 'down', { what: 'doctor media down' });
        assert.equal((await presenceOf(sid))[doc.id].online, true, 'still online during the grace');
        await post([webrtcup(hd)]);
        await sleep(GRACE_MS + 800);
        assert.equal((await presenceOf(sid))[doc.id].online, true);

        // The patient leaves (plugin left, no handle: sent from the detach).
        await post([plugin(0, 'left', sid, pat.id), hangup(hp2, 'Detach'), detached(hp2)]);
        await eventually(async () => (await presenceOf(sid))[pat.id]?.online === false, { what: 'patient offline' });
        pres = await presenceOf(sid);
        assert.equal(pres[pat.id].state, 'left');
        assert.equal(pres[pat.id].media, 'down');
        assert.equal(pres[pat.id].quality, null);

        // The doctor's connection drops for good: left (hangup) after the grace.
        await post([hangup(hd, 'DTLS alert')]);
        await eventually(async () => outboxOf(sid).filter((e) => e.topic === 'participant.left').length === 2,
            { timeout: GRACE_MS + 8000, what: 'doctor left after the grace' });
        assert.equal((await presenceOf(sid))[doc.id].online, false);

        // Outbox: exactly one event per transition, in order, ids only.
        const ob = outboxOf(sid);
        assert.deepEqual(ob.map((e) => [e.topic, e.participant_id, e.reason ?? null]), [
            ['participant.joined', doc.id, null],
            ['participant.waiting', pat.id, null],
            ['participant.joined', pat.id, null],
            ['participant.left', pat.id, 'left'],
            ['participant.left', doc.id, 'hangup'],
        ]);
        for (const e of ob) {
            assert.equal(e.session_id, sid);
            assert.equal(e.role, e.participant_id === doc.id ? 'doctor' : 'patient');
            assert.equal(e.user_id, e.participant_id === doc.id ? doc.user_id : pat.user_id);
            assert.doesNotMatch(JSON.stringify(e), /Secret Name/);
        }
        // participant_events rows: what happened, from Janus, with its time; never stats.
        const rows = rowsOf(sid);
        const seq = rows.map((r) => `${r.pid === doc.id ? 'doc' : 'pat'}:${r.event}`);
        assert.deepEqual(seq, [
            'doc:joined', 'doc:webrtcup',
            'pat:waiting', 'pat:admitted', 'pat:webrtcup', 'pat:joined',
            'pat:joined', 'pat:webrtcup',
            'doc:ice_failed', 'doc:hangup', 'doc:webrtcup',
            'pat:left',
            'doc:hangup', 'doc:left',
        ]);
        assert.ok(rows.every((r) => r.hasTime && r.data.source === 'janus'));
        assert.equal(rows.find((r) => r.event === 'hangup').data.reason, 'ICE failed');
        assert.equal(rows.at(-1).data.reason, 'hangup');
    });

    test('(d) kicked, duplicates, other sessions and unknown participants', async () => {
        const a = await consultation();
        const b = await consultation();
        const h = newHandle();
        await post([plugin(h, 'joined', a.sid, a.pat.id), webrtcup(h)]);
        await eventually(async () => (await presenceOf(a.sid))[a.pat.id]?.online === true, { what: 'joined' });
        await post([plugin(h, 'kicked', a.sid, a.pat.id), plugin(0, 'left', a.sid, a.pat.id),
            plugin(0, 'left', a.sid, a.pat.id)]);
        // A participant of session a named in session b, and one that does not exist.
        const ghost = randomUUID();
        await post([plugin(newHandle(), 'joined', b.sid, a.doc.id), plugin(newHandle(), 'joined', b.sid, ghost)]);
        await eventually(() => outboxOf(a.sid).some((e) => e.topic === 'participant.left'), { what: 'kicked' });
        await sleep(600);
        assert.deepEqual(outboxOf(a.sid).map((e) => [e.topic, e.reason ?? null]),
            [['participant.joined', null], ['participant.left', 'kicked']]);
        assert.deepEqual(outboxOf(b.sid), []);
        assert.deepEqual(rowsOf(b.sid), []);
        assert.equal(psql(`SELECT count(*) FROM participant_events WHERE participant_id = ${lit(ghost)}`)[0][0], '0');
        assert.ok(await metric('telemed_janus_events_unknown_participant_total') >= 2);
        const pres = await presenceOf(a.sid);
        assert.equal(pres[a.pat.id].online, false);
        assert.equal(pres[a.pat.id].state, 'left');

        // The session ends while the doctor is in: the real plugin's
        // room_destroyed (posted by the stack's Janus) -> left, session_ended.
        const hd = newHandle();
        await post([plugin(hd, 'joined', a.sid, a.doc.id), webrtcup(hd)]);
        await eventually(async () => (await presenceOf(a.sid))[a.doc.id]?.online === true, { what: 'doctor in' });
        await transition(a.sid, 'end');
        await eventually(() => outboxOf(a.sid).some((e) => e.topic === 'participant.left' && e.participant_id === a.doc.id),
            { timeout: 15000, what: 'left on room_destroyed' });
        const left = outboxOf(a.sid).filter((e) => e.participant_id === a.doc.id && e.topic === 'participant.left');
        assert.deepEqual(left.map((e) => e.reason), ['session_ended']);

        // Media moving on a participant's handle means media up, even without
        // (or before) its webrtcup.
        const c = await consultation();
        const hc = newHandle();
        await post([webrtcup(hc), plugin(hc, 'joined', c.sid, c.doc.id), stats(hc, { recv: 100, sent: 100 })]);
        await sleep(500);
        assert.equal((await presenceOf(c.sid))[c.doc.id].media, 'down', 'one sample alone says nothing');
        await post([stats(hc, { recv: 350, sent: 350 })]);
        await eventually(async () => (await presenceOf(c.sid))[c.doc.id]?.media === 'up', { what: 'media up from stats' });
        assert.equal((await presenceOf(c.sid))[c.doc.id].quality, 'good');
    });

    test('(f) a restarted controller goes on with the participants still connected', async () => {
        const { sid, doc } = await consultation();
        const h = newHandle();
        await post([plugin(h, 'joined', sid, doc.id), webrtcup(h), stats(h, { recv: 100, sent: 100 })]);
        await eventually(async () => (await presenceOf(sid))[doc.id]?.media === 'up', { what: 'doctor media up' });
        const since = (await presenceOf(sid))[doc.id].since;
        // The new process knows no handle: it finds this one in participant_events.
        await restartController(`janus_events_hangup_grace_ms=${GRACE_MS}`);
        await post([stats(h, { recv: 300, sent: 300 }), stats(h, { recv: 500, sent: 500, jitter: 4, rtt: 15 })]);
        await eventually(async () => (await presenceOf(sid))[doc.id]?.rtt_ms === 15, { what: 'stats used after restart' });
        const p = (await presenceOf(sid))[doc.id];
        assert.equal(p.online, true);
        assert.equal(p.media, 'up');
        assert.equal(p.quality, 'good');
        assert.equal(p.since, since, 'online since the join, not since the restart');
        // Its connection drops for good: left once, after the grace.
        await post([hangup(h)]);
        await eventually(() => outboxOf(sid).some((e) => e.topic === 'participant.left'),
            { timeout: GRACE_MS + 8000, what: 'left after restart' });
        assert.deepEqual(outboxOf(sid).map((e) => [e.topic, e.reason ?? null]),
            [['participant.joined', null], ['participant.left', 'hangup']]);
        // A handle nobody knows stays unknown (and is looked up once).
        const unmapped0 = await metric('telemed_janus_events_unmapped_total');
        const stranger = newHandle();
        await post([stats(stranger, { recv: 10 }), stats(stranger, { recv: 20 })]);
        await eventually(async () => (await metric('telemed_janus_events_unmapped_total')) >= unmapped0 + 2,
            { what: 'unknown handle counted' });
    });

    // GET answers a cache hit from the controller's last presence read when
    // it is under 500 ms old (docs/DESIGN.md "Janus events", Reading); this
    // controller's own writes void that memory, so they show at once. With
    // GETs every 20 ms keeping the memory fresh, a GET 100 ms after the write
    // reached Redis would show the old record about 4 times in 5 if the
    // write did not void it: three sessions make that a near-certain failure.
    test('(g) the worker\'s own presence writes show in the next GET, not up to 500 ms later', async () => {
        const P = ENV.REDIS_PREFIX || 'telemed:';
        for (let round = 0; round < 3; round++) {
            const { sid, doc } = await consultation();
            let stop = false;
            const poller = (async () => {
                while (!stop) {
                    await presenceOf(sid);
                    await sleep(20);
                }
            })();
            try {
                await sleep(300);
                assert.equal((await presenceOf(sid))[doc.id].online, false);
                await post([plugin(newHandle(), 'joined', sid, doc.id)]);
                await eventually(() => JSON.parse(redis('GET', `${P}presence:${sid}:${doc.id}`)[0] ?? 'null')?.online === true,
                    { interval: 20, what: 'the worker wrote the doctor online' });
                await sleep(100);
                const pres = await presenceOf(sid);
                assert.equal(pres[doc.id].online, true, `round ${round}: own write shown at once: ${JSON.stringify(pres[doc.id])}`);
            } finally {
                stop = true;
                await poller;
            }
        }
    });

    test('(e) the stack\'s Janus posts its events here', async () => {
        // Nothing posts in this test but Janus: a room created (the plugin's
        // room_created event) must reach the endpoint through sampleevh.
        const before = await metric('telemed_janus_events_posts_total');
        const s = await createSession({ title: uniq('evh-janus') });
        await addParticipant(s.id, { user_id: uniq('doc'), role: 'doctor' });
        await transition(s.id, 'start');
        await eventually(async () => (await metric('telemed_janus_events_posts_total')) > before,
            { timeout: 15000, what: 'Janus posted events' });
    });
});
