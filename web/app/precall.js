// The pre-call check of the lobby (docs/SDK.md "Pre-call check"): while a
// participant waits to be admitted it shows the camera picture, a
// microphone level meter, a test sound, camera / microphone / speaker
// choice and a connection check, and ends with a plain verdict:
//
//   good            camera and connection work
//   audio_only      connected, but no working camera or a slow connection
//                   (under MIN_MBPS): the call can go ahead with sound only
//   cannot_connect  the video service's relay (TURN) cannot be reached, or
//                   two connections through it do not connect
//
// The verdict with {camera, microphone} goes to onResult (the app sends it
// to the moderators with client.reportPrecheck). The devices chosen here are
// handed to the app's publish once admitted (publishOptions()).
//
// Connection check: two RTCPeerConnections in this page, both with the
// join's TURN servers and iceTransportPolicy 'relay', connect to each other
// through the relay. A relay candidate within RELAY_MS means the relay is
// reachable. Then a data channel pushes at most BW_MAX_BYTES for at most
// BW_MS and the receiving side counts what arrived: a rough estimate of the
// path from this device up to the relay and back down to it (both
// directions of the access link at once, plus the relay), not of either
// direction alone; good enough to tell "video will work" from "it will not".
//
// No text here: every text comes from strings.js (keys 'precall.*').
import { t, translateDom } from './strings.js';

const RELAY_MS = 5000;           // a relay candidate within this, or "cannot connect"
const CONNECT_MS = 8000;         // the two relay connections open their data channel within this
const BW_MS = 1800;              // the bandwidth push lasts at most this
const BW_MAX_BYTES = 2 * 1024 * 1024;
const BW_CHUNK = 16 * 1024;
const BW_HIGH_WATER = 512 * 1024;
const MIN_MBPS = 0.5;            // below this: sound only
const DEVICE_MS = 5000;          // camera frames / microphone level within this
const LEVEL_SEEN = 3;            // meter level (0..100) that counts as "the microphone hears something"
const METER_EVERY_MS = 100;

// The same capture settings as the SDK's publish (web/telemed.js), plus the device.
const AUDIO = { echoCancellation: true, noiseSuppression: true };
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The value of `promise`, or `fallback` after `ms` or as soon as alive() is
// false (a stopped check closes its connections at once).
async function within(promise, ms, alive, fallback) {
    let done = false;
    let value = fallback;
    promise.then((v) => {
        done = true;
        value = v;
    }, () => {
        done = true;
    });
    const deadline = performance.now() + ms;
    while (!done && alive() && performance.now() < deadline) await sleep(50);
    return done ? value : fallback;
}

// The TURN entries of an ice_servers list (STUN is of no use with a relay-only policy).
function turnServers(iceServers) {
    const out = [];
    for (const s of Array.isArray(iceServers) ? iceServers : []) {
        const urls = [].concat(s && s.urls ? s.urls : []).filter((u) => /^turns?:/i.test(String(u)));
        if (urls.length) out.push({ ...s, urls });
    }
    return out;
}

function isRelay(c) {
    if (!c) return false;
    if (c.type) return c.type === 'relay';
    return / typ relay( |$)/.test(c.candidate || '');
}

// Why getUserMedia failed, in a key suffix: blocked | missing | busy.
function mediaProblem(e) {
    const n = e && e.name;
    if (n === 'NotAllowedError' || n === 'SecurityError') return 'blocked';
    if (n === 'NotFoundError' || n === 'OverconstrainedError') return 'missing';
    return 'busy';
}

/** Connection check: {connection: 'ok'|'slow'|'fail'|'skipped', relay, connected, mbps, why}.
 *  `alive()` false stops it early (the check was cancelled). */
