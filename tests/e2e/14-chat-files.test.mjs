// Chat and files in the clinic web app (issue 12). Doctor and patient open
// their invitation links (the app keeps the credential for the file
// endpoints). The doctor writes to the patient waiting in the lobby (a
// direct message), admits it, and both chat in the call (Enter sends,
// Shift+Enter is a new line). The doctor attaches a PDF (progress bar, then
// a file entry for both); the patient downloads it through the app and the
// bytes match (SHA-256). A file type the clinic does not take is refused in
// plain words before anything is sent. The patient reloads the page and sees
// the whole timeline again (chat history from the plugin, files from REST).
// Second test: messages sent while the patient's link is down (a dropped
// WebSocket: claim; then a lost Janus session: rejoin) arrive after the
// reconnect through the history sync, once each and in order.
// Screenshots go to test-results/e2e/<test>/.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { withBrowser } from './lib/browser.mjs';
import { AppPeer, eventually, janusCoreAdmin, session, step } from './lib/telemed.mjs';

const T = { timeout: 180000 };

// A small valid PDF (one page with a line of text) padded with an
// unreferenced binary stream to `size` bytes, so the upload takes long
// enough to report progress. The xref table holds the real offsets.
function makePdf(size = 1536 * 1024) {
    const parts = [];
    const offsets = [];
    let length = 0;
    const push = (chunk) => {
        const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
        parts.push(b);
        length += b.length;
    };
    const obj = (n, body) => {
        offsets[n] = length;
        push(`${n} 0 obj\n${body}\nendobj\n`);
    };
    push('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
    obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
    obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
    obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>');
    const text = 'BT /F1 18 Tf 72 770 Td (Lab report - e2e test) Tj ET';
    obj(4, `<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
    const pad = randomBytes(Math.max(0, size - 1200));
    offsets[5] = length;
    push(`5 0 obj\n<< /Length ${pad.length} >>\nstream\n`);
    push(pad);
    push('\nendstream\nendobj\n');
    obj(6, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
    const xref = length;
    push(`xref\n0 7\n0000000000 65535 f \n${offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`);
    push(`trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
    return Buffer.concat(parts);
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// The chat timeline of an app page, in display order.
function timeline(peer) {
    return peer.p.eval(() => [...document.querySelectorAll('#chat-log > li')].map((li) => ({
        testid: li.dataset.testid,
        id: li.dataset.id ?? null,
        seq: li.dataset.seq ? Number(li.dataset.seq) : null,
        kind: li.classList.contains('file') ? 'file' : 'message',
        mine: li.dataset.mine === 'true',
        direct: li.classList.contains('direct'),
        state: li.dataset.state ?? null,
        from: li.querySelector('.from')?.textContent ?? null,
        text: li.querySelector('[data-testid="chat-text"]')?.textContent ?? null,
        file: li.querySelector('[data-testid="file-name"]')?.textContent ?? null,
        align: getComputedStyle(li).alignSelf,
        visible: li.getClientRects().length > 0,
    })));
}

// Waits until the timeline has an entry matching pred; returns it.
async function waitEntry(peer, pred, what, ms = 15000) {
    let found = null;
    let last = [];
    try {
        await eventually(async () => {
            last = await timeline(peer);
            found = last.find(pred) ?? null;
            return found !== null;
        }, { timeout: ms, interval: 200, what: `${peer.name}: ${what}` });
    } catch (e) {
        throw new Error(`${e.message}; timeline: ${JSON.stringify(last)}`);
    }
    return found;
}

// Types into the composer; '\n' is typed as Shift+Enter; then Enter sends.
async function say(peer, text) {
    const input = peer.p.page.locator('[data-testid="chat-input"]');
    await step(`${peer.name}: focus the message box`, input.click());
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
        if (i > 0) await step(`${peer.name}: Shift+Enter`, input.press('Shift+Enter'));
        await step(`${peer.name}: type`, peer.p.page.keyboard.insertText(lines[i]));
    }
    await step(`${peer.name}: Enter`, input.press('Enter'));
}

async function setFile(peer, file) {
    await step(`${peer.name}: choose a file`, peer.p.page.setInputFiles('[data-testid="chat-file-input"]', file), 10000);
}

// A large file made in the page (zeros), chosen as the file picker does
// (the input's files, then `change`): 25 MiB through DevTools took over the
// step's 10 s on a loaded machine (three browsers on two cores), and the app
// refuses it by its size before reading a byte anyway.
async function setLargeFile(peer, { name, mimeType, size }) {
    await step(`${peer.name}: choose a ${size} byte file`, peer.p.page.evaluate(({ n, type, bytes }) => {
        const input = document.querySelector('[data-testid="chat-file-input"]');
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], n, { type }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
    }, { n: name, type: mimeType, bytes: size }), 10000);
}

test('chat both ways (and into the lobby), a PDF downloaded with the same bytes, the history after a reload', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({ roles: ['doctor', 'patient'] });   // the patient waits in the lobby
        const { doctor: D, patient: P } = s.people;
        assert.ok(D.access && P.access, 'participant adds return access (invite_url)');

        const doctor = await AppPeer.openInvite(b, 'doctor', D.access.invite_url);
        // A laptop-sized window for the screenshots (the default is 960x600).
        await step('doctor: viewport', doctor.p.page.setViewportSize({ width: 1280, height: 800 }));
        await doctor.screen('call', 20000);
        const patient = await AppPeer.openInvite(b, 'patient', P.access.invite_url);
        await step('patient: viewport', patient.p.page.setViewportSize({ width: 1280, height: 800 }));
        await patient.screen('lobby', 20000);
        await patient.p.waitVisible('chat-panel');

        // 1. A direct message from the doctor to the patient in the lobby.
        await doctor.p.waitVisible(`message-${P.id}`);
        await doctor.click(`message-${P.id}`);
        assert.equal(await doctor.p.eval(() => document.activeElement?.dataset.testid), 'chat-input', 'Message focuses the box');
        assert.equal(await doctor.p.eval(() => document.querySelector('[data-testid="chat-to"]').value), P.id, 'addressed to the patient');
        const hello = 'Good morning, I will let you in in a moment.';
        await say(doctor, hello);
        const inLobby = await waitEntry(patient, (e) => e.text === hello, 'the direct message in the lobby');
        assert.equal(inLobby.direct, true, 'shown as private');
        assert.equal(inLobby.mine, false);
        assert.equal(inLobby.from, 'Care team', 'a waiting patient sees the care team as sender');
        assert.equal(inLobby.visible, true);
        assert.equal(await patient.p.eval(() => document.querySelector('[data-testid="chat-form"]').hidden), true,
            'no composer while waiting');
        const sentDm = await waitEntry(doctor, (e) => e.text === hello && e.state === 'sent', 'own direct message stored');
        assert.equal(sentDm.mine, true);
        assert.equal(sentDm.align, 'flex-end', 'own messages are right-aligned');
        t.diagnostic(`patient in the lobby: ${await patient.screenshot('patient-lobby-message')}`);

        // 2. Admitted: chat both ways.
        await doctor.click(`admit-${P.id}`);
        await patient.screen('call', 15000);
        await patient.p.waitVisible('chat-input');
        const question = 'Good morning doctor.\nShould I keep taking the tablets?';
        await say(patient, question);
        const atDoctor = await waitEntry(doctor, (e) => e.text === question, 'the patient\'s message (with its new line)');
        assert.equal(atDoctor.from, 'Patient E2E', 'sender\'s display name');
        assert.equal(atDoctor.mine, false);
        assert.equal(atDoctor.direct, false);
        assert.equal(atDoctor.align, 'flex-start');
        assert.equal(await patient.p.eval(() => document.querySelector('[data-testid="chat-input"]').value), '', 'the box is cleared');
        // The recipient stays the patient (now in the call): back to everyone.
        await step('doctor: to everyone', doctor.p.page.selectOption('[data-testid="chat-to"]', ''));
        const answer = 'Yes, until the end of the week. I am sending you the lab report.';
        await say(doctor, answer);
        const atPatient = await waitEntry(patient, (e) => e.text === answer, 'the doctor\'s answer');
        assert.equal(atPatient.from, 'Dr E2E');
        assert.equal(atPatient.direct, false);
        const pAfterLobby = await waitEntry(patient, (e) => e.text === hello, 'the lobby message is still there');
        assert.equal(pAfterLobby.from, 'Dr E2E', 'once admitted, the sender has a name');

        // 3. The doctor sends a PDF; the patient downloads it; same bytes.
        // The doctor's uplink is throttled (DevTools network emulation, ~1 MB/s)
        // so that the upload takes a moment: the bar moves with the bytes sent.
        const cdp = await step('doctor: CDP session', doctor.p.context.newCDPSession(doctor.p.page));
        await step('doctor: throttle', cdp.send('Network.enable'));
        await step('doctor: throttle', cdp.send('Network.emulateNetworkConditions', {
            offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1024 * 1024,
        }));
        const pdf = makePdf();
        await setFile(doctor, { name: 'lab-report.pdf', mimeType: 'application/pdf', buffer: pdf });
        await doctor.p.waitVisible('upload-progress', { ms: 5000 });
        try {
            await eventually(async () => {
                const v = await doctor.p.eval(() => document.querySelector('[data-testid="upload-progress"]').value);
                return v >= 20 && v <= 90;
            }, { timeout: 5000, interval: 50, what: 'the progress bar part way' });
            t.diagnostic(`doctor uploading: ${await doctor.screenshot('doctor-uploading')}`);
        } catch (e) {
            t.diagnostic(`no mid-upload screenshot: ${e.message}`);
        }
        const docFile = await waitEntry(doctor, (e) => e.kind === 'file' && e.file === 'lab-report.pdf', 'own file entry', 30000);
        await step('doctor: unthrottle', cdp.send('Network.emulateNetworkConditions', {
            offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
        }));
        // The room hears of the file (WebSocket) as soon as it is stored; the
        // uploader's own HTTP answer may come a moment later on a loaded machine.
        const st = await eventually(async () => {
            const a = await doctor.app();
            return a.chat.uploads === 1 ? a : null;
        }, { timeout: 10000, what: 'the doctor\'s upload answered' });
        assert.equal(st.chat.uploads, 1, `upload done: ${JSON.stringify(st.chat)}`);
        t.diagnostic(`upload progress callbacks (bytes): ${st.chat.progress.join(', ')}`);
        const partial = st.chat.progress.filter((n) => n > 0 && n < pdf.length);
        assert.ok(partial.length >= 2, `progress reported part way through: ${JSON.stringify(st.chat.progress)}`);
        assert.deepEqual(st.chat.progress, [...st.chat.progress].sort((x, y) => x - y), 'progress only grows');
        assert.equal(st.chat.progress.at(-1), pdf.length, 'progress ends at the file size');
        assert.equal(await doctor.p.eval(() => document.querySelector('[data-testid="upload"]').hidden), true, 'progress bar gone');
        const patFile = await waitEntry(patient, (e) => e.kind === 'file' && e.id === docFile.id, 'the file entry at the patient');
        assert.equal(patFile.from, 'Dr E2E');
        assert.match(await patient.p.eval((id) => document.querySelector(`[data-testid="file-${id}"] [data-testid="file-size"]`).textContent,
            docFile.id), /^1\.5 MB$/);
        const [download] = await step('patient: download', Promise.all([
            patient.p.page.waitForEvent('download', { timeout: 20000 }),
            patient.click(`download-${docFile.id}`),
        ]), 25000);
        assert.equal(download.suggestedFilename(), 'lab-report.pdf');
        const got = await readFile(await step('download path', download.path(), 20000));
        assert.equal(got.length, pdf.length, 'downloaded size');
        assert.equal(sha256(got), sha256(pdf), 'the downloaded bytes are the sent bytes');
        t.diagnostic(`doctor's view: ${await doctor.screenshot('doctor-chat-and-file')}`);
        t.diagnostic(`patient's view: ${await patient.screenshot('patient-chat-and-file')}`);

        // 4. A type the clinic does not take: refused in plain words, nothing sent.
        await setFile(patient, { name: 'photos.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\x03\x04 not really a zip') });
        await patient.p.waitVisible('chat-error');
        const err = await patient.p.eval(() => document.querySelector('[data-testid="chat-error"]').textContent);
        assert.match(err, /“photos\.zip” cannot be sent: only PDF documents, PNG or JPEG images, DICOM files and plain text files/);
        assert.equal((await patient.app()).chat.uploads, 0);
        t.diagnostic(`patient's error: ${await patient.screenshot('patient-file-refused')}`);
        // Too large (over 25 MiB): refused before a byte is sent.
        await setLargeFile(patient, { name: 'scan.png', mimeType: 'image/png', size: 25 * 1024 * 1024 + 1 });
        await eventually(async () => /“scan\.png” is too large to send\. Files can be up to 25 MB\./.test(
            await patient.p.eval(() => document.querySelector('[data-testid="chat-error"]').textContent)),
        { timeout: 10000, what: 'the too-large message' });
        // Named .pdf but not a PDF: the controller looks at the bytes (415), said in plain words.
        await setFile(patient, { name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('just some text, not a PDF\n') });
        await eventually(async () => /“notes\.pdf” cannot be sent: its contents are not a valid PDF/.test(
            await patient.p.eval(() => document.querySelector('[data-testid="chat-error"]').textContent)),
        { timeout: 10000, what: 'the server\'s 415 in plain words' });
        const ps = await patient.app();
        assert.equal(ps.chat.uploads, 0);
        assert.deepEqual(ps.chat.uploadErrors, ['type-not-allowed', 'too-large', 'type-not-allowed']);

        // 5. The patient reloads: the same conversation and the file are back.
        const before = (await timeline(patient)).filter((e) => e.kind === 'message' || e.kind === 'file');
        await step('patient: reload', patient.p.page.reload({ waitUntil: 'load' }), 15000);
        await patient.screen('call', 20000);
        for (const text of [hello, question, answer]) await waitEntry(patient, (e) => e.text === text && e.state === 'sent', `history: ${text.slice(0, 20)}`);
        await waitEntry(patient, (e) => e.kind === 'file' && e.id === docFile.id, 'the file after the reload');
        const after = await timeline(patient);
        assert.deepEqual(after.map((e) => e.testid), before.map((e) => e.testid), 'same entries in the same order');
        const seqs = after.filter((e) => e.kind === 'message').map((e) => e.seq);
        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'messages in seq order');
        const mineAfter = after.find((e) => e.text === question);
        assert.equal(mineAfter.mine, true, 'own message still marked as own');
        assert.equal(after.find((e) => e.text === answer).from, 'Dr E2E');
        await eventually(async () => (await patient.app()).publishing.video,
            { timeout: 15000, what: 'the patient\'s camera is back after the reload' });
        t.diagnostic(`patient after the reload: ${await patient.screenshot('patient-after-reload')}`);
    });
});

