// The clinic web app: a thin UI over the SDK (../sdk/telemed.js, docs/SDK.md).
//
// Opened with the join link /app/#join=<base64url(JSON join object)>
// [&name=<display name hint>], or with the invitation link
// /app/#invite=<participant credential> (access.invite_url: sent days
// ahead; the app exchanges the credential for a fresh join object with
// POST ../join when opened, and again when a rejoin needs a new token). The
// fragment is read once, kept in sessionStorage for a reload of this tab,
// and removed from the address bar.
// ?autopublish=0: do not start microphone and camera by themselves (default:
// publish what the permissions allow when admitted).
//
// For tests: window.telemedClient is the TelemedClient, window.telemedApp the
// app state; every control and tile has a data-testid. Nothing here logs the
// token, the credential or any name.
import {
    TelemedClient, decodeInviteLink, decodeJoinLink, encodeJoinLink, exchangeCredential,
} from '../sdk/telemed.js';

const STORAGE_KEY = 'telemed.join';
const INVITE_KEY = 'telemed.invite';
// POST /join of the controller that serves this app (<public_url>/app/ -> <public_url>/join).
const JOIN_URL = new URL('../join', location.href).href;
// A rejoin exchanges the credential again when the token has less than this left.
const TOKEN_MIN_VALIDITY_MS = 60000;
const params = new URLSearchParams(location.search);

const app = {
    screen: 'connecting',      // connecting | lobby | call | end
    status: null,              // the client's status
    reconnecting: false,
    banner: null,              // {kind, text}
    endReason: null,           // kicked | removed | replaced | denied | ended | left | error
    error: null,               // {code, message} of a fatal error
    errors: [],                // codes of non-fatal errors, most recent last
    autopublish: params.get('autopublish') !== '0',
    publishing: { audio: false, video: false, screen: false },
    participantId: null,
    role: null,
    via: null,                 // 'join' (join link) | 'invite' (credential exchanged)
    exchanges: 0,              // POST /join calls made
    nameHint: null,
    audioBlocked: false,
};
window.telemedApp = app;

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
};

const ROLE_NAMES = { doctor: 'Doctor', patient: 'Patient', paramedic: 'Paramedic', observer: 'Observer' };
const roleName = (role) => ROLE_NAMES[role] ?? 'Participant';
const nameOf = (p) => (p && p.display_name) || roleName(p && p.role);

// ------------------------------------------------------------------ screens and banners

function show(screen) {
    app.screen = screen;
    for (const s of ['connecting', 'lobby', 'call', 'end']) $(`screen-${s}`).hidden = s !== screen;
    document.body.dataset.screen = screen;
}

function setBanner(kind, text) {
    app.banner = kind ? { kind, text } : null;
    const b = $('banner');
    b.hidden = !kind;
    b.dataset.kind = kind || '';
    b.className = `banner ${kind || ''}`;
    b.setAttribute('role', kind === 'reconnecting' ? 'status' : 'alert');
    $('banner-text').textContent = text || '';
    $('banner-close').hidden = kind === 'reconnecting';
}

function setConn(text) {
    $('conn').textContent = text;
}

const END_TEXT = {
    kicked: ['You were removed', 'The clinician removed you from this consultation.'],
    removed: ['You were removed', 'You were removed from this consultation.'],
    replaced: ['Opened somewhere else', 'You joined this consultation from another window or device, so this window was disconnected.'],
    denied: ['Not admitted', 'The clinician did not let you in. If you think this is a mistake, please contact the clinic.'],
    ended: ['The consultation has ended', 'Thank you. You can close this page now.'],
    left: ['You left the consultation', 'You can close this page now.'],
};

function end(reason, text) {
    app.endReason = reason;
    const [title, body] = END_TEXT[reason] ?? ['Something went wrong', text || ''];
    $('end-title').textContent = title;
    $('end-text').textContent = text && END_TEXT[reason] ? `${body} ${text}` : body;
    $('screen-end').dataset.reason = reason;
    $('btn-retry').hidden = reason !== 'error';
    setConn(reason === 'error' ? 'Not connected' : 'Disconnected');
    for (const a of document.querySelectorAll('audio, video')) a.srcObject = null;
    $('btn-audio').hidden = true;
    show('end');
    // The banner names the reason too (data-kind = the reason), announced as an alert.
    setBanner(reason, title);
    $('banner').setAttribute('role', 'alert');
    $('banner-close').hidden = true;
    $('main').focus();
}

