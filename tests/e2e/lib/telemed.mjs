// Scenario building blocks for the e2e tests: sessions and participants over
// REST, pages that run the SDK (harness), the raw Janus client and the web
// app, and assertions on WebRTC counters with hard time limits.
import assert from 'node:assert/strict';

import {
    ENV, addParticipant, api, createSession, eventually, roomInfo, show, sleep, transition, uniq, within,
} from '../../integ/lib/stack.mjs';
import { step } from './browser.mjs';
import { pagesBase } from './pages.mjs';

export { ENV, api, eventually, roomInfo, show, sleep, transition, uniq, within };

// ------------------------------------------------------------------ REST

const NAMES = { doctor: 'Dr E2E', patient: 'Patient E2E', paramedic: 'Medic E2E', observer: 'Observer E2E' };

// A session with participants. roles: array of role names or
// {name, role, permissions?}. start: POST /start after adding them.
// recordingPolicy: the session's recording_policy (default: the API's).
// Returns {sid, session, people: {name: {id, participant, join, access, userId}}}.
export async function session({ kind = 'consultation', roles = ['doctor', 'patient'], start = true, recordingPolicy } = {}) {
    const s = await createSession({ kind, title: 'e2e', ...(recordingPolicy ? { recording_policy: recordingPolicy } : {}) });
    const people = {};
    for (const r of roles) {
        const spec = typeof r === 'string' ? { name: r, role: r } : r;
        const body = { user_id: uniq(`e2e-${spec.role}`), role: spec.role, display_name: NAMES[spec.role] ?? 'E2E' };
        if (spec.permissions) body.permissions = spec.permissions;
        const res = await addParticipant(s.id, body);
        people[spec.name] = { id: res.participant.id, participant: res.participant, join: res.join, access: res.access, userId: body.user_id };
    }
    if (start) await transition(s.id, 'start');
    return { sid: s.id, session: s, people };
}

export async function patchPermissions(sid, pid, permissions) {
    const res = await api('PATCH', `/sessions/${sid}/participants/${pid}`, { body: { permissions } });
    assert.equal(res.status, 200, `PATCH permissions ${show(res)}`);
    return res.json;
}

export async function removeParticipant(sid, pid) {
    const res = await api('DELETE', `/sessions/${sid}/participants/${pid}`);
    assert.equal(res.status, 204, `DELETE participant ${show(res)}`);
}

// A Janus core Admin API request (not message_plugin), e.g.
// {janus: 'destroy_session', session_id}. Returns Janus' answer.
export async function janusCoreAdmin(body, { timeout = 5000 } = {}) {
    const res = await fetch(ENV.JANUS_ADMIN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, transaction: `e2e-${Date.now()}-${Math.random()}`, admin_secret: ENV.JANUS_ADMIN_SECRET }),
        signal: AbortSignal.timeout(timeout),
    });
    return JSON.parse(await within(res.text(), timeout, 'janus admin answer'));
}

// The participant's entry of the plugin's admin room_info.
export async function roomParticipant(sid, pid) {
    const room = await roomInfo(sid);
    return room.participants.find((p) => p.participant_id === pid) ?? null;
}

// URL of the web app for a join object: its app_url, else built as the SDK
// contract describes (#join=<base64url(JSON)>).
export function appUrl(join) {
    if (join.app_url) return join.app_url;
    const frag = Buffer.from(JSON.stringify({
        token: join.token, janus_ws_url: join.janus_ws_url, ice_servers: join.ice_servers, expires_at: join.expires_at,
        janus_token: join.janus_token,
    })).toString('base64url');
    return `${ENV.TELEMED_URL}/app/#join=${frag}`;
}

// ------------------------------------------------------------------ pages

async function waitGlobal(p, name, ms) {
    try {
        await step(`${p.name}: window.${name}`, p.page.waitForFunction((n) => window[n] && window[n].ready !== false &&
            document.getElementById('status')?.textContent === 'ready', name, { timeout: ms }), ms + 1000);
    } catch (e) {
        const tail = p.console.slice(-10).join('\n');
        throw new Error(`${e.message}\n${p.name} console:\n${tail}`);
    }
}

// A page running the SDK through tests/e2e/pages/harness.mjs.
export class Peer {
    constructor(p) {
        this.p = p;
        this.name = p.name;
        this.id = null;
    }

    static async open(b, name) {
        const p = await b.participant(name);
        await p.goto(`${await pagesBase()}/__e2e/harness.html`);
        await waitGlobal(p, 'H', 10000);
        return new Peer(p);
    }

    // connect (join) and, unless publish is false, publish camera + mic.
    async start(join, { policy = 'all', publish = { audio: true, video: true }, slots, ms = 25000 } = {}) {
        const r = await this.p.eval((a) => window.H.start(a), { join, policy, publish, slots }, ms);
        this.id = r.joined?.participant_id ?? null;
        return r;
    }

