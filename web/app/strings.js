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
        // ---- pre-call check
        'precall.title': 'Check your camera, microphone and connection',
        'precall.preview': 'Your camera picture',
        'precall.preview.none': 'No camera picture',
        'precall.camera.label': 'Camera',
        'precall.microphone.label': 'Microphone',
        'precall.speaker.label': 'Speaker',
        'precall.device.camera_n': 'Camera {n}',
        'precall.device.microphone_n': 'Microphone {n}',
        'precall.device.speaker_n': 'Speaker {n}',
        'precall.device.none': 'None found',
        'precall.camera.checking': 'Checking your camera…',
        'precall.camera.ok': 'Your camera works.',
        'precall.camera.fail': 'Your camera shows no picture. Check that it is connected and not covered.',
        'precall.camera.blocked': 'The camera is blocked. Allow it for this page in your browser settings, then press “Check again”.',
        'precall.camera.missing': 'No camera was found.',
        'precall.camera.busy': 'Your camera could not be started. Close other apps that may be using it, then press “Check again”.',
        'precall.microphone.checking': 'Checking your microphone… Please say something.',
        'precall.microphone.ok': 'Your microphone works.',
        'precall.microphone.fail': 'We cannot hear your microphone. Check that it is switched on and not muted.',
        'precall.microphone.blocked': 'The microphone is blocked. Allow it for this page in your browser settings, then press “Check again”.',
        'precall.microphone.missing': 'No microphone was found.',
        'precall.microphone.busy': 'Your microphone could not be started. Close other apps that may be using it, then press “Check again”.',
        'precall.meter.label': 'Microphone level: say something, the bar should move',
        'precall.meter.silent': 'silent',
        'precall.meter.quiet': 'quiet ({level} %)',
        'precall.meter.good': 'good ({level} %)',
        'precall.meter.loud': 'loud ({level} %)',
        'precall.speaker.play': 'Play test sound',
        'precall.speaker.playing': 'Playing a short sound…',
        'precall.speaker.played': 'Did you hear two notes? If not, turn up the volume or choose another speaker.',
        'precall.speaker.failed': 'The test sound could not be played on this device.',
        'precall.connection.label': 'Connection',
        'precall.connection.checking': 'Checking your connection to the video service…',
        'precall.connection.ok': 'Your connection works (about {mbps} Mbit/s).',
        'precall.connection.slow': 'Your connection is slow (about {mbps} Mbit/s): video may not work.',
        'precall.connection.fail': 'Your device cannot reach the video service.',
        'precall.connection.skipped': 'Your connection will be checked when the consultation starts.',
        'precall.verdict.checking': 'Checking…',
        'precall.verdict.good': 'Everything is ready.',
        'precall.verdict.audio_only': 'Your video may not work; the call can go ahead with sound only.',
        'precall.verdict.cannot_connect': 'Your device cannot connect to the video service. Try another network (for example mobile data instead of Wi-Fi), or call the clinic.',
        'precall.verdict.no_microphone': 'We could not hear your microphone, so the clinician may not hear you.',
        'precall.retry': 'Check again',
        // the moderator's waiting list
        'precall.waiting.good': 'Device check: ready',
        'precall.waiting.audio_only': 'Device check: sound only',
        'precall.waiting.cannot_connect': 'Device check: cannot connect',
        'precall.waiting.none': 'Device check: not done yet',
        'precall.waiting.with_details': '{text} ({details})',
        'precall.waiting.camera_off': 'camera not working',
        'precall.waiting.microphone_off': 'microphone not working',
        'precall.waiting.slow': 'slow connection',
    },
    fr: {
        'page.title': 'Téléconsultation',
        'language.label': 'Langue',
        // ---- pre-call check
        'precall.title': 'Vérifiez votre caméra, votre micro et votre connexion',
        'precall.preview': 'L’image de votre caméra',
        'precall.preview.none': 'Pas d’image de la caméra',
        'precall.camera.label': 'Caméra',
        'precall.microphone.label': 'Micro',
        'precall.speaker.label': 'Haut-parleur',
        'precall.device.camera_n': 'Caméra {n}',
        'precall.device.microphone_n': 'Micro {n}',
        'precall.device.speaker_n': 'Haut-parleur {n}',
        'precall.device.none': 'Aucun trouvé',
        'precall.camera.checking': 'Vérification de votre caméra…',
        'precall.camera.ok': 'Votre caméra fonctionne.',
        'precall.camera.fail': 'Votre caméra ne montre pas d’image. Vérifiez qu’elle est branchée et non couverte.',
        'precall.camera.blocked': 'La caméra est bloquée. Autorisez-la pour cette page dans les réglages du navigateur, puis appuyez sur « Vérifier à nouveau ».',
        'precall.camera.missing': 'Aucune caméra n’a été trouvée.',
        'precall.camera.busy': 'Votre caméra n’a pas pu démarrer. Fermez les autres applications qui l’utilisent peut-être, puis appuyez sur « Vérifier à nouveau ».',
        'precall.microphone.checking': 'Vérification de votre micro… Dites quelque chose.',
        'precall.microphone.ok': 'Votre micro fonctionne.',
        'precall.microphone.fail': 'Nous n’entendons pas votre micro. Vérifiez qu’il est allumé et non coupé.',
        'precall.microphone.blocked': 'Le micro est bloqué. Autorisez-le pour cette page dans les réglages du navigateur, puis appuyez sur « Vérifier à nouveau ».',
        'precall.microphone.missing': 'Aucun micro n’a été trouvé.',
        'precall.microphone.busy': 'Votre micro n’a pas pu démarrer. Fermez les autres applications qui l’utilisent peut-être, puis appuyez sur « Vérifier à nouveau ».',
        'precall.meter.label': 'Niveau du micro : parlez, la barre doit bouger',
        'precall.meter.silent': 'silence',
        'precall.meter.quiet': 'faible ({level} %)',
        'precall.meter.good': 'bon ({level} %)',
        'precall.meter.loud': 'fort ({level} %)',
        'precall.speaker.play': 'Jouer un son de test',
        'precall.speaker.playing': 'Lecture d’un son court…',
        'precall.speaker.played': 'Avez-vous entendu deux notes ? Sinon, montez le volume ou choisissez un autre haut-parleur.',
        'precall.speaker.failed': 'Le son de test n’a pas pu être joué sur cet appareil.',
        'precall.connection.label': 'Connexion',
        'precall.connection.checking': 'Vérification de votre connexion au service vidéo…',
        'precall.connection.ok': 'Votre connexion fonctionne (environ {mbps} Mbit/s).',
        'precall.connection.slow': 'Votre connexion est lente (environ {mbps} Mbit/s) : la vidéo risque de ne pas fonctionner.',
        'precall.connection.fail': 'Votre appareil n’arrive pas à joindre le service vidéo.',
        'precall.connection.skipped': 'Votre connexion sera vérifiée au début de la consultation.',
        'precall.verdict.checking': 'Vérification en cours…',
        'precall.verdict.good': 'Tout est prêt.',
        'precall.verdict.audio_only': 'Votre vidéo risque de ne pas fonctionner ; la consultation peut se faire avec le son seulement.',
        'precall.verdict.cannot_connect': 'Votre appareil n’arrive pas à se connecter au service vidéo. Essayez un autre réseau (par exemple les données mobiles au lieu du Wi-Fi), ou appelez le cabinet.',
        'precall.verdict.no_microphone': 'Nous n’avons pas entendu votre micro : le soignant risque de ne pas vous entendre.',
        'precall.retry': 'Vérifier à nouveau',
        // the moderator's waiting list
        'precall.waiting.good': 'Vérification : prêt',
        'precall.waiting.audio_only': 'Vérification : son seulement',
        'precall.waiting.cannot_connect': 'Vérification : connexion impossible',
        'precall.waiting.none': 'Vérification : pas encore faite',
        'precall.waiting.with_details': '{text} ({details})',
        'precall.waiting.camera_off': 'caméra en panne',
        'precall.waiting.microphone_off': 'micro en panne',
        'precall.waiting.slow': 'connexion lente',
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
