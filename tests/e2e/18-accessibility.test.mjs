// Accessibility audit of the web app with axe-core (pinned in
// package-lock.json): the lobby, the call as doctor and as patient, and the
// end screens have no serious or critical WCAG 2.1 A/AA violations, in
// English and in French; the call works at 360 x 740 (a phone): nothing is
// wider than the screen, the controls are reachable. Screenshots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, ENV, session, waitAppFlowing } from './lib/telemed.mjs';

const T = { timeout: 150000 };
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// Runs axe on the page; returns the serious and critical violations (rule,
// impact, targets), and counts the others for the diagnostics.
async function audit(p) {
    // Evaluated through DevTools, so the app's Content-Security-Policy (no
    // inline scripts) does not apply to the auditor.
    await p.eval(AXE, undefined, 15000);
    const r = await p.eval(() => window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
        resultTypes: ['violations'],
    }).then((res) => res.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }))), undefined, 30000);
    return { bad: r.filter((v) => v.impact === 'serious' || v.impact === 'critical'), other: r.filter((v) => v.impact !== 'serious' && v.impact !== 'critical') };
}

async function expectClean(t, p, where) {
    const { bad, other } = await audit(p);
    if (other.length) t.diagnostic(`${where}: minor findings ${JSON.stringify(other)}`);
    assert.deepEqual(bad, [], `${where}: serious or critical accessibility violations`);
}

// Nothing wider than the viewport (no sideways scrolling on a phone).
async function fitsWidth(p, width) {
    const w = await p.eval(() => ({
        doc: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        // The elements that stick out, for the failure message.
        wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5)
            .slice(0, 8).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    }));
    assert.ok(w.doc <= width && w.body <= width, `page is ${JSON.stringify(w)} px wide at ${width} px`);
}

test('axe-core: lobby, call (doctor and patient), recording consent, end screens; 360 px call', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });
        const { doctor: D, patient: P } = s.people;
        const doctor = await AppPeer.open(b, 'doctor', D.join);
        await doctor.screen('call');
        const patient = await AppPeer.open(b, 'patient', P.join);
        await patient.screen('lobby');
        await doctor.p.waitVisible(`admit-${P.id}`);

        await expectClean(t, patient.p, 'lobby (patient)');
        // The lobby with its pre-call check on a phone, in French.
        await patient.p.page.setViewportSize({ width: 360, height: 740 });
        await patient.p.page.selectOption('[data-testid="language"]', 'fr');
        await fitsWidth(patient.p, 360);
        await expectClean(t, patient.p, 'lobby at 360 px in French (patient)');
        t.diagnostic(`lobby at 360 x 740 in French: ${await patient.screenshot('patient-lobby-360-fr')}`);
        await patient.p.page.selectOption('[data-testid="language"]', 'en');
        await patient.p.page.setViewportSize({ width: 960, height: 600 });
        await expectClean(t, doctor.p, 'call with a waiting patient (doctor)');

        await doctor.click(`admit-${P.id}`);
        await patient.screen('call');
        await waitAppFlowing(doctor.p);
        await waitAppFlowing(patient.p);
        await expectClean(t, doctor.p, 'call (doctor)');
        await expectClean(t, patient.p, 'call (patient)');

        // Recording: the indicator and the consent question (kept open on
        // the patient's page for the phone layout below).
        await doctor.click('toggle-recording');
        await patient.p.waitVisible('consent');
        await patient.p.waitVisible('recording-indicator');
        await expectClean(t, patient.p, 'call with the recording consent question (patient)');
        await doctor.p.waitVisible('consent');
        await doctor.click('consent-yes');
        await doctor.p.waitVisible('change-consent');
        await expectClean(t, doctor.p, 'call while recording, consent given (doctor)');

        // A phone: 360 x 740.
        await patient.p.page.setViewportSize({ width: 360, height: 740 });
        await fitsWidth(patient.p, 360);
        await patient.p.waitVisible('leave');
        t.diagnostic(`call at 360 x 740 (patient): ${await patient.screenshot('patient-call-360')}`);
        await expectClean(t, patient.p, 'call at 360 px (patient)');
        await doctor.p.page.setViewportSize({ width: 360, height: 740 });
        await fitsWidth(doctor.p, 360);
        t.diagnostic(`call at 360 x 740 (doctor): ${await doctor.screenshot('doctor-call-360')}`);

        // Keyboard: Tab from the top reaches the call controls.
        await patient.p.page.keyboard.press('Tab');
        let found = false;
        for (let i = 0; i < 40 && !found; i++) {
            const id = await patient.p.eval(() => document.activeElement?.dataset?.testid ?? document.activeElement?.id ?? '');
            if (id === 'toggle-mic') found = true;
            else await patient.p.page.keyboard.press('Tab');
        }
        assert.ok(found, 'the microphone button is reachable with Tab');

        // French call screen.
        await patient.p.page.selectOption('[data-testid="language"]', 'fr');
        await expectClean(t, patient.p, 'call in French (patient)');
        t.diagnostic(`call in French at 360 px: ${await patient.screenshot('patient-call-360-fr')}`);

        // End screens: the patient leaves, the doctor's session is ended.
        await patient.click('leave');
        await patient.screen('screen-end');
        await expectClean(t, patient.p, 'end screen: left (French)');
        await fitsWidth(patient.p, 360);
        const bad = await b.participant('invalid');
        await bad.goto(`${ENV.TELEMED_URL}/app/`);
        await new AppPeer(bad).screen('screen-end');
        await expectClean(t, bad, 'end screen: invalid link');
    });
});