    // client[method](...args) -> {ok, value} | {ok:false, code, message}
    call(method, ...args) {
        const ms = 15000;
        return this.p.eval(([m, a]) => window.H.call(m, ...a), [method, args], ms);
    }

    async ok(method, ...args) {
        const r = await this.call(method, ...args);
        assert.ok(r.ok, `${this.name}: ${method}() failed: ${r.code} ${r.message}`);
        return r.value;
    }

    tryJoin(join) {
        return this.p.eval((j) => window.H.tryJoin(j), join, 15000);
    }

    state() {
        return this.p.eval(() => window.H.state());
    }

    msids() {
        return this.p.eval(() => window.H.msids());
    }

    // Every PeerConnection the page created is closed.
    async pcsClosed() {
        const stats = await this.p.stats();
        return stats.length > 0 && stats.every((pc) => pc.signalingState === 'closed');
    }

    // As a moderator: waits until `pid` is in the lobby list, then admits it.
    async admit(pid, { ms = 10000 } = {}) {
        await eventually(async () => {
            const s = await this.state();
            return (s.waiting ?? []).some((w) => w.participant_id === pid);
        }, { timeout: ms, interval: 100, what: `${this.name} sees ${pid} waiting` });
        return this.ok('admit', pid);
    }

    media() {
        return this.p.eval(() => window.H.media());
    }

    eventCount() {
        return this.p.eval(() => window.H.events.length);
    }

    events(name) {
        return this.p.eval((n) => window.H.events.filter((e) => !n || e.name === n), name);
    }

    waitEvent(name, { from = 0, ms = 10000 } = {}) {
        return this.p.eval(([n, f, m]) => window.H.waitEvent(n, { from: f, ms: m }), [name, from, ms], ms + 2000);
    }

    sampleMedia(everyMs, n) {
        return this.p.eval(([ms, k]) => window.H.sampleMedia(ms, k), [everyMs, n], everyMs * n + 10000);
    }
}

// A page running the plain-JSON Janus client (tests/e2e/pages/raw.mjs).
export class RawPeer {
    constructor(p) {
        this.p = p;
        this.name = p.name;
    }

    static async open(b, name) {
        const p = await b.participant(name);
        await p.goto(`${await pagesBase()}/__e2e/raw.html`);
        await waitGlobal(p, 'R', 10000);
        return new RawPeer(p);
    }

    connect(join) {
        return this.p.eval((a) => window.R.connect(a), { url: join.janus_ws_url, token: join.token, janusToken: join.janus_token }, 15000);
    }

    publish(opts) {
        return this.p.eval((o) => window.R.publish(o), opts, 20000);
    }

    directions(sdp) {
        return this.p.eval((s) => window.R.directions(s), sdp);
    }

    stats() {
        return this.p.stats();
    }
}

// A doctor and a patient on harness pages in an active session: the doctor
// joins and publishes, the patient joins (lobby) and publishes, the doctor
// admits it, and media flows both ways. Returns {sid, people, doctor, patient}.
export async function doctorAndPatient(b, { kind = 'consultation', roles = [], patient: popts = {}, doctor: dopts = {} } = {}) {
    const s = await session({ kind, roles: ['doctor', 'patient', ...roles] });
    const doctor = await Peer.open(b, 'doctor');
    const patient = await Peer.open(b, 'patient');
    const d = await doctor.start(s.people.doctor.join, dopts);
    assert.equal(d.joined.status, 'admitted', `doctor bypasses the lobby: ${JSON.stringify(d.joined)}`);
    const p = await patient.start(s.people.patient.join, popts);
    assert.equal(p.joined.status, 'waiting', `patient waits in the lobby: ${JSON.stringify(p.joined)}`);
    await doctor.admit(s.people.patient.id);
    await patient.waitEvent('admitted', { ms: 10000 });
    await waitFlowing(doctor, s.people.patient.id);
    await waitFlowing(patient, s.people.doctor.id);
    return { ...s, doctor, patient };
}

// The clinic web app (web/app, served by the controller) opened with a join
// link. window.telemedClient / window.telemedApp are its test hooks.
export class AppPeer {
    constructor(p) {
        this.p = p;
        this.name = p.name;
    }

    static async open(b, name, join) {
        const p = await b.participant(name);
        await p.goto(appUrl(join));
        return new AppPeer(p);
    }