export async function connectionCheck(iceServers, { alive = () => true, RTCPeerConnection: PC = globalThis.RTCPeerConnection } = {}) {
    const servers = turnServers(iceServers);
    if (servers.length === 0 || typeof PC !== 'function') {
        return { connection: 'skipped', relay: false, connected: false, mbps: null, why: 'no-turn' };
    }
    const cfg = { iceServers: servers, iceTransportPolicy: 'relay' };
    const a = new PC(cfg);
    const b = new PC(cfg);
    const res = { connection: 'fail', relay: false, connected: false, mbps: null, why: null };
    try {
        let relaySeen;
        const relay = new Promise((r) => { relaySeen = r; });
        // Candidates wait until the other side has its remote description.
        const ready = new Map();
        for (const pc of [a, b]) {
            const v = {};
            v.promise = new Promise((r) => { v.resolve = r; });
            ready.set(pc, v);
        }
        const add = (pc, c) => ready.get(pc).promise.then(() => pc.addIceCandidate(c)).catch(() => {});
        a.onicecandidate = (e) => {
            if (isRelay(e.candidate)) relaySeen(true);
            if (e.candidate) add(b, e.candidate);
        };
        b.onicecandidate = (e) => {
            if (isRelay(e.candidate)) relaySeen(true);
            if (e.candidate) add(a, e.candidate);
        };
        const dc = a.createDataChannel('precall', { ordered: true });
        dc.binaryType = 'arraybuffer';
        const incoming = new Promise((r) => { b.ondatachannel = (e) => r(e.channel); });
        const opened = new Promise((r) => { dc.onopen = () => r(true); });
        await a.setLocalDescription(await a.createOffer());
        await b.setRemoteDescription(a.localDescription);
        ready.get(b).resolve();
        await b.setLocalDescription(await b.createAnswer());
        await a.setRemoteDescription(b.localDescription);
        ready.get(a).resolve();

        res.relay = await within(relay, RELAY_MS, alive, false);
        if (!alive()) return res;
        if (!res.relay) {
            res.why = 'no-relay';
            return res;
        }
        const rx = await within(Promise.all([opened, incoming]).then(([, ch]) => ch), CONNECT_MS, alive, null);
        if (!alive()) return res;
        if (!rx) {
            res.why = 'no-connection';
            return res;
        }
        res.connected = true;

        // Bandwidth: push for at most BW_MS (and BW_MAX_BYTES), count what
        // arrives at the other end within the same time.
        let received = 0;
        let lastAt = 0;
        rx.binaryType = 'arraybuffer';
        rx.onmessage = (e) => {
            received += e.data.byteLength ?? e.data.size ?? 0;
            lastAt = performance.now();
        };
        const chunk = new Uint8Array(BW_CHUNK);
        const t0 = performance.now();
        const stopAt = t0 + BW_MS;
        let sent = 0;
        const pump = () => {
            while (sent < BW_MAX_BYTES && dc.readyState === 'open' && dc.bufferedAmount < BW_HIGH_WATER && performance.now() < stopAt) {
                dc.send(chunk);
                sent += chunk.byteLength;
            }
        };
        dc.bufferedAmountLowThreshold = BW_HIGH_WATER / 2;
        dc.onbufferedamountlow = pump;
        pump();
        let all = false;
        while (alive() && performance.now() < stopAt) {
            await sleep(50);
            pump();
            all = sent >= BW_MAX_BYTES && received >= sent;
            if (all) break;
        }
        if (!alive()) return res;
        // What arrived over the time it took (all of it: until the last byte).
        const secs = Math.max(0.05, ((all ? lastAt : performance.now()) - t0) / 1000);
        res.mbps = Math.round((received * 8) / secs / 1e5) / 10;
        res.connection = res.mbps < MIN_MBPS ? 'slow' : 'ok';
        return res;
    } catch (e) {
        res.why = `error: ${e && e.name}`;
        return res;
    } finally {
        a.close();
        b.close();
    }
}

/** The verdict for a state {camera, microphone, connection} (each 'ok', 'fail',
 *  'slow', 'skipped' or 'checking'); null while something is still being checked. */
