// The playback page (web/app/playback.html, docs/SDK.md "Playback page").
//
// The link is in the fragment, which browsers never send to a server:
//   #recording=<recording id>&token=<tpl1 token>
// Both are checked by shape here (the controller checks the rest) and the
// video plays /recordings/<id>/playback/<token> of this origin. When the
// video cannot load, one small request (Range: bytes=0-0) asks the controller
// why, and the page says it in plain words: an expired or revoked link (403)
// asks for a new one, a deleted recording (410), too many tries (429), a
// browser that cannot play WebM, or anything else.
import { chooseLanguage, setLanguage, t } from './strings.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^tpl1\.[A-Za-z0-9_-]{56,140}\.[A-Za-z0-9_-]{43}$/;

const $ = (id) => document.getElementById(id);

function texts() {
    document.title = t('playback.title');
    $('pb-skip').textContent = t('page.skip');
    $('pb-title').textContent = t('playback.title');
    $('pb-heading').textContent = t('playback.title');
    $('pb-intro').textContent = t('playback.intro');
    $('pb-status').textContent = t('playback.loading');
    $('pb-video').setAttribute('aria-label', t('playback.video'));
}

// The link of the fragment, or null when it is not one.
export function parseFragment(hash) {
    const p = new URLSearchParams(String(hash).replace(/^#/, ''));
    const recording = p.get('recording') ?? '';
    const token = p.get('token') ?? '';
    if (!UUID.test(recording) || !TOKEN.test(token) || token.length > 256) return null;
    return { recording: recording.toLowerCase(), token };
}

function showError(key) {
    const video = $('pb-video');
    video.removeAttribute('src');
    video.hidden = true;
    $('pb-status').textContent = '';
    const e = $('pb-error');
    e.textContent = t(key);
    e.dataset.reason = key.replace(/^playback\./, '');
    e.hidden = false;
}

// Why the video did not load, from the controller's answer to one byte.
async function explain(src) {
    try {
        const r = await fetch(src, { headers: { Range: 'bytes=0-0' }, cache: 'no-store', credentials: 'omit' });
        if (r.status === 403) return 'playback.expired';
        if (r.status === 410) return 'playback.gone';
        if (r.status === 429) return 'playback.busy';
        if (r.ok) return 'playback.unsupported';
    } catch {
        // network down: the generic words
    }
    return 'playback.error';
}

function start() {
    setLanguage(chooseLanguage());
    texts();
    const link = parseFragment(location.hash);
    if (!link) {
        showError('playback.invalid');
        return;
    }
    const src = new URL(`../recordings/${link.recording}/playback/${link.token}`, location.href).href;
    const video = $('pb-video');
    let failed = false;
    video.addEventListener('loadedmetadata', () => {
        $('pb-status').textContent = t('playback.ready');
    });
    video.addEventListener('error', async () => {
        if (failed) return;
        failed = true;
        showError(await explain(src));
    });
    video.src = src;
    video.hidden = false;
}

start();