// Messages for TelemedError codes (docs/PROTOCOL.md "Errors").
function describeError(e) {
    const code = e && e.code;
    if (code === 'link') return 'This page needs the join link the clinic sent you. Please open that link again.';
    if (code === 'credential') return 'This invitation is no longer valid. Please ask the clinic for a new link.';
    if (code === 'rate-limited') return 'Too many attempts. Please wait a minute and try again.';
    if (code === 4017) return 'This join link has expired. Please ask the clinic for a new link.';
    if (code === 4016) return 'This join link is not valid yet. Please check the time on your device.';
    if (typeof code === 'number' && code >= 4010 && code <= 4019) return 'This join link is not valid. Please ask the clinic for a new link.';
    if (code === 4020) return 'You were removed from this consultation.';
    if (code === 4040) return 'This consultation is not open: it has ended, or it has not been set up yet.';
    if (code === 4090) return 'The consultation is full. Please try again later.';
    if (code === 'timeout' || code === 'transport') return 'Could not reach the video service. Please check your connection and try again.';
    if (code === 'media') return 'Your camera or microphone could not be started. You can still see and hear the others.';
    return `Something went wrong (${code ?? 'unknown'}). Please try again.`;
}

// ------------------------------------------------------------------ join link

// {invite: credential} for an invitation link, else the decoded join link.
function readJoin() {
    if (location.hash.length > 1) {
        const invite = decodeInviteLink(location.hash);
        try {
            if (invite) {
                sessionStorage.setItem(INVITE_KEY, invite.credential);
                sessionStorage.removeItem(STORAGE_KEY);
            }
        } catch {
            // storage unavailable: a reload will need the link again
        }
        if (invite) {
            history.replaceState(null, '', location.pathname + location.search);
            return { invite: invite.credential };
        }
        const join = decodeJoinLink(location.hash);
        try {
            sessionStorage.setItem(STORAGE_KEY, encodeJoinLink(join) + (join.name ? `&name=${encodeURIComponent(join.name)}` : ''));
            sessionStorage.removeItem(INVITE_KEY);
        } catch {
            // storage unavailable: a reload will need the link again
        }
        history.replaceState(null, '', location.pathname + location.search);
        return join;
    }
    let saved = null;
    let invite = null;
    try {
        invite = sessionStorage.getItem(INVITE_KEY);
        saved = sessionStorage.getItem(STORAGE_KEY);
    } catch {
        // ignore
    }
    if (invite) return { invite };
    return decodeJoinLink(saved || '');
}

// POST /join with the invitation's credential; waits out a 429 (a few times).
async function exchange(credential) {
    for (let attempt = 0; ; attempt++) {
        try {
            app.exchanges += 1;
            return await exchangeCredential(credential, { joinUrl: JOIN_URL });
        } catch (e) {
            if (e.code !== 'rate-limited' || attempt >= 3) throw e;
            await new Promise((r) => setTimeout(r, e.retryAfter * 1000));
        }
    }
}

// ------------------------------------------------------------------ tiles

const tiles = new Map();   // key (pid or pid:screen) -> {root, video, audio, label, mic, cam}

function ensureTile(key, pid, { self = false, screen = false } = {}) {
    let t = tiles.get(key);
    if (t) return t;
    const video = el('video', { autoplay: true, playsinline: true, muted: true, 'data-testid': screen ? `video-screen-${pid}` : `video-${pid}` });
    video.muted = true;
    const audio = screen || self ? null : el('audio', { autoplay: true, 'data-testid': `audio-${pid}` });
    const label = el('span', { class: 'name', 'data-testid': screen ? `name-screen-${pid}` : `name-${pid}` });
    const mic = el('span', { class: 'badge mic', text: 'Mic off', hidden: true, 'data-testid': `badge-mic-${pid}` });
    const cam = el('span', { class: 'badge cam', text: 'Camera off', hidden: true, 'data-testid': `badge-cam-${pid}` });
    const placeholder = el('div', { class: 'placeholder', 'aria-hidden': 'true' });
    const caption = el('div', { class: 'caption' }, label, screen ? null : mic, screen ? null : cam);
    const root = el('figure', {
        class: `tile${self ? ' self' : ''}${screen ? ' screen' : ''}`,
        'data-testid': screen ? `tile-screen-${pid}` : `tile-${pid}`,
        'data-participant-id': pid,
        'data-self': self ? 'true' : 'false',
        'data-source': screen ? 'screen' : 'camera',
        'data-has-video': 'false',
    }, placeholder, video, caption);
    if (audio) root.append(audio);
    t = { root, video, audio, label, mic, cam, placeholder };
    tiles.set(key, t);
    const container = $('tiles');
    if (self) container.prepend(root);
    else container.append(root);
    return t;
}