export function verdict({ camera, microphone, connection }) {
    if (connection === 'fail') return 'cannot_connect';
    if ([camera, microphone, connection].includes('checking')) return null;
    if (camera !== 'ok' || connection === 'slow') return 'audio_only';
    return 'good';
}

/** The moderator's plain words for a waiting entry's `precheck` ({result,
 *  camera, microphone} or null): {result, text}. */
export function precheckSummary(p) {
    const result = p && ['good', 'audio_only', 'cannot_connect'].includes(p.result) ? p.result : 'none';
    const details = [];
    if (result !== 'none') {
        if (p.camera === false) details.push(t('precall.waiting.camera_off'));
        else if (result === 'audio_only') details.push(t('precall.waiting.slow'));
        if (p.microphone === false) details.push(t('precall.waiting.microphone_off'));
    }
    const text = t(`precall.waiting.${result}`);
    return { result, text: details.length ? t('precall.waiting.with_details', { text, details: details.join(', ') }) : text };
}

export class PreCall {
    /** root: the #precall element of index.html. onResult({result, camera,
     *  microphone}) is called with each new verdict. */
    constructor(root, { onResult = () => {}, mediaDevices = navigator.mediaDevices } = {}) {
        this.root = root;
        this.onResult = onResult;
        this.md = mediaDevices;
        this.$ = (id) => root.querySelector(`#${id}`);
        this.stream = null;
        this.iceServers = [];
        this.active = false;
        this.gen = 0;                  // bumped by each run and by stop(): stale async work ends quietly
        this.audioCtx = null;
        this.analyser = null;
        this.source = null;
        this.meterTimer = null;
        this.devices = { camera: '', microphone: '', speaker: '' };
        // For tests and the app (window.telemedApp.precall): the last state.
        this.state = {
            status: 'idle',            // idle | checking | done | stopped
            camera: 'checking', microphone: 'checking', connection: 'checking',
            cameraWhy: null, microphoneWhy: null,
            mbps: null, relay: null, why: null, peak: 0, frames: 0,
            result: null, reported: null, runs: 0, sound: null,
        };
        this.reported = null;
        this.$('precall-retry').addEventListener('click', () => this.check());
        this.$('precall-play').addEventListener('click', () => this.playTestSound());
        this.$('precall-camera-select').addEventListener('change', (e) => this.useDevice('video', e.target.value));
        this.$('precall-microphone-select').addEventListener('change', (e) => this.useDevice('audio', e.target.value));
        this.$('precall-speaker-select').addEventListener('change', (e) => {
            this.devices.speaker = e.target.value;
        });
        this.meterEl = this.$('precall-meter');
        this.meterBar = this.meterEl.querySelector('.precall-meter-bar');
    }

    /** Starts the check (once; again after stop()). The SDK itself sends
     *  the last report again after a rejoin. */
    start(iceServers) {
        this.iceServers = iceServers || [];
        this.root.hidden = false;
        if (this.active) return;
        this.active = true;
        translateDom(this.root);
        this.check();
    }

    /** Stops everything: timers, the connection check, the meter and the
     *  devices not handed over to publishOptions(). */
    stop() {
        if (!this.active && !this.stream) return;
        this.active = false;
        this.gen += 1;
        this.state.status = 'stopped';
        this.root.dataset.state = 'stopped';
        this.stopMeter();
        if (this.stream) for (const tr of this.stream.getTracks()) tr.stop();
        this.stream = null;
        this.$('precall-video').srcObject = null;
        if (this.audioCtx) this.audioCtx.close().catch(() => {});
        this.audioCtx = null;
    }

