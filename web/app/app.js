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
// Chat and files: one panel beside the video (in the lobby: the care team's
// direct messages); file sharing needs the credential of an invite link.
//
// For tests: window.telemedClient is the TelemedClient, window.telemedApp the
// app state; every control and tile has a data-testid. Nothing here logs the
// token, the credential or any name.
import {
    MAX_CHAT_CHARS, TelemedClient, decodeInviteLink, decodeJoinLink, encodeJoinLink, exchangeCredential,
} from '../sdk/telemed.js';
import {
    LANGUAGES, chooseLanguage, has, language, setLanguage, t, translateDom,
} from './strings.js';
import { PreCall, precheckSummary } from './precall.js';
import { HealthMonitor, bannerText, headerText, phoneLabel, telHref, tileTexts } from './health.js';
import { RecordingUi, consentSummary } from './recording.js';

const STORAGE_KEY = 'telemed.join';
const INVITE_KEY = 'telemed.invite';
// POST /join of the controller that serves this app (<public_url>/app/ -> <public_url>/join).
const JOIN_URL = new URL('../join', location.href).href;
// The controller's base URL for the participant endpoints (files).
const API_URL = new URL('..', location.href).href;
// A rejoin exchanges the credential again when the token has less than this left.
const TOKEN_MIN_VALIDITY_MS = 60000;
const params = new URLSearchParams(location.search);

