// Chat benchmark driver (tests/bench/chat.sh runs it inside a private stack):
// 10 rooms x 4 participants over the Janus WebSocket API.
//
//  1. capacity: every participant keeps `--window` chat requests in flight
//     for `--seconds` (closed loop; the stack runs with the rate limit
//     raised): acked messages/s through the plugin into Postgres, checked
//     against the rows Postgres holds afterwards.
//  2. target load: `--rate` msg/s in all (open loop, evenly spread over the
//     40 participants, each under the default 20/s limit) for `--seconds`:
//     p50/p99 of send -> ack (the sender's chat_sent) and of send ->
//     delivered (each other member's chat event). Goal: p99 ack <= 20 ms.
// Prints human lines and RESULT lines (key=value).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { joinWith } from '../../integ/lib/janus.mjs';
import { addParticipant, createSession, psql, sleep, transition, uniq } from '../../integ/lib/stack.mjs';

const { values: args } = parseArgs({
    options: {
        rooms: { type: 'string', default: '10' },
        members: { type: 'string', default: '4' },
        seconds: { type: 'string', default: '10' },
        rate: { type: 'string', default: '500' },
        window: { type: 'string', default: '4' },
    },
});
const ROOMS = Number(args.rooms);
const MEMBERS = Number(args.members);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const WINDOW = Number(args.window);

function pct(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (x) => x.toFixed(2);

async function setup() {
    const rooms = [];
    for (let r = 0; r < ROOMS; r++) {
        const s = await createSession({ title: uniq('bench-chat') });
        const people = [];
        for (let m = 0; m < MEMBERS; m++) {
            people.push(await addParticipant(s.id, { user_id: uniq(`u${m}`), role: m === 0 ? 'doctor' : 'patient',
                permissions: { bypass_lobby: true } }));
        }
        await transition(s.id, 'start');
        const conns = [];
        for (const p of people) {
            const j = await joinWith(p.join.token);
            if (j.data.telemed !== 'joined' || j.data.status !== 'admitted') throw new Error(JSON.stringify(j.data));
            conns.push({ client: j.client, handle: j.handle, id: p.participant.id, sid: s.id });
        }
        rooms.push({ sid: s.id, conns });
    }
    return rooms;
}

// Delivery watcher: "b:<key>" at the start of a text -> send time.
const sentAt = new Map();
let deliveries = [];
function watch(conn) {
    conn.client.ws.on('message', (buf) => {
        const now = performance.now();
        let msg;
        try {
            msg = JSON.parse(buf.toString('utf8'));
        } catch {
            return;
        }
        const m = msg.plugindata?.data?.message;
        if (msg.janus !== 'event' || msg.plugindata?.data?.telemed !== 'chat' || !m) return;
        const key = m.text.slice(0, m.text.indexOf(' '));
        const t0 = sentAt.get(key);
        if (t0 !== undefined) deliveries.push(now - t0);
    });
    // The client keeps every message for waitFor(): not needed here.
    conn.client.received = { push() {}, get length() { return 0; } };
}

let counter = 0;
async function sendOne(conn, acks) {
    counter += 1;
    const key = `b:${process.pid}:${counter}`;
    const t0 = performance.now();
    sentAt.set(key, t0);
    const r = await conn.client.message(conn.handle, { request: 'chat', text: `${key} hello from the bench`,
        client_id: key.replace(/^b:/, 'b-').replace(/:/g, '.') }, { timeout: 10000 });
    const dt = performance.now() - t0;
    if (r.telemed === 'chat_sent') acks.push(dt);
    return r;
}

async function capacity(rooms) {
    const all = rooms.flatMap((r) => r.conns);
    const acks = [];
    const errors = new Map();
    const end = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(all.flatMap((c) => Array.from({ length: WINDOW }, async () => {
        while (performance.now() < end) {
            const r = await sendOne(c, acks);
            if (r.telemed !== 'chat_sent') errors.set(r.error_code, (errors.get(r.error_code) ?? 0) + 1);
        }
    })));
    const elapsed = (performance.now() - t0) / 1000;
    return { acked: acks.length, rate: acks.length / elapsed, errors };
}

async function targetLoad(rooms) {
    const all = rooms.flatMap((r) => r.conns);
    const acks = [];
    const errors = new Map();
    deliveries = [];
    const interval = 1000 / RATE;  // ms between two sends, all participants together
    const total = Math.round(RATE * SECONDS);
    const start = performance.now();
    const pending = [];
    for (let i = 0; i < total; i++) {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const c = all[i % all.length];
        pending.push(sendOne(c, acks).then((r) => {
            if (r.telemed !== 'chat_sent') errors.set(r.error_code, (errors.get(r.error_code) ?? 0) + 1);
        }, () => errors.set('timeout', (errors.get('timeout') ?? 0) + 1)));
    }
    await Promise.all(pending);
    const offered = total / ((performance.now() - start) / 1000);
    await sleep(500);  // last deliveries
    return { total, offered, acks: acks.sort((a, b) => a - b), delivered: [...deliveries].sort((a, b) => a - b), errors };
}

const rooms = await setup();
for (const r of rooms) for (const c of r.conns) watch(c);
const sids = rooms.map((r) => `'${r.sid}'`).join(',');
console.log(`# ${ROOMS} rooms x ${MEMBERS} participants joined; ${SECONDS} s per phase`);

const cap = await capacity(rooms);
const stored = Number(psql(`SELECT count(*) FROM chat_messages WHERE session_id IN (${sids})`)[0][0]);
console.log(`capacity: ${cap.rate.toFixed(0)} msg/s acked (stored in Postgres: ${stored} rows for ${cap.acked} acks` +
    `${cap.errors.size ? `; refused: ${JSON.stringify(Object.fromEntries(cap.errors))}` : ''})`);
console.log(`RESULT chat_capacity msgs_per_s=${cap.rate.toFixed(0)} acked=${cap.acked} stored=${stored}`);

await sleep(1000);
const load = await targetLoad(rooms);
const ackLine = `send->ack p50 ${ms(pct(load.acks, 50))} ms, p99 ${ms(pct(load.acks, 99))} ms`;
const delLine = `send->delivered p50 ${ms(pct(load.delivered, 50))} ms, p99 ${ms(pct(load.delivered, 99))} ms`;
console.log(`target ${RATE} msg/s (offered ${load.offered.toFixed(0)}): ${load.acks.length}/${load.total} acked; ${ackLine}; ` +
    `${delLine} (${load.delivered.length} deliveries)${load.errors.size ? `; refused: ${JSON.stringify(Object.fromEntries(load.errors))}` : ''}`);
console.log(`goal p99 ack <= 20 ms: ${pct(load.acks, 99) <= 20 ? 'met' : 'NOT met'}`);
console.log(`RESULT chat_load rate=${RATE} offered=${load.offered.toFixed(0)} acked=${load.acks.length} ` +
    `ack_p50_ms=${ms(pct(load.acks, 50))} ack_p99_ms=${ms(pct(load.acks, 99))} ` +
    `delivered_p50_ms=${ms(pct(load.delivered, 50))} delivered_p99_ms=${ms(pct(load.delivered, 99))}`);
for (const r of rooms) for (const c of r.conns) await c.client.close();