    /** Options for client.publish({audio, video, stream}) with the devices
     *  chosen here: the check's own stream when it holds every kind asked
     *  (handed over: this check no longer stops those tracks), else
     *  constraints naming the chosen devices. */
    publishOptions({ audio, video }) {
        const s = this.stream;
        const a = s && s.getAudioTracks()[0];
        const v = s && s.getVideoTracks()[0];
        const live = (tr) => tr && tr.readyState === 'live';
        if (s && (!audio || live(a)) && (!video || live(v)) && (audio || video)) {
            const tracks = [audio ? a : null, video ? v : null].filter(Boolean);
            for (const tr of s.getTracks()) if (!tracks.includes(tr)) tr.stop();
            this.stream = null;
            this.stop();
            return { audio: !!audio, video: !!video, stream: new MediaStream(tracks) };
        }
        const pick = (kind, id) => (id ? { ...(kind === 'audio' ? AUDIO : VIDEO), deviceId: { ideal: id } } : true);
        return {
            audio: audio ? pick('audio', this.devices.microphone) : false,
            video: video ? pick('video', this.devices.camera) : false,
        };
    }

    // ---------------------------------------------------------------- the check

    async check() {
        if (!this.active) return;
        const gen = ++this.gen;
        const alive = () => this.active && this.gen === gen;
        const st = this.state;
        Object.assign(st, {
            status: 'checking', camera: 'checking', microphone: 'checking', connection: 'checking',
            cameraWhy: null, microphoneWhy: null, mbps: null, relay: null, why: null, peak: 0, frames: 0, result: null,
        });
        st.runs += 1;
        this.$('precall-retry').disabled = true;
        this.render();
        const devices = this.checkDevices(alive);
        const conn = connectionCheck(this.iceServers, { alive }).then((r) => {
            if (!alive()) return;
            Object.assign(st, { connection: r.connection, mbps: r.mbps, relay: r.relay, why: r.why });
            this.render();
            this.settle();
        });
        await Promise.all([devices, conn]);
        if (!alive()) return;
        this.$('precall-retry').disabled = false;
        this.settle();
    }

    // The verdict (a failed connection decides at once, shown while the
    // devices are still checked); reported once nothing is being checked,
    // and again when it changes.
    settle() {
        const st = this.state;
        const result = verdict(st);
        if (!result) return;
        st.result = result;
        const done = ![st.camera, st.microphone, st.connection].includes('checking');
        if (done) st.status = 'done';
        this.render();
        if (done) this.report();
    }

    report() {
        const st = this.state;
        if (!st.result) return;
        const r = { result: st.result, camera: st.camera === 'ok', microphone: st.microphone === 'ok' };
        const key = JSON.stringify(r);
        if (key === this.reported) return;
        this.reported = key;
        st.reported = r;
        try {
            this.onResult(r);
        } catch {
            // the app's concern
        }
    }

    // Capture (both kinds, else each alone), then watch frames and level.
    async checkDevices(alive) {
        const st = this.state;
        const live = (kind) => this.stream && this.stream.getTracks().some((tr) => tr.kind === kind && tr.readyState === 'live');
        if (!live('audio') || !live('video')) {
            if (this.stream) for (const tr of this.stream.getTracks()) tr.stop();
            this.stream = null;
            const got = [];
            const why = {};
            try {
                const s = await this.md.getUserMedia({ audio: this.constraint('audio'), video: this.constraint('video') });
                got.push(...s.getTracks());
            } catch {
                for (const kind of ['audio', 'video']) {
                    try {
                        const s = await this.md.getUserMedia({ [kind]: this.constraint(kind) });
                        got.push(...s.getTracks());
                    } catch (e) {
                        why[kind] = mediaProblem(e);
                    }
                }
            }
            if (!alive()) {
                for (const tr of got) tr.stop();
                return;
            }
            this.stream = new MediaStream(got);
            st.cameraWhy = why.video ?? null;
            st.microphoneWhy = why.audio ?? null;
        }
        await this.listDevices();
        if (!alive()) return;
        this.attach();
        await Promise.all([this.watchCamera(alive), this.watchMicrophone(alive)]);
    }