function removeTile(key) {
    const t = tiles.get(key);
    if (!t) return;
    t.video.srcObject = null;
    if (t.audio) t.audio.srcObject = null;
    t.root.remove();
    tiles.delete(key);
}

function setStream(mediaEl, stream) {
    if (!mediaEl || mediaEl.srcObject === stream) return;
    mediaEl.srcObject = stream || null;
    if (stream) {
        const p = mediaEl.play();
        if (p && typeof p.catch === 'function') {
            p.catch((e) => {
                if (e && e.name === 'NotAllowedError' && mediaEl.tagName === 'AUDIO') {
                    app.audioBlocked = true;
                    $('btn-audio').hidden = false;
                }
            });
        }
    }
}

function fillTile(t, { name, mutedAudio, mutedVideo, videoStream, audioStream, role }) {
    t.label.textContent = name;
    t.root.setAttribute('aria-label', name);
    t.root.dataset.mutedAudio = mutedAudio ? 'true' : 'false';
    t.root.dataset.mutedVideo = mutedVideo ? 'true' : 'false';
    if (role) t.root.dataset.role = role;
    t.mic.hidden = !mutedAudio;
    t.cam.hidden = !mutedVideo;
    setStream(t.video, videoStream);
    if (t.audio) setStream(t.audio, audioStream);
    t.root.dataset.hasVideo = videoStream ? 'true' : 'false';
    t.placeholder.textContent = videoStream ? '' : initials(name);
}