    // Opened with an invitation link (access.invite_url, #invite=<credential>):
    // the app exchanges the credential and keeps it for the file endpoints.
    static async openInvite(b, name, inviteUrl) {
        assert.match(inviteUrl, /^https?:\/\/[^#]+\/app\/#invite=tpc1\./, 'invite_url links to the web app');
        const p = await b.participant(name);
        await p.goto(inviteUrl);
        return new AppPeer(p);
    }

    // Waits until the screen with data-testid `testid` is shown.
    async screen(testid, ms = 15000) {
        await this.p.waitVisible(testid, { ms });
    }

    click(testid) {
        return this.p.click(testid);
    }

    app() {
        return this.p.eval(() => JSON.parse(JSON.stringify(window.telemedApp ?? null)));
    }

    stats() {
        return this.p.stats();
    }

    screenshot(label) {
        return this.p.screenshot(label);
    }
}

// A doctor and a patient of session `s` in the web app: the doctor enters,
// the patient waits in the lobby, the doctor admits it, media flows both
// ways. Returns {doctor, patient, D, P} (AppPeers and the people of `s`).
export async function appCall(b, s) {
    const { doctor: D, patient: P } = s.people;
    const doctor = await AppPeer.open(b, 'doctor', D.join);
    await doctor.screen('call');
    const patient = await AppPeer.open(b, 'patient', P.join);
    await patient.screen('lobby');
    await doctor.click(`admit-${P.id}`);
    await patient.screen('call');
    await waitAppFlowing(doctor.p);
    await waitAppFlowing(patient.p);
    return { doctor, patient, D, P };
}

// ------------------------------------------------------------------ counters

// media.from[pid][source][field], 0 when absent.
export function got(media, pid, source, field) {
    return media?.from?.[pid]?.[source]?.[field] ?? 0;
}

// Received per kind over every slot (monotonic; use it in 1:1 sessions).
export function inbound(media, kind, field) {
    return media?.total?.[kind]?.[field] ?? 0;
}

// Everything received from anyone (or from `except` excluded).
export function receivedTotal(media, { except = [] } = {}) {
    let n = 0;
    for (const [pid, bySrc] of Object.entries(media?.from ?? {})) {
        if (except.includes(pid)) continue;
        for (const c of Object.values(bySrc)) n += c.packets;
    }
    return n;
}

export function sent(media, kind, field = 'packets') {
    return media?.sent?.[kind]?.[field] ?? 0;
}

// Waits until `peer` decodes video from `fromId` and receives its audio
// packets (each optional). Returns the last media snapshot.
export async function waitFlowing(peer, fromId, { video = true, audio = true, ms = 15000 } = {}) {
    let last;
    try {
        await eventually(async () => {
            last = await peer.media();
            return (!video || got(last, fromId, 'video', 'frames') > 0) &&
                   (!audio || got(last, fromId, 'audio', 'packets') > 0);
        }, { timeout: ms, interval: 250, what: `${peer.name} receives from ${fromId}` });
    } catch (e) {
        throw new Error(`${e.message}; last media at ${peer.name}: ${JSON.stringify(last)}`);
    }
    return last;
}

// Waits until f(media) grows above its current value (by more than `by`).
export async function waitIncrease(peer, f, { ms = 10000, by = 0, what = 'counter increases' } = {}) {
    const start = f(await peer.media());
    let now = start;
    try {
        await eventually(async () => {
            now = f(await peer.media());
            return now > start + by;
        }, { timeout: ms, interval: 200, what: `${peer.name}: ${what}` });
    } catch (e) {
        throw new Error(`${e.message} (stayed ${start} -> ${now})`);
    }
    return { start, now };
}

// Asserts f(media) does not change over `ms`.
export async function assertStill(peer, f, { ms = 1500, what = 'counter stays' } = {}) {
    const a = f(await peer.media());
    await sleep(ms);
    const b = f(await peer.media());
    assert.equal(b, a, `${peer.name}: ${what} (was ${a}, now ${b} after ${ms} ms)`);
    return a;
}

// Totals of a raw __e2e.stats() array (app pages): inbound/outbound per kind.
export function totals(stats) {
    const t = { in: { audio: { packets: 0, frames: 0 }, video: { packets: 0, frames: 0 } },
        out: { audio: { packets: 0, frames: 0 }, video: { packets: 0, frames: 0 } }, states: [] };
    for (const pc of stats ?? []) {
        t.states.push(pc.connectionState);
        for (const i of pc.inbound) {
            const k = t.in[i.kind] ??= { packets: 0, frames: 0 };
            k.packets += i.packets;
            k.frames += i.frames;
        }
        for (const o of pc.outbound) {
            const k = t.out[o.kind] ??= { packets: 0, frames: 0 };
            k.packets += o.packets;
            k.frames += o.frames;
        }
    }
    return t;
}

// Waits until an app page's PeerConnections decode video and receive audio.
export async function waitAppFlowing(p, { ms = 25000, videoStreams = 1 } = {}) {
    let last;
    try {
        await eventually(async () => {
            last = await p.stats();
            let decoding = 0;
            let audio = 0;
            for (const pc of last) {
                for (const i of pc.inbound) {
                    if (i.kind === 'video' && i.frames > 0) decoding += 1;
                    if (i.kind === 'audio') audio += i.packets;
                }
            }
            return decoding >= videoStreams && audio > 0;
        }, { timeout: ms, interval: 300, what: `${p.name} (app) decodes video and receives audio` });
    } catch (e) {
        throw new Error(`${e.message}; last stats at ${p.name}: ${JSON.stringify(last)}`);
    }
    return last;
}

export { step };
