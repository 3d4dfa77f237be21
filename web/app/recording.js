// Recording in the clinic app (docs/SDK.md "Recording and consent"): the
// indicator in the header, always visible while the session is recorded,
// saying whether *you* are recorded and who is; the consent question, asked
// as soon as it matters (the recording runs, or the session's policy makes
// recording a condition of entering) and answerable again at any time; and
// for holders of `record` the start / stop button.
//
// The words are in strings.js ('rec.*'). The plugin decides who is recorded
// (only participants whose consent it has stored); the app only shows it.

import { t } from './strings.js';

// Elements of index.html this module drives.
const ids = {
    indicator: 'rec-indicator', text: 'rec-text', consent: 'consent', consentTitle: 'consent-title',
    consentText: 'consent-text', yes: 'consent-yes', no: 'consent-no', change: 'btn-consent', toggle: 'btn-record',
};

export class RecordingUi {
    // nameOf(pid) -> the name to show for a participant id (self: "You").
    // onError(e) shows a failed request in words.
    constructor({ nameOf, onError }) {
        this.nameOf = nameOf;
        this.onError = onError;
        this.client = null;
        this.busy = false;
        this.state = { shown: 'off', me: null, prompt: false };   // for tests (window.telemedApp.recording)
        const $ = (id) => document.getElementById(id);
        this.el = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, $(id)]));
        this.el.yes.addEventListener('click', () => this.answer(true));
        this.el.no.addEventListener('click', () => this.answer(false));
        this.el.change.addEventListener('click', () => this.answer(!(this.client && this.client.consent === true)));
        this.el.toggle.addEventListener('click', () => this.toggle());
    }

    // The app renders everything again on the client's `recording` and
    // `consent` events (and calls render() here).
    attach(client) {
        this.client = client;
        this.render();
    }

    detach() {
        this.client = null;
        this.render();
    }

    async answer(yes) {
        const c = this.client;
        if (!c || this.busy) return;
        this.busy = true;
        this.render();
        try {
            await c.setRecordingConsent(yes);
        } catch (e) {
            this.onError(e);
        } finally {
            this.busy = false;
            this.render();
        }
    }

    async toggle() {
        const c = this.client;
        if (!c || this.busy) return;
        this.busy = true;
        this.render();
        try {
            await c.record(c.recording.state === 'on' ? 'stop' : 'start');
        } catch (e) {
            this.onError(e);
        } finally {
            this.busy = false;
            this.render();
        }
    }

    render() {
        const c = this.client;
        const e = this.el;
        const live = c && (c.status === 'waiting' || c.status === 'admitted');
        const rec = live ? c.recording : { state: 'off', policy: null, recorded: [], fault: null };
        const on = rec.state === 'on';
        const required = rec.policy === 'required';
        const me = live ? c.participantId : null;
        const meRecorded = on && me !== null && rec.recorded.includes(me);

        // The indicator: while recording, after a recording the server could
        // not save (until the next start: the clinician must know the
        // consultation is no longer recorded), and in a required session's lobby.
        const shown = on ? 'on' : live && rec.fault ? 'fault' : live && required ? 'required' : 'off';
        e.indicator.hidden = shown === 'off';
        e.indicator.dataset.state = shown;
        e.indicator.dataset.me = meRecorded ? 'recorded' : 'not-recorded';
        if (shown === 'on') {
            const others = rec.recorded.filter((p) => p !== me).map((p) => this.nameOf(p));
            const who = (meRecorded ? [t('you')] : []).concat(others);
            e.text.textContent = t(meRecorded ? 'rec.on.you' : 'rec.on.notYou', {
                who: who.length ? who.join(', ') : t('rec.nobody'),
            });
        } else if (shown === 'fault') {
            e.text.textContent = t('rec.fault');
        } else if (shown === 'required') {
            e.text.textContent = t('rec.required');
        } else {
            e.text.textContent = '';
        }

        // The question: asked when it matters and not answered yet.
        const answered = live && typeof c.consent === 'boolean';
        const asks = live && rec.policy !== 'disabled' && (on || required) && !answered;
        e.consent.hidden = !asks;
        e.consent.dataset.policy = rec.policy || '';
        if (asks) {
            e.consentTitle.textContent = t(required ? 'rec.ask.requiredTitle' : 'rec.ask.title');
            e.consentText.textContent = t(required ? 'rec.ask.requiredText' : 'rec.ask.text');
        }
        e.yes.disabled = this.busy;
        e.no.disabled = this.busy;

        // Changing one's answer later (withdrawing, or agreeing after a no).
        e.change.hidden = !live || !answered || rec.policy === 'disabled' || !(on || required);
        e.change.textContent = t(c && c.consent === true ? 'rec.withdraw' : 'rec.agree');
        e.change.dataset.consent = c && c.consent === true ? 'yes' : 'no';
        e.change.disabled = this.busy;

        // Start / stop for holders of `record`, when the policy lets a person choose.
        const mayRecord = live && c.status === 'admitted' && c.permissions.includes('record') && rec.policy === 'optional';
        e.toggle.hidden = !mayRecord;
        e.toggle.textContent = t(on ? 'rec.stop' : 'rec.start');
        e.toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
        e.toggle.disabled = this.busy;

        this.state.shown = shown;
        this.state.me = on ? meRecorded : null;
        this.state.prompt = asks;
    }
}

// The waiting room's words for a waiting participant's consent (moderators see
// whether admitting can work in a session that requires it).
export function consentSummary(w, policy) {
    if (policy !== 'required' && policy !== 'optional') return '';
    if (w.consent === true) return t('rec.waiting.yes');
    if (w.consent === false) return t('rec.waiting.no');
    return policy === 'required' ? t('rec.waiting.none') : '';
}