    constraint(kind) {
        const id = kind === 'audio' ? this.devices.microphone : this.devices.camera;
        const base = kind === 'audio' ? AUDIO : VIDEO;
        return id ? { ...base, deviceId: { exact: id } } : base;
    }

    // Preview and meter on the current stream.
    attach() {
        const video = this.$('precall-video');
        const v = this.stream && this.stream.getVideoTracks()[0];
        if (v) {
            video.srcObject = new MediaStream([v]);
            const p = video.play();
            if (p && p.catch) p.catch(() => {});
        } else {
            video.srcObject = null;
        }
        for (const tr of this.stream ? this.stream.getTracks() : []) {
            tr.onended = () => {
                if (!this.active) return;
                if (tr.kind === 'video') this.state.camera = 'fail';
                else this.state.microphone = 'fail';
                this.render();
                this.settle();
            };
        }
        this.startMeter();
    }

    async watchCamera(alive) {
        const st = this.state;
        const v = this.stream && this.stream.getVideoTracks()[0];
        const video = this.$('precall-video');
        if (!v) {
            st.camera = 'fail';
            this.render();
            return;
        }
        const deadline = performance.now() + DEVICE_MS;
        while (alive() && performance.now() < deadline) {
            const q = typeof video.getVideoPlaybackQuality === 'function' ? video.getVideoPlaybackQuality() : null;
            st.frames = q ? q.totalVideoFrames : video.videoWidth > 0 ? 1 : 0;
            if (v.readyState === 'live' && st.frames > 0 && video.videoWidth > 0) break;
            await sleep(100);
        }
        if (!alive()) return;
        st.camera = v.readyState === 'live' && st.frames > 0 && video.videoWidth > 0 ? 'ok' : 'fail';
        this.render();
    }

    async watchMicrophone(alive) {
        const st = this.state;
        const a = this.stream && this.stream.getAudioTracks()[0];
        if (!a) {
            st.microphone = 'fail';
            this.render();
            return;
        }
        const deadline = performance.now() + DEVICE_MS;
        while (alive() && performance.now() < deadline && st.peak < LEVEL_SEEN && a.readyState === 'live') await sleep(100);
        if (!alive()) return;
        // Without a running AudioContext (the browser keeps it suspended until
        // the user touches the page) the level is unknown: a live track counts.
        const measured = this.audioCtx && this.audioCtx.state === 'running';
        st.microphone = a.readyState === 'live' && (st.peak >= LEVEL_SEEN || (!measured && !a.muted)) ? 'ok' : 'fail';
        this.render();
    }

    // ---------------------------------------------------------------- meter

    startMeter() {
        this.stopMeter();
        const a = this.stream && this.stream.getAudioTracks()[0];
        const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
        if (!a || !AC) {
            this.setLevel(0);
            return;
        }
        if (!this.audioCtx) {
            this.audioCtx = new AC();
            // Browsers may keep it suspended until the user interacts with the page.
            if (this.audioCtx.state === 'suspended') {
                this.audioCtx.resume().catch(() => {});
                const wake = () => {
                    if (this.audioCtx) this.audioCtx.resume().catch(() => {});
                };
                document.addEventListener('pointerdown', wake, { once: true });
                document.addEventListener('keydown', wake, { once: true });
            }
        }
        this.source = this.audioCtx.createMediaStreamSource(new MediaStream([a]));
        this.analyser = this.audioCtx.createAnalyser();
        this.analyser.fftSize = 1024;
        this.source.connect(this.analyser);
        const buf = new Float32Array(this.analyser.fftSize);
        let ticks = 0;
        this.meterTimer = setInterval(() => {
            if (!this.analyser) return;
            this.analyser.getFloatTimeDomainData(buf);
            let sum = 0;
            for (const x of buf) sum += x * x;
            const rms = Math.sqrt(sum / buf.length);
            // -60 dBFS .. 0 dBFS onto 0..100
            const db = rms > 0 ? 20 * Math.log10(rms) : -100;
            const level = Math.max(0, Math.min(100, Math.round(((db + 60) / 60) * 100)));
            this.state.peak = Math.max(this.state.peak, level);
            // The bar follows every tick; the accessible value a few times a second.
            this.setLevel(level, ticks++ % 3 === 0);
        }, METER_EVERY_MS);
    }