const app = {
    screen: 'connecting',      // connecting | lobby | call | end
    status: null,              // the client's status
    reconnecting: false,
    banner: null,              // {kind, text}
    endReason: null,           // END_SCREENS key: ended | kicked | removed | denied | replaced | left | expired | ...
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
    // Chat and files: counters and the plain-words errors shown (no text, no names).
    chat: { messages: 0, files: 0, lobbyMessages: 0, failures: 0, uploads: 0, downloads: 0, errors: [], uploadErrors: [], progress: [] },
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

const roleName = (role) => (has(`role.${role}`) ? t(`role.${role}`) : t('role.other'));
const nameOf = (p) => (p && p.display_name) || roleName(p && p.role);

// ------------------------------------------------------------------ screens and banners

function show(screen) {
    app.screen = screen;
    for (const s of ['connecting', 'lobby', 'call', 'end']) $(`screen-${s}`).hidden = s !== screen;
    document.body.dataset.screen = screen;
    placeChat();
    renderHealth();
}

// A banner holds a key of strings.js (and its placeholders), so that it can
// be shown again in another language.
// `key` may also be a function returning the text (an error described in words).
function setBanner(kind, key, vars) {
    const text = () => (typeof key === 'function' ? key() : t(key, vars));
    app.banner = kind ? { kind, key, vars, text: text() } : null;
    const b = $('banner');
    b.hidden = !kind;
    b.dataset.kind = kind || '';
    b.className = `banner ${kind || ''}`;
    b.setAttribute('role', kind === 'reconnecting' ? 'status' : 'alert');
    $('banner-text').textContent = kind ? app.banner.text : '';
    $('banner-close').hidden = kind === 'reconnecting' || kind === 'notice' || app.screen === 'end';
}

// The header's status line (a key of strings.js).
// `key` may also be a function returning the text (health.js's words).
function setConn(key) {
    app.connKey = key;
    $('conn').textContent = typeof key === 'function' ? key() : t(key);
}

// The end screens: one per reason, each with its own calm words, and only the
// action that can help. `retry` reloads the page (an invitation link then
// exchanges its credential for a fresh token), `rejoin` joins again.
const END_SCREENS = {
    ended: {},
    kicked: {},
    removed: {},
    denied: {},
    replaced: {},
    left: { rejoin: true },
    expired: { retry: () => app.via === 'invite' },   // a join link cannot renew itself
    'not-yet': { retry: () => true },
    invalid: {},
    'invite-invalid': {},
    unavailable: {},
    full: { retry: () => true },
    error: { retry: () => true },
};

// The end screen for a fatal error (a TelemedError code, docs/PROTOCOL.md "Errors").
function endReasonFor(e) {
    const code = e && e.code;
    if (code === 'link') return 'invalid';
    if (code === 'credential') return 'invite-invalid';
    if (code === 'ended') return 'ended';
    if (code === 4017) return 'expired';
    if (code === 4016) return 'not-yet';
    if (typeof code === 'number' && code >= 4010 && code <= 4019) return 'invalid';
    if (code === 4020) return 'removed';
    if (code === 4040) return 'unavailable';
    if (code === 4090) return 'full';
    return 'error';
}

function renderEnd() {
    const reason = app.endReason;
    const screen = END_SCREENS[reason] ? reason : 'error';
    const title = t(`end.${screen}.title`);
    let text = t(`end.${screen}.text`);
    if (screen === 'expired' && app.via === 'invite') text = t('end.expired.textInvite');
    $('end-title').textContent = title;
    $('end-text').textContent = text;
    $('screen-end').dataset.reason = screen;
    const spec = END_SCREENS[screen];
    $('btn-retry').hidden = !(spec.retry && spec.retry());
    $('btn-rejoin').hidden = !spec.rejoin;
    return title;
}

function end(reason) {
    app.endReason = END_SCREENS[reason] ? reason : 'error';
    const title = renderEnd();
    setConn(app.endReason === 'error' ? 'conn.notConnected' : 'conn.disconnected');
    precall.stop();
    if (health) health.stop();   // no more polling of a call that is over
    recording.detach();
    for (const a of document.querySelectorAll('audio, video')) a.srcObject = null;
    $('btn-audio').hidden = true;
    show('end');
    // The screen's title says it all: no banner besides it. Focus on the
    // title, so that a screen reader reads it at once.
    setBanner(null);
    void title;
    $('end-title').focus();
}

// Plain words for a non-fatal TelemedError (banners).
function describeError(e) {
    const code = e && e.code;
    if (code === 'rate-limited') return t('error.rateLimited');
    if (code === 4020) return t('error.removed');
    if (code === 4040) return t('error.unavailable');
    if (code === 4090) return t('error.full');
    if (code === 'timeout' || code === 'transport') return t('error.transport');
    if (code === 'media') return t('error.media');
    if (code === 4044) return t('error.mutedByClinician');
    if (code === 4043) return t('error.notAllowed');
    if (code === 4041) return t('error.gone');
    if (code === 4060) return t('error.recordingPolicy');
    if (code === 4061) return t('error.consentRequired');
    if (code === 5031) return t('error.consentUnavailable');
    if (code === 5032) return t('error.recordingUnavailable');
    return t('error.other', { code: code ?? '?' });
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

const tiles = new Map();   // key (pid or pid:screen) -> {root, video, audio, label, mic, cam, placeholder, notice}

function ensureTile(key, pid, { self = false, screen = false } = {}) {
    let tile = tiles.get(key);
    if (tile) return tile;
    const video = el('video', { autoplay: true, playsinline: true, muted: true, 'data-testid': screen ? `video-screen-${pid}` : `video-${pid}` });
    video.muted = true;
    const audio = screen || self ? null : el('audio', { autoplay: true, 'data-testid': `audio-${pid}` });
    const label = el('span', { class: 'name', 'data-testid': screen ? `name-screen-${pid}` : `name-${pid}` });
    const mic = el('span', { class: 'badge mic', hidden: true, 'data-testid': `badge-mic-${pid}` });
    const cam = el('span', { class: 'badge cam', hidden: true, 'data-testid': `badge-cam-${pid}` });
    // Shown instead of the video when no picture comes: initials and the name,
    // never a frozen last frame.
    const initialsEl = el('span', { class: 'initials', 'aria-hidden': 'true' });
    const placeholderName = el('span', { class: 'placeholder-name' });
    const placeholder = el('div', { class: 'placeholder', 'data-testid': screen ? `placeholder-screen-${pid}` : `placeholder-${pid}` },
        initialsEl, placeholderName);
    // Own tile: what the others see of us, when it is not our picture.
    const notice = self && !screen ? el('p', { class: 'tile-notice', 'data-testid': 'self-notice', hidden: true }) : null;
    const caption = el('div', { class: 'caption' }, label, screen ? null : mic, screen ? null : cam);
    const root = el('figure', {
        class: `tile${self ? ' self' : ''}${screen ? ' screen' : ''}`,
        'data-testid': screen ? `tile-screen-${pid}` : `tile-${pid}`,
        'data-participant-id': pid,
        'data-self': self ? 'true' : 'false',
        'data-source': screen ? 'screen' : 'camera',
        'data-has-video': 'false',
        'data-video': 'none',
    }, placeholder, video, notice, caption);
    if (audio) root.append(audio);
    if (!self && !screen) root.append(mediaState(pid));
    tile = { root, video, audio, label, mic, cam, placeholder, initialsEl, placeholderName, notice };
    tiles.set(key, tile);
    const container = $('tiles');
    if (self) container.prepend(root);
    else container.append(root);
    return tile;
}

function removeTile(key) {
    const tile = tiles.get(key);
    if (!tile) return;
    tile.video.srcObject = null;
    if (tile.audio) tile.audio.srcObject = null;
    tile.root.remove();
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

// Why a source does not reach the others: null (it does), 'off' (not
// published), 'self' (muted by its owner), 'clinician' (a moderator's
// mute), 'clinic' (its permissions no longer allow it: a REST PATCH).
function sourceState({ has, muted, mutedByModerator, notPermitted }, source) {
    if (mutedByModerator.includes(source)) return 'clinician';
    if (notPermitted.includes(source)) return 'clinic';
    if (!has) return 'off';
    if (muted.includes(source)) return 'self';
    return null;
}

const CAM_BADGE = { off: 'tile.camOff', self: 'tile.camOff', clinician: 'tile.camOffByClinician', clinic: 'tile.camOffByClinic' };
const MIC_BADGE = { off: 'tile.micOff', self: 'tile.micOff', clinician: 'tile.micOffByClinician', clinic: 'tile.micOffByClinic' };

// video / audio: why no picture / sound (sourceState), null when it flows.
function fillTile(tile, { name, video, audio, videoStream, audioStream, role, notice = null }) {
    tile.label.textContent = name;
    tile.root.setAttribute('aria-label', name);
    tile.root.dataset.mutedAudio = audio ? 'true' : 'false';
    tile.root.dataset.mutedVideo = video ? 'true' : 'false';
    tile.root.dataset.video = video ?? 'on';
    tile.root.dataset.audio = audio ?? 'on';
    if (role) tile.root.dataset.role = role;
    tile.mic.hidden = !audio;
    tile.mic.textContent = audio ? t(MIC_BADGE[audio]) : '';
    tile.cam.hidden = !video;
    tile.cam.textContent = video ? t(CAM_BADGE[video]) : '';
    // No picture: the placeholder, never the last frame (the element keeps
    // its stream, so the picture is back with the first new frame).
    const showVideo = !!videoStream && !video;
    setStream(tile.video, videoStream);
    tile.video.hidden = !showVideo;
    if (tile.audio) setStream(tile.audio, audioStream);
    tile.root.dataset.hasVideo = showVideo ? 'true' : 'false';
    tile.initialsEl.textContent = showVideo ? '' : initials(name);
    tile.placeholderName.textContent = showVideo ? '' : name;
    tile.placeholder.hidden = showVideo;
    if (tile.notice) {
        tile.notice.hidden = !notice;
        tile.notice.textContent = notice ? t(notice) : '';
    }
}

function initials(name) {
    return String(name).split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

// What the others see and hear of us (own tile and the notices).
function selfState(c) {
    const v = c.localStream && c.localStream.getVideoTracks()[0];
    const a = c.localStream && c.localStream.getAudioTracks()[0];
    const notPermitted = [];
    if (!c.permissions.includes('publish_video')) notPermitted.push('video');
    if (!c.permissions.includes('publish_audio')) notPermitted.push('audio');
    const s = { muted: c.muted, mutedByModerator: c.mutedByModerator, notPermitted };
    return { v, a, video: sourceState({ ...s, has: !!v }, 'video'), audio: sourceState({ ...s, has: !!a }, 'audio') };
}

// The notice on our own screen when someone else turned our camera or
// microphone off (a moderator, or the clinic through a permission change).
function renderSelfNotice() {
    const c = client;
    if (!c || c.status !== 'admitted') return;
    const { video, audio } = selfState(c);
    const forced = (s) => s === 'clinician' || s === 'clinic';
    let key = null;
    if (forced(video) && forced(audio)) key = 'notice.bothOff';
    else if (video === 'clinician') key = 'notice.camOffByClinician';
    else if (video === 'clinic') key = 'notice.camOffByClinic';
    else if (audio === 'clinician') key = 'notice.micOffByClinician';
    else if (audio === 'clinic') key = 'notice.micOffByClinic';
    const showing = app.banner && app.banner.kind === 'notice';
    if (key && (!showing || app.banner.key !== key)) setBanner('notice', key);
    else if (!key && showing) setBanner(null);
}

function renderTiles() {
    const c = client;
    if (!c) return;
    const seen = new Set();
    // Own tile.
    if (c.participantId) {
        const key = c.participantId;
        seen.add(key);
        const tile = ensureTile(key, key, { self: true });
        const { v, video, audio } = selfState(c);
        // A forced or refused camera: the preview says that nobody sees it.
        const notice = video === 'clinician' || video === 'clinic' ? 'tile.nobodySees' : null;
        fillTile(tile, {
            name: app.nameHint ? t('you.named', { name: app.nameHint }) : t('you'),
            role: c.role,
            video,
            audio,
            videoStream: v && !notice ? c.localStream : null,
            notice,
        });
        if (c.screenStream) {
            seen.add(`${key}:screen`);
            fillTile(ensureTile(`${key}:screen`, key, { self: true, screen: true }),
                { name: t('tile.yourScreen'), video: null, audio: null, videoStream: c.screenStream });
        }
    }
    for (const [pid, p] of c.participants) {
        seen.add(pid);
        const r = c.remote.get(pid) || {};
        const s = { muted: p.muted, mutedByModerator: p.muted_by_moderator, notPermitted: p.not_permitted ?? [] };
        fillTile(ensureTile(pid, pid), {
            name: nameOf(p),
            role: p.role,
            video: sourceState({ ...s, has: p.publishing.includes('video') && !!r.video }, 'video'),
            audio: sourceState({ ...s, has: p.publishing.includes('audio') }, 'audio'),
            videoStream: r.video || null,
            audioStream: r.audio || null,
        });
        if (r.screen) {
            seen.add(`${pid}:screen`);
            fillTile(ensureTile(`${pid}:screen`, pid, { screen: true }),
                { name: t('tile.theirScreen', { name: nameOf(p) }), video: null, audio: null, videoStream: r.screen });
        }
    }
    for (const key of [...tiles.keys()]) if (!seen.has(key)) removeTile(key);
    $('tiles').dataset.count = String(tiles.size);
    renderSelfNotice();
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
            el('span', { class: 'who', text: app.nameHint ? t('you.named', { name: app.nameHint }) : t('you') }),
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
        p.muted.includes('audio') ? el('span', { class: 'badge mic', text: t('tile.micOff') }) : null,
        p.muted.includes('video') ? el('span', { class: 'badge cam', text: t('tile.camOff') }) : null,
        c.recording.state === 'on' && c.recording.recorded.includes(pid)
            ? el('span', { class: 'badge rec', 'data-testid': `recorded-${pid}`, text: t('rec.badge') }) : null);
        if (moderator) {
            const forcedA = p.muted_by_moderator.includes('audio');
            const forcedV = p.muted_by_moderator.includes('video');
            const actions = el('span', { class: 'actions' },
                button(t(forcedA ? 'mod.allowMic' : 'mod.muteMic'), `mute-audio-${pid}`,
                    () => (forcedA ? c.unmute(pid, 'audio') : c.mute(pid, 'audio'))),
                button(t(forcedV ? 'mod.allowCam' : 'mod.stopCam'), `mute-video-${pid}`,
                    () => (forcedV ? c.unmute(pid, 'video') : c.mute(pid, 'video'))),
                button(t('mod.remove'), `remove-${pid}`, () => c.kick(pid), 'small danger'));
            for (const b of actions.querySelectorAll('button')) b.setAttribute('aria-label', t('mod.actionFor', { action: b.textContent, name: nameOf(p) }));
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
            const admit = button(t('waiting.admit'), `admit-${w.participant_id}`, () => c.admit(w.participant_id), 'small primary');
            const deny = button(t('waiting.deny'), `deny-${w.participant_id}`, () => c.deny(w.participant_id), 'small');
            const msg = button(t('waiting.message'), `message-${w.participant_id}`, () => messageTo(w.participant_id), 'small');
            admit.setAttribute('aria-label', t('waiting.admitName', { name }));
            deny.setAttribute('aria-label', t('waiting.denyName', { name }));
            msg.setAttribute('aria-label', t('waiting.messageName', { name }));
            const pre = precheckSummary(w.precheck);   // the patient's pre-call check (precall.js)
            wl.append(el('li', { 'data-testid': `waiting-${w.participant_id}`, 'data-participant-id': w.participant_id },
                el('span', { class: 'who', text: name }),
                el('span', { class: 'role', text: w.display_name ? roleName(w.role) : '' }),
                el('span', { class: 'precheck', 'data-testid': `precheck-${w.participant_id}`, 'data-result': pre.result, text: pre.text }),
                el('span', {
                    class: 'consent-state', 'data-testid': `consent-${w.participant_id}`,
                    'data-consent': w.consent === true ? 'yes' : w.consent === false ? 'no' : 'none',
                    text: consentSummary(w, c.recording.policy),
                }),
                el('span', { class: 'actions' }, admit, deny, msg)));
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
    mic.textContent = t(!a ? 'call.mic.start' : micOff ? 'call.mic.unmute' : 'call.mic.mute');
    cam.textContent = t(!v ? 'call.cam.start' : camOff ? 'call.cam.on' : 'call.cam.off');
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
    sc.textContent = t(c.screenStream ? 'call.screen.stop' : 'call.screen.start');
    sc.setAttribute('aria-pressed', c.screenStream ? 'true' : 'false');
}

// The lobby's words for who waits and why: before the start, a clinician
// (who enters by itself once the session starts) is not told to wait to be
// let in.
function renderLobby() {
    const c = client;
    if (!c) return;
    const scheduled = c.sessionState === 'scheduled';
    const entersAlone = c.permissions.includes('bypass_lobby');
    // A session that requires recording: without a yes, the lobby is about that.
    const consentFirst = c.waitingReason === 'consent_required' || (c.recording.policy === 'required' && c.consent !== true);
    const which = consentFirst ? (c.consent === false ? 'lobby.refused' : 'lobby.consent')
        : scheduled ? (entersAlone ? 'lobby.clinicianBeforeStart' : 'lobby.beforeStart') : 'lobby.waiting';
    $('lobby-title').textContent = t(`${which}.title`);
    $('lobby-text').textContent = t(`${which}.text`);
    $('screen-lobby').dataset.lobby = which.split('.')[1];
    if (app.screen === 'lobby' && !app.reconnecting) {
        setConn(consentFirst ? 'conn.consent' : scheduled ? 'conn.notStarted' : 'conn.waiting');
    }
}

function render() {
    app.status = client ? client.status : null;
    // The lists are rebuilt: keep keyboard focus on the same control.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.testid : null;
    renderLobby();
    renderTiles();
    renderLists();
    renderControls();
    renderChat();
    renderHealth();
    recording.render();
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
    if (app.screen !== 'end') setBanner('warning', () => describeError(e));
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
    // The devices chosen in the lobby's check (its stream, handed over), else the defaults.
    const first = precall.publishOptions({ audio, video });
    const attempts = [first];
    if (audio && video) attempts.push({ audio: first.audio, video: false }, { audio: false, video: first.video });
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

// ------------------------------------------------------------------ chat and files

// One panel (#chat) moves between the lobby (direct messages from the
// clinician; no composer while waiting) and the call's side column. The
// timeline holds messages and shared files in server order (created_at,
// then seq); own messages are right-aligned, pending ones shown at once and
// replaced by the stored message when the server acknowledges it.

const timeline = new Map();    // key ('m:<id>', 'f:<id>', 'p:<client id>') -> {el, order, sender}
const pendingSends = new Map(); // client id -> {text, to, el}
const names = new Map();        // participant id -> display name seen in a roster or lobby list
let upload = null;              // {controller, name}

const FILE_BADGES = { 'application/pdf': 'PDF', 'image/png': 'PNG', 'image/jpeg': 'JPG', 'application/dicom': 'DICOM', 'text/plain': 'TXT' };
const timeFmt = () => new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' });
const dayFmt = () => new Intl.DateTimeFormat(language(), { day: 'numeric', month: 'short' });

function formatTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const today = new Date().toDateString() === d.toDateString();
    return today ? timeFmt().format(d) : `${dayFmt().format(d)}, ${timeFmt().format(d)}`;
}

function formatSize(n) {
    if (!Number.isFinite(n)) return '';
    if (n < 1024) return t('size.bytes', { n });
    if (n < 1024 * 1024) return t('size.kb', { n: Math.max(1, Math.round(n / 1024)) });
    return t('size.mb', { n: (n / (1024 * 1024)).toLocaleString(language(), { maximumFractionDigits: 1 }) });
}

function rememberNames() {
    const c = client;
    if (!c) return;
    for (const [pid, p] of c.participants) names.set(pid, nameOf(p));
    for (const w of c.waiting) names.set(w.participant_id, nameOf(w));
}

function senderName(pid) {
    if (client && pid === client.participantId) return t('you');
    if (names.has(pid)) return names.get(pid);
    // In the lobby only the care team (moderators) can write to us.
    return client && client.status === 'waiting' ? t('chat.careTeam') : t('role.other');
}

// "Private" tag of a direct message: to you, or (own) to whom.
function privateText(to, mine) {
    if (!to || to.length === 0) return '';
    if (!mine) return t('chat.privateToYou');
    return t('chat.privateTo', { names: to.map(senderName).join(', ') });
}

function chatOrder(iso, seq) {
    const t = Date.parse(iso);
    return [Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER, seq ?? Number.MAX_SAFE_INTEGER];
}

const itemOf = new WeakMap();    // timeline element -> its item

const before_ = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

// The log follows the newest entry while the reader is at its end, also
// when the panel around it changes size (an error shown, a progress bar).
let chatAtEnd = true;
let chatLogHeight = -1;   // the height the last resize left; a scroll seen at another height is the resize's own
$('chat-log').addEventListener('scroll', () => {
    const log = $('chat-log');
    if (log.clientHeight !== chatLogHeight && typeof ResizeObserver === 'function') return;
    chatAtEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
});
if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
        const log = $('chat-log');
        if (chatAtEnd) log.scrollTop = log.scrollHeight;
        chatLogHeight = log.clientHeight;
    }).observe($('chat-log'));
}

function insertItem(key, item) {
    const log = $('chat-log');
    const nearBottom = chatAtEnd || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const old = timeline.get(key);
    if (old) old.el.remove();
    let next = null;
    for (const child of log.children) {
        const other = itemOf.get(child);
        if (other && before_(item.order, other.order)) {
            next = child;
            break;
        }
    }
    itemOf.set(item.el, item);
    log.insertBefore(item.el, next);
    timeline.set(key, item);
    updateChatEmpty();
    if (nearBottom || item.mine) {
        log.scrollTop = log.scrollHeight;
        chatAtEnd = true;
    }
}

// In the lobby the panel shows what the care team wrote to this patient
// (direct messages); the room's own conversation appears once admitted.
function updateChatEmpty() {
    const lobby = app.screen === 'lobby';
    let shown = 0;
    for (const item of timeline.values()) if (!lobby || item.to.length > 0) shown += 1;
    $('chat-empty').hidden = shown > 0;
    $('chat').classList.toggle('in-lobby', lobby);
}

function removeItem(key) {
    const item = timeline.get(key);
    if (!item) return;
    item.el.remove();
    timeline.delete(key);
    updateChatEmpty();
}

function metaLine(sender, to, mine, iso) {
    const meta = el('div', { class: 'meta' },
        el('span', { class: 'from', 'data-sender': sender ?? '', text: senderName(sender) }));
    const priv = privateText(to, mine);
    if (priv) meta.append(el('span', { class: 'private', text: priv }));
    if (iso) meta.append(el('time', { datetime: iso, text: formatTime(iso) }));
    return meta;
}

function messageItem(m) {
    const mine = m.mine;
    const li = el('li', {
        class: `msg ${mine ? 'mine' : 'theirs'}${m.to.length ? ' direct' : ''}`,
        'data-testid': `chat-message-${m.id}`, 'data-id': m.id, 'data-seq': m.seq, 'data-sender': m.sender ?? '',
        'data-mine': mine ? 'true' : 'false', 'data-state': 'sent', 'data-direct': m.to.length ? 'true' : 'false',
    }, metaLine(m.sender, m.to, mine, m.created_at), el('div', { class: 'bubble', 'data-testid': 'chat-text', text: m.text }));
    return { el: li, order: chatOrder(m.created_at, m.seq), sender: m.sender, to: m.to, mine };
}

function onChatMessage(m) {
    app.chat.messages += 1;
    if (m.client_id && pendingSends.has(m.client_id)) {
        pendingSends.delete(m.client_id);
        removeItem(`p:${m.client_id}`);
    }
    insertItem(`m:${m.id}`, messageItem(m));
    if (!m.mine && app.screen === 'lobby') app.chat.lobbyMessages += 1;
}

function fileItem(f) {
    const mine = f.mine;
    const download = client && client.canShareFiles
        ? el('button', { type: 'button', class: 'link download', 'data-testid': `download-${f.id}`,
            'aria-label': t('file.downloadName', { name: f.name, size: formatSize(f.size) }), text: t('file.download') })
        : el('span', { class: 'hint', text: t('file.needInvite') });
    if (download.tagName === 'BUTTON') download.addEventListener('click', () => downloadFile(f, download));
    const li = el('li', {
        class: `file ${mine ? 'mine' : 'theirs'}${f.to.length ? ' direct' : ''}`,
        'data-testid': `file-${f.id}`, 'data-id': f.id, 'data-sender': f.sender ?? '', 'data-mine': mine ? 'true' : 'false',
    }, metaLine(f.sender, f.to, mine, f.created_at),
    el('div', { class: 'file-card' },
        el('span', { class: 'file-icon', 'aria-hidden': 'true', text: FILE_BADGES[f.content_type] ?? 'FILE' }),
        el('span', { class: 'file-name', 'data-testid': 'file-name', text: f.name }),
        el('span', { class: 'file-size', 'data-testid': 'file-size', text: formatSize(f.size) }),
        download));
    return { el: li, order: chatOrder(f.created_at, null), sender: f.sender, to: f.to, mine };
}

function onFile(f) {
    app.chat.files += 1;
    insertItem(`f:${f.id}`, fileItem(f));
}

// Names arrive with roster updates: refresh the labels of the timeline.
function refreshChatNames() {
    rememberNames();
    for (const item of timeline.values()) {
        const from = item.el.querySelector('.from');
        if (from) from.textContent = senderName(item.sender);
        const priv = item.el.querySelector('.private');
        if (priv) priv.textContent = privateText(item.to, item.mine);
    }
}

// The timeline's times and download labels in the current language.
function refreshChatTimes() {
    for (const time of $('chat-log').querySelectorAll('time')) time.textContent = formatTime(time.dateTime);
    for (const b of $('chat-log').querySelectorAll('button.download')) if (!b.disabled) b.textContent = t('file.download');
}

function showChatError(text) {
    const e = $('chat-error');
    e.textContent = text || '';
    e.hidden = !text;
    if (text) {
        app.chat.errors.push(text);
        if (app.chat.errors.length > 20) app.chat.errors.shift();
    }
}

function chatErrorText(e) {
    const code = e && e.code;
    if (code === 4290) return t('chat.err.rate');
    if (code === 4043) return t('chat.err.forbidden');
    if (code === 4032) return t('chat.err.waiting');
    if (code === 4003) return t('chat.err.text', { max: MAX_CHAT_CHARS.toLocaleString(language()) });
    if (code === 4041) return t('chat.err.gone');
    if (code === 4046) return t('chat.err.self');
    if (code === 5030 || code === 'timeout' || code === 'transport' || code === 'state') return t('chat.err.network');
    return t('chat.err.other', { code: code ?? '?' });
}

function uploadErrorText(e, name) {
    const code = e && e.code;
    const file = name ? t('file.quoted', { name }) : t('file.theFile');
    if (code === 'too-large' && e.problem === 'session-quota-exceeded') return t('upload.err.quota', { file });
    if (code === 'too-large') return t('upload.err.tooLarge', { file });
    if (code === 'invalid') return t('upload.err.invalid', { file });
    // 415: the server looked at the bytes: the name says PDF, the contents do not.
    if (code === 'type-not-allowed' && e.status === 415) return t('upload.err.contents', { file });
    if (code === 'type-not-allowed') return t('upload.err.type', { file });
    if (code === 'empty') return t('upload.err.empty', { file });
    if (code === 'credential') return t('upload.err.credential');
    if (code === 'forbidden') return t('upload.err.forbidden');
    if (code === 'ended') return t('upload.err.ended');
    if (code === 'rate-limited') return t('upload.err.rate');
    if (code === 'aborted') return t('upload.err.aborted');
    if (code === 'unavailable') return t('upload.err.unavailable');
    return t('upload.err.other', { file });
}

function pendingItem(cid, text, to) {
    const retry = el('button', { type: 'button', class: 'link', 'data-testid': `chat-retry-${cid}`, text: t('chat.retry'), hidden: true });
    retry.addEventListener('click', () => sendPending(cid));
    const status = el('span', { class: 'status', 'data-testid': 'chat-status', text: t('chat.sending') });
    const li = el('li', {
        class: `msg mine${to ? ' direct' : ''}`, 'data-testid': `chat-pending-${cid}`, 'data-mine': 'true', 'data-state': 'pending',
        // Announced once, when stored (the stored message replaces it); a failure is announced by chat-error.
        'aria-hidden': 'true',
    }, metaLine(client.participantId, to ?? [], true, null), el('div', { class: 'bubble', 'data-testid': 'chat-text', text }),
    el('div', { class: 'meta' }, status, retry));
    return { el: li, order: [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], sender: client.participantId, to: to ?? [], mine: true, status, retry };
}

async function sendPending(cid) {
    const p = pendingSends.get(cid);
    if (!p || !client) return;
    const item = timeline.get(`p:${cid}`);
    if (item) {
        item.el.dataset.state = 'pending';
        item.el.setAttribute('aria-hidden', 'true');
        item.status.textContent = t('chat.sending');
        item.retry.hidden = true;
    }
    try {
        await client.sendChat(p.text, { to: p.to, clientId: cid });
        if (pendingSends.has(cid)) {   // acknowledged but already known (a repeat)
            pendingSends.delete(cid);
            removeItem(`p:${cid}`);
        }
        showChatError(null);
    } catch (e) {
        app.chat.failures += 1;
        const again = timeline.get(`p:${cid}`);
        if (again) {
            again.el.dataset.state = 'failed';
            again.el.removeAttribute('aria-hidden');
            again.status.textContent = t('chat.notSent');
            again.retry.hidden = false;
            again.retry.setAttribute('aria-label', t('chat.retryLabel'));
        }
        showChatError(chatErrorText(e));
    }
}

function submitChat() {
    const c = client;
    const input = $('chat-input');
    const text = input.value.replace(/\r\n?/g, '\n');
    if (!c || !text.trim()) {
        showChatError(t('chat.err.empty'));
        input.focus();
        return;
    }
    const n = [...text].length;
    if (n > MAX_CHAT_CHARS) {
        showChatError(t('chat.err.tooLong', { n: n.toLocaleString(language()), max: MAX_CHAT_CHARS.toLocaleString(language()) }));
        input.focus();
        return;
    }
    const toValue = $('chat-to').value;
    const to = toValue ? [toValue] : undefined;
    const cid = `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    pendingSends.set(cid, { text, to });
    insertItem(`p:${cid}`, pendingItem(cid, text, to));
    input.value = '';
    input.focus();
    showChatError(null);
    sendPending(cid);
}

async function downloadFile(f, b) {
    const label = b.textContent;
    b.disabled = true;
    b.textContent = t('file.downloading');
    try {
        const url = await client.downloadUrl(f.id);
        const a = el('a', { href: url, download: f.name, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        app.chat.downloads += 1;
        // The browser has the bytes once the download started: free them later.
        setTimeout(() => client && client.revokeDownloadUrl(url), 60000);
    } catch (e) {
        const why = e && e.code === 'credential' ? 'file.err.credential'
            : e && e.code === 'not-found' ? 'file.err.notFound'
            : e && e.code === 'forbidden' ? 'file.err.forbidden'
            : 'file.err.network';
        showChatError(t(why, { name: f.name }));
    } finally {
        b.disabled = false;
        b.textContent = label;
    }
}

function setUploadUi(name, fraction) {
    const box = $('upload');
    box.hidden = name === null;
    $('chat-attach').disabled = name !== null;
    if (name === null) return;
    const pct = Math.round((fraction || 0) * 100);
    // All bytes out: the server is still storing it.
    $('upload-label').textContent = t(pct >= 100 ? 'upload.saving' : 'upload.sendingName', { name });
    $('upload-progress').value = pct;
    $('upload-progress').setAttribute('aria-valuetext', t('upload.percent', { pct }));
    $('upload-percent').textContent = `${pct} %`;
}

async function startUpload(file) {
    const c = client;
    if (!c || upload) return;
    showChatError(null);
    const toValue = $('chat-to').value;
    const controller = new AbortController();
    upload = { controller, name: file.name };
    app.chat.progress = [];
    setUploadUi(file.name, 0);
    try {
        await c.uploadFile(file, {
            to: toValue ? [toValue] : undefined,
            signal: controller.signal,
            onProgress: ({ loaded, fraction }) => {
                if (app.chat.progress.length < 500) app.chat.progress.push(loaded);
                setUploadUi(file.name, fraction);
            },
        });
        app.chat.uploads += 1;
    } catch (e) {
        app.chat.uploadErrors.push(e && e.code);
        showChatError(uploadErrorText(e, file.name));
    } finally {
        upload = null;
        const a = document.activeElement;
        const refocus = !a || a === document.body || a.id === 'upload-cancel';
        setUploadUi(null);
        if (refocus && !$('chat-attach').hidden) $('chat-attach').focus();
    }
}

// Composer, recipients and notes for the current state.
function renderChat() {
    const c = client;
    if (!c) return;
    refreshChatNames();
    const waiting = c.status === 'waiting';
    const canChat = c.permissions.includes('chat') && c.status === 'admitted';
    const moderator = c.permissions.includes('moderate') && c.status === 'admitted';
    $('chat-form').hidden = !canChat;
    $('chat-title').textContent = t(waiting ? 'chat.titleLobby' : 'chat.title');
    $('chat-empty').textContent = t(waiting ? 'chat.emptyLobby' : 'chat.empty');
    const note = $('chat-note');
    note.hidden = canChat;
    note.textContent = t(waiting ? 'chat.noteLobby' : 'chat.noteForbidden');
    const share = c.canShareFiles && c.permissions.includes('share_files') && c.status === 'admitted';
    $('chat-attach').hidden = !share;
    $('attach-hint').hidden = !share;
    // Recipients: everyone, each admitted participant, and (moderators) the lobby.
    const sel = $('chat-to');
    const current = sel.value;
    const options = [['', t('chat.everyone')]];
    for (const [pid, p] of c.participants) options.push([pid, nameOf(p)]);
    if (moderator) for (const w of c.waiting) options.push([w.participant_id, t('chat.toWaiting', { name: nameOf(w) })]);
    // A chosen recipient who left stays chosen (sending then says so):
    // falling back to everyone would turn a private message public.
    if (current && !options.some(([v]) => v === current)) options.push([current, t('chat.toGone', { name: senderName(current) })]);
    const same = sel.options.length === options.length && options.every(([v, text], i) => sel.options[i].value === v && sel.options[i].textContent === text);
    if (!same) {
        sel.replaceChildren(...options.map(([v, text]) => el('option', { value: v, text })));
        sel.value = options.some(([v]) => v === current) ? current : '';
    }
    sel.closest('.to-row').hidden = options.length < 2;
    placeChat();
    updateChatEmpty();
}

function placeChat() {
    const slot = app.screen === 'lobby' ? $('chat-slot-lobby') : $('chat-slot-call');
    const chat = $('chat');
    if (chat.parentElement !== slot) {
        const hadFocus = chat.contains(document.activeElement) ? document.activeElement : null;
        slot.append(chat);
        if (hadFocus) hadFocus.focus();
    }
}

// Direct message to one participant (the lobby's "Message" buttons).
function messageTo(pid) {
    renderChat();
    const sel = $('chat-to');
    if ([...sel.options].some((o) => o.value === pid)) sel.value = pid;
    $('chat-input').focus();
}

$('chat-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitChat();
});
$('chat-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        submitChat();
    }
});
$('chat-input').addEventListener('input', () => {
    if (!$('chat-error').hidden) showChatError(null);
});
$('chat-attach').addEventListener('click', () => $('chat-file').click());
$('chat-file').addEventListener('change', () => {
    const input = $('chat-file');
    const file = input.files && input.files[0];
    input.value = '';
    if (file) startUpload(file);
});
$('upload-cancel').addEventListener('click', () => {
    if (upload) upload.controller.abort();
});

// ------------------------------------------------------------------ connection health

// What the call and each participant's media really do (health.js), said in
// the header (#conn), a banner with next steps (#conn-banner) and a badge on
// each remote tile (media-state-<pid>). window.telemedApp.health = {call,
// participants: {pid: state}, problem}.
app.health = { call: 'joining', participants: {}, problem: false };
app.supportPhone = null;   // join.support_phone: "Call the clinic" link
let health = null;

function startHealth(c) {
    if (health) health.stop();
    health = new HealthMonitor(c, {
        onChange: (s) => {
            app.health = { call: s.call, participants: { ...s.participants }, problem: s.problem };
            renderHealth();
        },
    });
}

// A remote tile's badge and explanation (filled by renderHealth).
function mediaState(pid) {
    return el('div', { class: 'media-state', 'data-testid': `media-state-${pid}`, 'data-media': 'connecting', hidden: true },
        el('span', { class: 'badge conn', 'data-testid': `media-badge-${pid}` }),
        el('span', { class: 'media-text', 'data-testid': `media-text-${pid}` }));
}

function renderHealth() {
    const h = app.health;
    const c = client;
    for (const tile of tiles.values()) {
        const box = tile.root.querySelector(':scope > .media-state');
        if (!box) continue;
        const pid = tile.root.dataset.participantId;
        const state = h.participants[pid] ?? 'off';
        const words = tileTexts(state, nameOf(c && c.participants.get(pid)), h.problem || h.call !== 'flowing');
        tile.root.dataset.media = state;
        box.dataset.media = state;
        box.hidden = !words.badge;
        box.firstChild.textContent = words.badge;
        box.lastChild.textContent = words.text;
    }
    const inCall = !!c && app.screen === 'call' && !app.reconnecting;
    if (inCall) {
        const troubled = Object.entries(h.participants).filter(([, s]) => s === 'interrupted')
            .map(([pid]) => nameOf(c.participants.get(pid)));
        const text = headerText(h.call, troubled);
        if (app.connText !== text) setConn(() => headerText(h.call, troubled));
        app.connText = text;
    }
    const box = $('conn-banner');
    box.hidden = !(inCall && h.problem);
    if (box.hidden) return;
    const text = bannerText(h.call === 'failed' ? 'failed' : 'interrupted');
    if ($('conn-banner-text').textContent !== text) $('conn-banner-text').textContent = text;
    $('conn-audio-only').hidden = !(c.localStream && c.localStream.getVideoTracks()[0]);
    const link = $('conn-call');
    const href = telHref(app.supportPhone);
    link.hidden = !href;
    if (href) {
        link.href = href;
        link.textContent = phoneLabel(app.supportPhone.trim());
    }
}

// "Try again": a new ICE negotiation (the SDK also restarts ICE by itself
// when it fails).
async function retryConnection() {
    if (!client) return;
    await client.iceRestart();
}

// "Continue with sound only": stop sending the camera, keep the microphone.
async function audioOnly() {
    const c = client;
    if (!c) return;
    const a = c.localStream && c.localStream.getAudioTracks()[0];
    await c.publish({ audio: !!a, video: false, stream: a ? new MediaStream([a]) : null });
    render();
}

// ------------------------------------------------------------------ client

let client = null;

// The lobby's pre-call check (precall.js); its verdict goes to the moderators.
const precall = new PreCall($('precall'), {
    onResult: (r) => {
        const c = client;
        if (c && c.status === 'waiting' && typeof c.reportPrecheck === 'function') {
            Promise.resolve().then(() => c.reportPrecheck(r)).catch((e) => console.warn(`[telemed] precheck not sent: ${e && e.code}`));
        }
    },
});
app.precall = precall.state;

// The recording indicator, consent question and start / stop (recording.js).
const recording = new RecordingUi({ nameOf: (pid) => senderName(pid), onError: (e) => nonFatal(e) });
app.recording = recording.state;

function wire(c) {
    startHealth(c);
    recording.attach(c);
    c.on('joined', (data) => {
        app.participantId = c.participantId;
        app.role = c.role;
        if (c.status === 'waiting') {
            show('lobby');
            setConn('conn.waiting');
            if (app.autopublish) precall.start(c.iceServers);
        } else {
            show('call');
            renderHealth();
            autoPublish();
            precall.stop();
        }
        render();
        void data;
    });
    c.on('lobby', () => {
        // Sent back to the lobby (consent withdrawn in a session that requires it).
        show('lobby');
        setConn('conn.waiting');
        render();
    });
    c.on('admitted', () => {
        show('call');
        renderHealth();
        $('main').focus();
        render();
        autoPublish();
        precall.stop();   // whatever autoPublish did not take
    });
    for (const ev of ['participants', 'waiting', 'streams', 'remote', 'remote-removed', 'muted', 'configured', 'recording', 'consent']) c.on(ev, () => render());
    c.on('permissions', () => {
        render();
        autoPublish();
    });
    c.on('chat', onChatMessage);
    c.on('file', onFile);
    c.on('denied', () => end('denied'));
    c.on('kicked', ({ reason }) => end(reason === 'replaced' ? 'replaced' : reason === 'removed' ? 'removed' : 'kicked'));
    c.on('ended', () => end('ended'));
    c.on('reconnecting', () => {
        app.reconnecting = true;
        setConn('conn.reconnecting');
        setBanner('reconnecting', 'banner.reconnecting');
    });
    c.on('reconnected', () => {
        app.reconnecting = false;
        if (c.status === 'waiting') setConn('conn.waiting');
        if (app.banner && app.banner.kind === 'reconnecting') setBanner(null);
        render();
    });
    c.on('connection', (state) => {
        document.body.dataset.media = state;
        // Media problems: the connection banner (renderHealth), from health.js.
    });
    c.on('error', (e) => {
        app.errors.push(e && e.code);
        if (app.errors.length > 50) app.errors.shift();
        if (app.screen === 'call' || app.screen === 'lobby') setBanner('warning', () => describeError(e));
    });
    c.on('closed', ({ status }) => {
        if (app.screen === 'end') return;
        if (status === 'left' && !app.leaving) {
            // Not the user's choice: the link could not be restored, or the token no longer works.
            end('error');
        } else {
            end(status || 'left');
        }
    });
}

// The language menu: everything on screen is shown again in the new language.
function setupLanguage() {
    setLanguage(chooseLanguage());
    const sel = $('lang');
    sel.replaceChildren(...LANGUAGES.map(([code, name]) => el('option', { value: code, lang: code, text: name })));
    sel.value = language();
    translateDom();
    sel.addEventListener('change', () => {
        setLanguage(sel.value, { save: true });
        translateDom();
        if (app.connKey) setConn(app.connKey);
        if (app.banner) setBanner(app.banner.kind, app.banner.key, app.banner.vars);
        if (app.screen === 'end') renderEnd();
        refreshChatTimes();
        precall.render();
        render();
    });
}

async function start() {
    show('connecting');
    let join;
    try {
        join = readJoin();
    } catch (e) {
        app.error = { code: e.code, message: e.message };
        end(endReasonFor(e));
        return;
    }
    let getToken;
    let credential = null;
    if (join.invite) {
        credential = join.invite;
        app.via = 'invite';
        try {
            join = await exchange(credential);
        } catch (e) {
            app.error = { code: e.code, message: e.message };
            end(endReasonFor(e));
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
    app.supportPhone = typeof join.support_phone === 'string' ? join.support_phone : null;
    client = new TelemedClient({
        janusUrl: join.janus_ws_url,
        token: join.token,
        janusToken: join.janus_token,
        iceServers: join.ice_servers,
        getToken,
        // For the file endpoints (upload, download, list): join links carry none.
        credential,
        apiUrl: API_URL,
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
        end(endReasonFor(e));
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
on('btn-rejoin', () => location.reload());
on('banner-close', () => setBanner(null));
on('conn-retry', retryConnection);
on('conn-audio-only', audioOnly);
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

setupLanguage();
start();
