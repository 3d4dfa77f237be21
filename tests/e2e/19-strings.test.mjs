// The app's texts (web/app/strings.js): every key the app uses exists in
// English, every translation has exactly the English keys and the same
// {placeholders}, so a clinic's translation cannot silently lose a text.
// No browser needed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'app');
const { ALL_STRINGS, LANGUAGES } = await import(join(APP, 'strings.js'));

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

// Keys named literally in the app's modules and in index.html. Keys built at
// run time (`end.${reason}.title`) are checked through their parts below.
const PREFIXES = 'conn|tile|notice|lobby|end|error|chat|file|upload|call|mod|waiting|precall|size|banner|you|role|page|language|people|screen|rec';
function usedKeys() {
    const keys = new Set();
    for (const f of readdirSync(APP).filter((n) => n.endsWith('.js') && n !== 'strings.js')) {
        const src = readFileSync(join(APP, f), 'utf8');
        for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) keys.add(m[1]);
        for (const m of src.matchAll(new RegExp(`'((?:${PREFIXES})\\.[a-zA-Z0-9_-]+(?:\\.[a-zA-Z0-9_-]+)*)'`, 'g'))) keys.add(m[1]);
    }
    const html = readFileSync(join(APP, 'index.html'), 'utf8');
    for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) keys.add(m[1]);
    for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
        for (const pair of m[1].split(';')) keys.add(pair.split(':')[1].trim());
    }
    return keys;
}

test('every key the app uses exists in English', () => {
    const en = ALL_STRINGS.en;
    const used = usedKeys();
    assert.ok(used.size > 100, `found the keys the app uses (${used.size})`);
    // A stem ('lobby.waiting') names a group the code completes ('.title').
    const stem = (k) => Object.keys(en).some((e) => e.startsWith(`${k}.`));
    const missing = [...used].filter((k) => !Object.hasOwn(en, k) && !stem(k));
    assert.deepEqual(missing, []);
    // Keys built from a reason: every end screen has a title and a text.
    for (const reason of ['ended', 'kicked', 'removed', 'denied', 'replaced', 'left', 'expired', 'not-yet', 'invalid',
        'invite-invalid', 'unavailable', 'full', 'error']) {
        assert.ok(en[`end.${reason}.title`] && en[`end.${reason}.text`], `end screen ${reason}`);
    }
    for (const which of ['waiting', 'beforeStart', 'clinicianBeforeStart', 'consent', 'refused']) {
        assert.ok(en[`lobby.${which}.title`] && en[`lobby.${which}.text`], `lobby ${which}`);
    }
    for (const role of ['doctor', 'patient', 'paramedic', 'observer']) assert.ok(en[`role.${role}`], `role ${role}`);
});

test('every language in the menu has every English key, with the same placeholders', () => {
    const en = ALL_STRINGS.en;
    assert.ok(LANGUAGES.length >= 2, 'English and at least one translation');
    for (const [code] of LANGUAGES) {
        const tr = ALL_STRINGS[code];
        assert.ok(tr, `strings for ${code}`);
        assert.deepEqual(Object.keys(tr).filter((k) => !Object.hasOwn(en, k)), [], `${code}: keys English lacks`);
        assert.deepEqual(Object.keys(en).filter((k) => !Object.hasOwn(tr, k)), [], `${code}: untranslated keys`);
        for (const [k, v] of Object.entries(tr)) {
            assert.equal(typeof v, 'string', `${code} ${k}`);
            assert.ok(v.trim().length > 0, `${code} ${k} is empty`);
            assert.deepEqual(placeholders(v), placeholders(en[k]), `${code} ${k}: placeholders`);
        }
    }
});