function initials(name) {
    return String(name).split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

function renderTiles() {
    const c = client;
    if (!c) return;
    const seen = new Set();
    // Own tile.
    if (c.participantId) {
        const key = c.participantId;
        seen.add(key);
        const t = ensureTile(key, key, { self: true });
        const v = c.localStream && c.localStream.getVideoTracks()[0];
        const a = c.localStream && c.localStream.getAudioTracks()[0];
        fillTile(t, {
            name: app.nameHint ? `You (${app.nameHint})` : 'You',
            role: c.role,
            mutedAudio: !a || c.muted.includes('audio'),
            mutedVideo: !v || c.muted.includes('video'),
            videoStream: v ? c.localStream : null,
        });
        if (c.screenStream) {
            seen.add(`${key}:screen`);
            fillTile(ensureTile(`${key}:screen`, key, { self: true, screen: true }),
                { name: 'Your screen', videoStream: c.screenStream });
        }
    }
    for (const [pid, p] of c.participants) {
        seen.add(pid);
        const r = c.remote.get(pid) || {};
        fillTile(ensureTile(pid, pid), {
            name: nameOf(p),
            role: p.role,
            mutedAudio: p.muted.includes('audio'),
            mutedVideo: p.muted.includes('video'),
            videoStream: r.video || null,
            audioStream: r.audio || null,
        });
        if (r.screen) {
            seen.add(`${pid}:screen`);
            fillTile(ensureTile(`${pid}:screen`, pid, { screen: true }), { name: `${nameOf(p)}: screen`, videoStream: r.screen });
        }
    }
    for (const key of [...tiles.keys()]) if (!seen.has(key)) removeTile(key);
    $('tiles').dataset.count = String(tiles.size);
}

// ------------------------------------------------------------------ lists

// Runs fn on every click of button b, which stays disabled meanwhile; a
// failure is shown, never thrown.
function onClick(b, fn) {
    b.addEventListener('click', async () => {
        b.disabled = true;
        try {
            await fn();
        } catch (e) {
            nonFatal(e);
        } finally {
            b.disabled = false;
        }
    });
}

function button(text, testid, fn, cls = 'small') {
    const b = el('button', { type: 'button', class: cls, 'data-testid': testid, text });
    onClick(b, fn);
    return b;
}

function renderLists() {
    const c = client;
    if (!c) return;
    const moderator = c.permissions.includes('moderate') && c.status === 'admitted';

    // Participants (self first).
    const list = $('participant-list');
    list.replaceChildren();
    if (c.participantId) {
        list.append(el('li', { 'data-testid': `participant-${c.participantId}`, 'data-participant-id': c.participantId },
            el('span', { class: 'who', text: app.nameHint ? `You (${app.nameHint})` : 'You' }),
            el('span', { class: 'role', text: roleName(c.role) })));
    }
    for (const [pid, p] of c.participants) {
        const li = el('li', {
            'data-testid': `participant-${pid}`, 'data-participant-id': pid,
            'data-muted-audio': p.muted.includes('audio') ? 'true' : 'false',
            'data-muted-video': p.muted.includes('video') ? 'true' : 'false',
        },
        el('span', { class: 'who', text: nameOf(p) }),
        el('span', { class: 'role', text: p.display_name ? roleName(p.role) : '' }),
        p.muted.includes('audio') ? el('span', { class: 'badge mic', text: 'Mic off' }) : null,
        p.muted.includes('video') ? el('span', { class: 'badge cam', text: 'Camera off' }) : null);
        if (moderator) {
            const forcedA = p.muted_by_moderator.includes('audio');
            const forcedV = p.muted_by_moderator.includes('video');
            const actions = el('span', { class: 'actions' },
                button(forcedA ? 'Allow mic' : 'Mute mic', `mute-audio-${pid}`,
                    () => (forcedA ? c.unmute(pid, 'audio') : c.mute(pid, 'audio'))),
                button(forcedV ? 'Allow camera' : 'Stop camera', `mute-video-${pid}`,
                    () => (forcedV ? c.unmute(pid, 'video') : c.mute(pid, 'video'))),
                button('Remove', `remove-${pid}`, () => c.kick(pid), 'small danger'));
            for (const b of actions.querySelectorAll('button')) b.setAttribute('aria-label', `${b.textContent}: ${nameOf(p)}`);
            li.append(actions);
        }
        list.append(li);
    }
    $('people-count').textContent = String(c.participants.size + (c.participantId ? 1 : 0));

    // Waiting room (moderators).
    $('waiting-section').hidden = !moderator;
    const wl = $('waiting-list');
    wl.replaceChildren();
    if (moderator) {
        for (const w of c.waiting) {
            const name = nameOf(w);
            const admit = button('Admit', `admit-${w.participant_id}`, () => c.admit(w.participant_id), 'small primary');
            const deny = button('Deny', `deny-${w.participant_id}`, () => c.deny(w.participant_id), 'small');
            admit.setAttribute('aria-label', `Admit ${name}`);
            deny.setAttribute('aria-label', `Deny ${name}`);
            wl.append(el('li', { 'data-testid': `waiting-${w.participant_id}`, 'data-participant-id': w.participant_id },
                el('span', { class: 'who', text: name }),
                el('span', { class: 'role', text: w.display_name ? roleName(w.role) : '' }),
                el('span', { class: 'actions' }, admit, deny)));
        }
    }
    $('waiting-count').textContent = String(moderator ? c.waiting.length : 0);
    $('waiting-empty').hidden = !moderator || c.waiting.length > 0;
}

function renderControls() {
    const c = client;
    if (!c) return;
    const a = c.localStream && c.localStream.getAudioTracks()[0];
    const v = c.localStream && c.localStream.getVideoTracks()[0];
    app.publishing = { audio: !!a, video: !!v, screen: !!c.screenStream };
    const mic = $('btn-mic');
    const cam = $('btn-cam');
    const micOff = !a || c.muted.includes('audio');
    const camOff = !v || c.muted.includes('video');
    mic.textContent = !a ? 'Start microphone' : micOff ? 'Unmute microphone' : 'Mute microphone';
    cam.textContent = !v ? 'Start camera' : camOff ? 'Turn camera on' : 'Turn camera off';
    mic.setAttribute('aria-pressed', a && micOff ? 'true' : 'false');
    cam.setAttribute('aria-pressed', v && camOff ? 'true' : 'false');
    mic.dataset.state = !a ? 'off' : micOff ? 'muted' : 'on';
    cam.dataset.state = !v ? 'off' : camOff ? 'muted' : 'on';
    mic.hidden = !c.permissions.includes('publish_audio');
    cam.hidden = !c.permissions.includes('publish_video');
    mic.classList.toggle('off', micOff);
    cam.classList.toggle('off', camOff);
    const sc = $('btn-screen');
    sc.hidden = !c.permissions.includes('publish_screen') || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    sc.textContent = c.screenStream ? 'Stop sharing' : 'Share screen';
    sc.setAttribute('aria-pressed', c.screenStream ? 'true' : 'false');
}

function render() {
    app.status = client ? client.status : null;
    // The lists are rebuilt: keep keyboard focus on the same control.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.testid : null;
    renderTiles();
    renderLists();
    renderControls();
    if (focused && (!document.activeElement || document.activeElement.dataset.testid !== focused)) {
        const again = document.querySelector(`[data-testid="${CSS.escape(focused)}"]`);
        if (again && !again.hidden) again.focus();
    }
}

// ------------------------------------------------------------------ media

function nonFatal(e) {
    const code = e && e.code !== undefined ? e.code : 'error';
    app.errors.push(code);
    if (app.errors.length > 50) app.errors.shift();
    let text;
    if (code === 4044) text = 'The clinician has muted you. They can turn your microphone or camera back on.';
    else if (code === 4043) text = 'You are not allowed to do that.';
    else if (code === 4041) text = 'That participant is no longer here.';
    else text = describeError(e);
    if (app.screen !== 'end') setBanner('warning', text);
    render();
}

// Publishes what the permissions allow: both, else whatever works alone.
async function autoPublish() {
    const c = client;
    if (!app.autopublish || app.autopublished || !c || c.status !== 'admitted') return;
    const audio = c.permissions.includes('publish_audio');
    const video = c.permissions.includes('publish_video');
    if (!audio && !video) return;   // maybe later, when a permission arrives
    app.autopublished = true;
    const attempts = [{ audio, video }];
    if (audio && video) attempts.push({ audio: true, video: false }, { audio: false, video: true });
    let lastError = null;
    for (const opts of attempts) {
        try {
            await c.publish(opts);
            render();
            return;
        } catch (e) {
            lastError = e;
            if (e.code !== 'media') break;
        }
    }
    if (lastError) nonFatal(lastError);
}

// Starts one kind while keeping the other as it is.
async function startKind(kind) {
    const c = client;
    const md = navigator.mediaDevices;
    const s = await md.getUserMedia({ [kind]: true }).catch((e) => {
        throw Object.assign(new Error(e && e.name), { code: 'media' });
    });
    const keep = kind === 'audio' ? c.localStream?.getVideoTracks()[0] : c.localStream?.getAudioTracks()[0];
    const tracks = [...s.getTracks(), ...(keep ? [keep] : [])];
    await c.publish({ audio: tracks.some((t) => t.kind === 'audio'), video: tracks.some((t) => t.kind === 'video'), stream: new MediaStream(tracks) });
}

async function toggle(kind) {
    const c = client;
    const track = kind === 'audio' ? c.localStream?.getAudioTracks()[0] : c.localStream?.getVideoTracks()[0];
    if (!track) await startKind(kind);
    else if (c.muted.includes(kind)) await c.unmuteSelf(kind);
    else await c.muteSelf(kind);
    render();
}

// ------------------------------------------------------------------ client

let client = null;

function wire(c) {
    c.on('joined', (data) => {
        app.participantId = c.participantId;
        app.role = c.role;
        if (c.status === 'waiting') {
            show('lobby');
            setConn('Waiting to be admitted');
        } else {
            show('call');
            setConn('Connected');
            autoPublish();
        }
        render();
        void data;
    });
    c.on('admitted', () => {
        show('call');
        setConn('Connected');
        $('main').focus();
        render();
        autoPublish();
    });
    for (const ev of ['participants', 'waiting', 'streams', 'remote', 'remote-removed', 'muted', 'configured']) c.on(ev, () => render());
    c.on('permissions', () => {
        render();
        autoPublish();
    });
    c.on('denied', () => end('denied'));
    c.on('kicked', ({ reason }) => end(reason === 'replaced' ? 'replaced' : reason === 'removed' ? 'removed' : 'kicked'));
    c.on('ended', () => end('ended'));
    c.on('reconnecting', () => {
        app.reconnecting = true;
        setConn('Reconnecting…');
        setBanner('reconnecting', 'Connection lost. Reconnecting…');
    });
    c.on('reconnected', () => {
        app.reconnecting = false;
        setConn(c.status === 'waiting' ? 'Waiting to be admitted' : 'Connected');
        if (app.banner && app.banner.kind === 'reconnecting') setBanner(null);
        render();
    });
    c.on('connection', (state) => {
        document.body.dataset.media = state;
        if (state === 'failed') setBanner('warning', 'The video connection was interrupted. Trying again…');
        else if (state === 'connected' && app.banner && app.banner.kind === 'warning' && !app.reconnecting) setBanner(null);
    });
    c.on('error', (e) => {
        app.errors.push(e && e.code);
        if (app.errors.length > 50) app.errors.shift();
        if (app.screen === 'call' || app.screen === 'lobby') setBanner('warning', describeError(e));
    });
    c.on('closed', ({ status }) => {
        if (app.screen === 'end') return;
        if (status === 'left' && !app.leaving) {
            // Not the user's choice: the link could not be restored, or the token no longer works.
            end('error', 'The connection to the consultation was lost. Please check your connection and try again.');
        } else {
            end(status || 'left');
        }
    });
}

async function start() {
    show('connecting');
    let join;
    try {
        join = readJoin();
    } catch (e) {
        app.error = { code: e.code, message: e.message };
        end('error', describeError(e));
        return;
    }
    let getToken;
    if (join.invite) {
        const credential = join.invite;
        app.via = 'invite';
        try {
            join = await exchange(credential);
        } catch (e) {
            app.error = { code: e.code, message: e.message };
            if (e.code === 'ended') end('ended');
            else end('error', describeError(e));
            return;
        }
        // A rejoin (Janus session lost) needs a valid token: exchange again
        // when the one we hold is about to expire.
        let current = join;
        // A join object: its janus_token comes with it.
        getToken = async () => {
            if (Date.parse(current.expires_at) - Date.now() > TOKEN_MIN_VALIDITY_MS) return current;
            current = await exchange(credential);
            return current;
        };
    } else {
        app.via = 'join';
    }
    app.nameHint = join.name || null;
    client = new TelemedClient({
        janusUrl: join.janus_ws_url,
        token: join.token,
        janusToken: join.janus_token,
        iceServers: join.ice_servers,
        getToken,
        log: (level, msg) => {
            if (level === 'debug') return;
            (level === 'error' ? console.error : level === 'warn' ? console.warn : console.info)(`[telemed] ${msg}`);
        },
    });
    window.telemedClient = client;
    wire(client);
    try {
        await client.connect();
    } catch (e) {
        app.error = { code: e.code, message: e.message };
        end(e.code === 4020 ? 'removed' : 'error', e.code === 4020 ? '' : describeError(e));
    }
}

// ------------------------------------------------------------------ controls

function on(id, fn) {
    onClick($(id), fn);
}

on('btn-mic', () => toggle('audio'));
on('btn-cam', () => toggle('video'));
on('btn-screen', async () => {
    if (client.screenStream) await client.stopScreenShare();
    else await client.startScreenShare();
    render();
});
async function leave() {
    if (!client) return;
    app.leaving = true;
    await client.leave();
    client.close();
    end('left');
}
on('btn-leave', leave);
on('btn-leave-lobby', leave);
on('btn-retry', () => location.reload());
on('banner-close', () => setBanner(null));
on('btn-audio', async () => {
    for (const a of document.querySelectorAll('audio')) {
        if (a.srcObject) await a.play().catch(() => {});
    }
    app.audioBlocked = false;
    $('btn-audio').hidden = true;
});
window.addEventListener('pagehide', () => {
    if (client) client.close();
});

start();