    stopMeter() {
        if (this.meterTimer) clearInterval(this.meterTimer);
        this.meterTimer = null;
        if (this.source) this.source.disconnect();
        this.source = null;
        this.analyser = null;
        this.setLevel(0);
    }

    setLevel(level, announce = true) {
        this.meterBar.style.transform = `scaleX(${level / 100})`;
        // The highest level seen, on every tick (a test reads it as soon as the verdict is in).
        this.meterEl.dataset.peak = String(this.state.peak);
        if (!announce) return;
        const word = level < LEVEL_SEEN ? 'silent' : level < 35 ? 'quiet' : level < 75 ? 'good' : 'loud';
        this.meterEl.setAttribute('aria-valuenow', String(level));
        this.meterEl.setAttribute('aria-valuetext', t(`precall.meter.${word}`, { level }));
        this.meterEl.dataset.level = String(level);
    }

    // ---------------------------------------------------------------- devices

    async listDevices() {
        let list = [];
        try {
            list = await this.md.enumerateDevices();
        } catch {
            // no list: the selects keep the default device only
        }
        const fill = (selectId, kind, nameKey, current) => {
            const sel = this.$(selectId);
            const found = list.filter((d) => d.kind === kind && d.deviceId !== 'communications');
            const opts = found.map((d, i) => [d.deviceId, d.label || t(nameKey, { n: i + 1 })]);
            if (opts.length === 0) opts.push(['', t('precall.device.none')]);
            sel.replaceChildren(...opts.map(([v, label]) => {
                const o = document.createElement('option');
                o.value = v;
                o.textContent = label;
                return o;
            }));
            sel.disabled = found.length === 0;
            if (current && opts.some(([v]) => v === current)) sel.value = current;
            return found;
        };
        const trackDevice = (kind) => {
            const tr = this.stream && (kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0]);
            return (tr && tr.getSettings && tr.getSettings().deviceId) || '';
        };
        fill('precall-camera-select', 'videoinput', 'precall.device.camera_n', this.devices.camera || trackDevice('video'));
        fill('precall-microphone-select', 'audioinput', 'precall.device.microphone_n', this.devices.microphone || trackDevice('audio'));
        const canPick = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
        const speakers = canPick ? fill('precall-speaker-select', 'audiooutput', 'precall.device.speaker_n', this.devices.speaker) : [];
        this.$('precall-speaker-field').hidden = speakers.length === 0;
    }

    // A device chosen in a select: capture it instead of the current one.
    async useDevice(kind, id) {
        if (!this.active) return;
        if (kind === 'video') this.devices.camera = id;
        else this.devices.microphone = id;
        const gen = ++this.gen;
        const alive = () => this.active && this.gen === gen;
        const st = this.state;
        const key = kind === 'video' ? 'camera' : 'microphone';
        st[key] = 'checking';
        st[`${key}Why`] = null;
        if (kind === 'video') st.frames = 0;
        else st.peak = 0;
        this.render();
        let track = null;
        try {
            const s = await this.md.getUserMedia({ [kind]: this.constraint(kind) });
            track = s.getTracks()[0] ?? null;
        } catch (e) {
            st[`${key}Why`] = mediaProblem(e);
        }
        if (!alive()) {
            if (track) track.stop();
            return;
        }
        const keep = this.stream ? this.stream.getTracks().filter((tr) => tr.kind !== kind) : [];
        if (this.stream) for (const tr of this.stream.getTracks()) if (tr.kind === kind) tr.stop();
        this.stream = new MediaStream([...keep, ...(track ? [track] : [])]);
        this.attach();
        await (kind === 'video' ? this.watchCamera(alive) : this.watchMicrophone(alive));
        if (!alive()) return;
        // The connection check of the run this interrupted is not waited for
        // again: keep its result, or check it anew if it had not finished.
        if (st.connection === 'checking') {
            this.check();
            return;
        }
        this.$('precall-retry').disabled = false;
        this.settle();
    }

    // ---------------------------------------------------------------- test sound

    async playTestSound() {
        const btn = this.$('precall-play');
        const note = this.$('precall-sound');
        const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
        btn.disabled = true;
        this.state.sound = 'playing';
        note.textContent = t('precall.speaker.playing');
        let ctx = null;
        const audio = new Audio();
        try {
            // A short two-note chime through an <audio> element, so that the
            // chosen speaker (setSinkId) plays it.
            ctx = new AC();
            await ctx.resume();
            const dest = ctx.createMediaStreamDestination();
            const gain = ctx.createGain();
            gain.connect(dest);
            const t0 = ctx.currentTime + 0.05;
            gain.gain.setValueAtTime(0, t0);
            gain.gain.linearRampToValueAtTime(0.3, t0 + 0.03);
            gain.gain.setValueAtTime(0.3, t0 + 0.9);
            gain.gain.linearRampToValueAtTime(0, t0 + 1.0);
            for (const [f, at] of [[660, 0], [880, 0.45]]) {
                const o = ctx.createOscillator();
                o.frequency.value = f;
                o.connect(gain);
                o.start(t0 + at);
                o.stop(t0 + at + 0.45 + (at ? 0.1 : 0));
            }
            if (this.devices.speaker && typeof audio.setSinkId === 'function') await audio.setSinkId(this.devices.speaker);
            audio.srcObject = dest.stream;
            await audio.play();
            await sleep(1200);
            this.state.sound = 'played';
            note.textContent = t('precall.speaker.played');
        } catch {
            this.state.sound = 'failed';
            note.textContent = t('precall.speaker.failed');
        } finally {
            audio.pause();
            audio.srcObject = null;
            if (ctx) ctx.close().catch(() => {});
            btn.disabled = false;
        }
    }

    // ---------------------------------------------------------------- view

    render() {
        const st = this.state;
        this.root.dataset.state = st.status;
        const line = (id, state, text) => {
            const e = this.$(id);
            e.dataset.state = state;
            e.querySelector('.precall-text').textContent = text;
        };
        const dev = (key) => {
            const s = st[key];
            if (s === 'checking') return t(`precall.${key}.checking`);
            if (s === 'ok') return t(`precall.${key}.ok`);
            return t(`precall.${key}.${st[`${key}Why`] ?? 'fail'}`);
        };
        line('precall-camera', st.camera, dev('camera'));
        line('precall-microphone', st.microphone, dev('microphone'));
        const c = st.connection;
        const mbps = st.mbps === null ? '' : st.mbps.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
        line('precall-connection', c, t(`precall.connection.${c}`, { mbps }));
        this.$('precall-connection').dataset.mbps = st.mbps === null ? '' : String(st.mbps);
        this.$('precall-novideo').hidden = st.camera !== 'fail';

        const v = this.$('precall-verdict');
        const result = st.status === 'done' || st.result === 'cannot_connect' ? st.result : null;
        const text = result ? t(`precall.verdict.${result}`) : t('precall.verdict.checking');
        const extra = result && result !== 'cannot_connect' && st.microphone === 'fail' ? ` ${t('precall.verdict.no_microphone')}` : '';
        // Only a change is written: the live region announces each write.
        if (v.dataset.result !== (result ?? 'checking') || v.textContent !== text + extra) {
            v.dataset.result = result ?? 'checking';
            v.textContent = text + extra;
        }
    }
}
