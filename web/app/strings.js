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
    },
    fr: {
        'page.title': 'Téléconsultation',
        'language.label': 'Langue',
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
