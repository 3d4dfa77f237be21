// Every text the clinic web app shows or announces, in one place, per
// language (docs/SDK.md "Translating the app").
//
// To add a language: copy the `en` block, translate the values (keep the
// {placeholders} as they are), and add the language to LANGUAGES. A key
// missing in a translation falls back to English, so a partial translation
// works. The language is chosen by ?lang=<code>, else the one picked in the
// app's language menu (kept in localStorage), else the browser's languages,
// else English.
//
// In index.html, data-i18n="key" sets an element's text, and
// data-i18n-attr="aria-label:key;placeholder:key" its attributes.

export const LANGUAGES = [['en', 'English'], ['fr', 'Français']];

const STRINGS = {
    en: {
        // ---- page and header
        'page.title': 'Video consultation',
        'language.label': 'Language',

        // ---- connection (health.js: what the call and each participant's media really do)
        'conn.status.connecting': 'Connecting…',
        'conn.status.connected': 'Connected',
        'conn.status.problem': 'Connection problem',
        'conn.status.problemWith': 'Problem with {name}’s connection',
        'conn.status.problemOthers': 'Connection problem for some participants',
        'conn.status.reconnecting': 'Reconnecting…',
        'conn.status.failed': 'Could not connect',
        'conn.banner.interrupted': 'Connection problem: your video and sound have stopped getting through. We keep trying to restore them.',
        'conn.banner.failed': 'Connection problem: your video and sound cannot get through. This can happen on some hospital, office or public networks.',
        'conn.banner.actions': 'What you can do',
        'conn.action.retry': 'Try again',
        'conn.action.audioOnly': 'Continue with sound only',
        'conn.action.call': 'Call the clinic: {phone}',
        'conn.tile.problem': 'Connection problem',
        'conn.tile.problemText': '{name}’s connection has a problem: you may not see or hear them.',
        'conn.tile.ownProblemText': 'You may not see or hear {name} until your connection is back.',
        'conn.tile.connecting': 'Connecting…',
    },
    fr: {
        'page.title': 'Téléconsultation',
        'language.label': 'Langue',

        // ---- connection
        'conn.status.connecting': 'Connexion…',
        'conn.status.connected': 'Connecté',
        'conn.status.problem': 'Problème de connexion',
        'conn.status.problemWith': 'Problème de connexion chez {name}',
        'conn.status.problemOthers': 'Problème de connexion chez certains participants',
        'conn.status.reconnecting': 'Reconnexion…',
        'conn.status.failed': 'Connexion impossible',
        'conn.banner.interrupted': 'Problème de connexion : votre image et votre son ne passent plus. Nous essayons de les rétablir.',
        'conn.banner.failed': 'Problème de connexion : votre image et votre son ne passent pas. Cela arrive sur certains réseaux d’hôpital, d’entreprise ou publics.',
        'conn.banner.actions': 'Ce que vous pouvez faire',
        'conn.action.retry': 'Réessayer',
        'conn.action.audioOnly': 'Continuer avec le son seulement',
        'conn.action.call': 'Appeler la clinique : {phone}',
        'conn.tile.problem': 'Problème de connexion',
        'conn.tile.problemText': 'La connexion de {name} a un problème : vous ne pouvez peut-être pas voir ni entendre cette personne.',
        'conn.tile.ownProblemText': 'Vous ne pouvez peut-être pas voir ni entendre {name} tant que votre connexion n’est pas rétablie.',
        'conn.tile.connecting': 'Connexion…',
    },
};

const LANG_KEY = 'telemed.lang';
let current = 'en';

export function language() {
    return current;
}

// The language to use: ?lang=, the saved choice, the browser's, English.
export function chooseLanguage() {
    const wanted = [];
    const q = new URLSearchParams(location.search).get('lang');
    if (q) wanted.push(q);
    try {
        const saved = localStorage.getItem(LANG_KEY);
        if (saved) wanted.push(saved);
    } catch {
        // storage unavailable
    }
    for (const l of navigator.languages ?? [navigator.language]) if (l) wanted.push(l);
    for (const w of wanted) {
        const code = String(w).toLowerCase().split('-')[0];
        if (STRINGS[code]) return code;
    }
    return 'en';
}

export function setLanguage(code, { save = false } = {}) {
    current = STRINGS[code] ? code : 'en';
    document.documentElement.lang = current;
    if (save) {
        try {
            localStorage.setItem(LANG_KEY, current);
        } catch {
            // storage unavailable: the choice lasts for this page
        }
    }
}

// The text for `key` with its {placeholders} filled from vars.
export function t(key, vars) {
    const s = STRINGS[current][key] ?? STRINGS.en[key];
    if (s === undefined) return key;
    if (!vars) return s;
    return s.replace(/\{(\w+)\}/g, (m, k) => (Object.hasOwn(vars, k) ? String(vars[k]) : m));
}

// Whether a key exists (in English): for texts chosen by a code.
export function has(key) {
    return Object.hasOwn(STRINGS.en, key);
}

// Fills the static texts of index.html (and of any element built with the
// same attributes) in the current language.
export function translateDom(root = document) {
    for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const e of root.querySelectorAll('[data-i18n-attr]')) {
        for (const pair of e.dataset.i18nAttr.split(';')) {
            const [attr, key] = pair.split(':').map((s) => s.trim());
            if (attr && key) e.setAttribute(attr, t(key));
        }
    }
    if (root === document) document.title = t('page.title');
}

// For tests: every key of every language.
export const ALL_STRINGS = STRINGS;