test('messages sent while the patient is disconnected arrive after the reconnect and the rejoin, once and in order', T, async (t) => {
    await withBrowser(t, async (b) => {
        const s = await session({
            roles: ['doctor', { name: 'patient', role: 'patient', permissions: { bypass_lobby: true } }],
        });
        const { doctor: D, patient: P } = s.people;
        const doctor = await AppPeer.openInvite(b, 'doctor', D.access.invite_url);
        await doctor.screen('call', 20000);
        const patient = await AppPeer.openInvite(b, 'patient', P.access.invite_url);
        await patient.screen('call', 20000);
        await patient.p.waitVisible('chat-input');
        await doctor.p.waitVisible('chat-input');
        await say(patient, 'Before the drop');
        await waitEntry(doctor, (e) => e.text === 'Before the drop', 'the first message');

        // 1. The WebSocket drops; the SDK claims the Janus session again.
        await patient.p.eval(() => window.__e2e.dropSockets());
        await say(doctor, 'While you were away (1)');
        await say(doctor, 'While you were away (2)');
        await waitEntry(patient, (e) => e.text === 'While you were away (2)', 'the messages after the reconnect', 20000);
        await eventually(async () => !(await patient.app()).reconnecting, { timeout: 20000, what: 'patient reconnected' });

        // 2. The Janus session is gone as well: a rejoin (new session, join),
        // then the history since the last seq seen.
        const lost = await patient.p.eval(() => window.telemedClient.janusSessionId);
        const r = await janusCoreAdmin({ janus: 'destroy_session', session_id: lost });
        assert.equal(r.janus, 'success', `admin destroy_session: ${JSON.stringify(r)}`);
        await patient.p.eval(() => window.__e2e.dropSockets());
        await say(doctor, 'After the rejoin');
        await waitEntry(patient, (e) => e.text === 'After the rejoin', 'the message after the rejoin', 30000);
        await eventually(async () => {
            const c = await patient.p.eval(() => ({ id: window.telemedClient.janusSessionId, status: window.telemedClient.status }));
            return c.id !== lost && c.status === 'admitted';
        }, { timeout: 20000, what: 'the patient rejoined on a new Janus session' });

        // The patient writes again; the doctor gets it.
        await say(patient, 'I am back');
        await waitEntry(doctor, (e) => e.text === 'I am back', 'the patient\'s message after the rejoin', 20000);

        const expected = ['Before the drop', 'While you were away (1)', 'While you were away (2)', 'After the rejoin', 'I am back'];
        for (const peer of [patient, doctor]) {
            await waitEntry(peer, (e) => e.text === 'I am back' && e.state === 'sent', 'the last message stored');
            const texts = (await timeline(peer)).filter((e) => e.kind === 'message').map((e) => e.text);
            assert.deepEqual(texts, expected, `${peer.name}: each message once, in order`);
            const seqs = (await timeline(peer)).filter((e) => e.kind === 'message').map((e) => e.seq);
            assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${peer.name}: seq order`);
        }
        t.diagnostic(`patient after the rejoin: ${await patient.screenshot('patient-after-rejoin')}`);
    });
});
