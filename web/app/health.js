// Honest connection state for the clinic web app: what the call and each
// remote participant's media are really doing, from real signals only.
//
// Inputs (of one TelemedClient):
//   - the PeerConnection (client.pc): connectionState (ICE + DTLS),
//     iceConnectionState, and when the answer was applied (signalingstatechange
//     to stable with a remote description);
//   - getStats() about once a second: inbound-rtp packetsReceived per mid,
//     outbound-rtp packetsSent, transport bytesReceived (media and RTCP from
//     Janus: the link to the server is alive);
//   - the slot assignment (client.streams: which mid carries which
//     participant's source) and the roster (publishing, muted);
//   - the SDK's reconnecting / reconnected events and Janus's `media`
//     events for our own published m-lines (receiving: false = Janus gets
//     nothing from us).
//
// Call state:
//   joining       signalling connected (or lobby), no media negotiated yet
//   connecting    answer applied, ICE/DTLS not up yet (or up, no packet yet)
//   flowing       connected and packets moving (sent, received where expected)
//   interrupted   was connected, then: ICE disconnected, nothing received on
//                 the transport for STALL_MS while something is expected,
//                 our sending stalled, or Janus says it receives nothing from us
//   reconnecting  the SDK lost its link to the server and is reconnecting
//   failed        ICE/DTLS failed, the PeerConnection was closed under us, or
//                 not connected CONNECT_TIMEOUT_MS after the answer was applied
// Per remote participant:
//   off           publishes nothing (or everything muted or not permitted)
//   connecting    a published, unmuted source has had no packet yet, for less
//                 than FIRST_MEDIA_MS since it became expected
//   flowing       every published, unmuted source received packets within STALL_MS
//   interrupted   a published, unmuted source got no packet for STALL_MS (after
//                 flowing) or none at all for FIRST_MEDIA_MS
//
// The texts (strings.js, keys `conn.*`) are built here too, so the app only
// places them.
import { t } from './strings.js';

export const HEALTH_TIMING = {
    POLL_MS: 1000,
    STALL_MS: 4000,
    FIRST_MEDIA_MS: 6000,
    CONNECT_TIMEOUT_MS: 6000,
};

const PROBLEM = new Set(['interrupted', 'failed']);

export class HealthMonitor {
    // onChange(state, prev): called when the call state, the problem flag or
    // a participant's state changes.
    constructor(client, { onChange = () => {}, timing = {} } = {}) {
        this.client = client;
        this.onChange = onChange;
        this.T = { ...HEALTH_TIMING, ...timing };
        this.state = { call: 'joining', participants: {}, problem: false, since: Date.now() };
        this.reconnecting = false;
        this.cur = null;           // per PeerConnection: {pc, answerAt, connectedAt, everConnected, ...}
        this.sources = new Map();  // `${pid}|${source}` -> {mid, packets, since, lastGrowth, flowed}
        this.janusMedia = new Map(); // own mid -> receiving (Janus's `media` events)
        this.stats = null;         // last parsed stats of cur.pc
        this.busy = false;
        this.stopped = false;
        const ev = (name, fn) => {
            client.on(name, fn);
            (this.offs ??= []).push(() => client.off?.(name, fn));
        };
        ev('reconnecting', () => {
            this.reconnecting = true;
            this.evaluate();
        });
        ev('reconnected', () => {
            this.reconnecting = false;
            this.evaluate();
        });
        ev('media', (m) => {
            if (m && m.mid !== undefined && m.mid !== null) this.janusMedia.set(String(m.mid), m.receiving !== false);
            this.evaluate();
        });
        for (const name of ['connection', 'ice', 'participants', 'streams', 'configured', 'muted', 'admitted', 'joined']) {
            ev(name, () => this.evaluate());
        }
        ev('closed', () => this.stop());
        this.timer = setInterval(() => this.poll(), this.T.POLL_MS);
    }

    stop() {
        this.stopped = true;
        clearInterval(this.timer);
        for (const off of this.offs ?? []) off();
        this.offs = [];
    }

    // Follows the client's current PeerConnection (a new one after a hangup
    // or a rejoin starts from scratch).
    track() {
        const pc = this.client.pc;
        if (this.cur && this.cur.pc === pc) return this.cur;
        this.cur = pc ? { pc, answerAt: null, connectedAt: null, everConnected: false, lastRx: null, rxBytes: 0, lastTx: null, txPackets: 0 } : null;
        this.stats = null;
        this.janusMedia.clear();
        this.sources.clear();      // a new PeerConnection's counters start at 0
        if (pc) {
            const cur = this.cur;
            const onSignal = () => {
                if (pc.signalingState === 'stable' && pc.remoteDescription) cur.answerAt = Date.now();
                this.evaluate();
            };
            pc.addEventListener('signalingstatechange', onSignal);
            pc.addEventListener('connectionstatechange', () => this.evaluate());
            pc.addEventListener('iceconnectionstatechange', () => this.evaluate());
            if (pc.signalingState === 'stable' && pc.remoteDescription) cur.answerAt = Date.now();
        }
        return this.cur;
    }

    async poll() {
        if (this.stopped || this.busy) return;
        const cur = this.track();
        if (cur && cur.pc.signalingState !== 'closed') {
            this.busy = true;
            try {
                const report = await cur.pc.getStats();
                if (cur === this.cur) this.stats = parseStats(report, cur.pc);
            } catch {
                // closed meanwhile: the next evaluation says so
            } finally {
                this.busy = false;
            }
        }
        this.evaluate({ sampled: true });
    }

    // Recomputes the states; `sampled`: fresh stats arrived (counters move).
    evaluate({ sampled = false } = {}) {
        if (this.stopped) return;
        const now = Date.now();
        const c = this.client;
        const cur = this.track();
        const st = this.stats;
        if (cur && sampled && st) {
            if (st.rxBytes > cur.rxBytes) {
                cur.rxBytes = st.rxBytes;
                cur.lastRx = now;
            }
            if (st.txPackets > cur.txPackets) {
                cur.txPackets = st.txPackets;
                cur.lastTx = now;
            }
        }
        if (cur && cur.pc.connectionState === 'connected' && !cur.connectedAt) {
            cur.connectedAt = now;
            cur.everConnected = true;
        } else if (cur && cur.pc.connectionState !== 'connected') {
            cur.connectedAt = null;
        }

        // Per remote participant.
        const participants = {};
        const expectedKeys = new Set();
        let anyRecent = false;
        for (const [pid, p] of c.participants ?? new Map()) {
            // Published, not muted, and still allowed by its permissions (a
            // REST PATCH can take publish_video away: the plugin then drops
            // it, and the roster's not_permitted says so): no alarm for those.
            const sources = (p.publishing ?? []).filter((s) => !(p.muted ?? []).includes(s) && !(p.not_permitted ?? []).includes(s));
            if (sources.length === 0) {
                participants[pid] = 'off';
                continue;
            }
            let worst = 'flowing';
            for (const source of sources) {
                const key = `${pid}|${source}`;
                expectedKeys.add(key);
                const slot = (c.streams ?? []).find((s) => s.participant_id === pid && s.source === source);
                const mid = slot ? String(slot.mid) : null;
                const packets = mid !== null && st ? st.inbound.get(mid) ?? 0 : 0;
                let s = this.sources.get(key);
                if (!s || s.mid !== mid) {
                    s = { mid, packets, since: now, lastGrowth: null, flowed: false };
                    this.sources.set(key, s);
                } else if (sampled && packets > s.packets) {
                    s.packets = packets;
                    s.lastGrowth = now;
                    s.flowed = true;
                }
                let state;
                if (s.lastGrowth !== null && now - s.lastGrowth < this.T.STALL_MS) state = 'flowing';
                else if (!s.flowed && now - s.since < this.T.FIRST_MEDIA_MS) state = 'connecting';
                else state = 'interrupted';
                if (state === 'flowing') anyRecent = true;
                if (state === 'interrupted' || (state === 'connecting' && worst === 'flowing')) worst = state;
            }
            participants[pid] = worst;
        }
        for (const key of [...this.sources.keys()]) if (!expectedKeys.has(key)) this.sources.delete(key);

        // The call.
        const anyInterrupted = Object.values(participants).includes('interrupted');
        const call = this.callState(now, cur, { expectInbound: expectedKeys.size > 0, anyRecent, anyInterrupted });
        const problem = PROBLEM.has(call) || (this.state.problem && call !== 'flowing' && call !== 'joining');
        this.update({ call, participants, problem });
    }

    callState(now, cur, { expectInbound, anyRecent, anyInterrupted }) {
        const c = this.client;
        if (this.reconnecting) return 'reconnecting';
        if (c.status !== 'admitted') return 'joining';
        if (!cur) return 'joining';
        const pc = cur.pc;
        if (pc.signalingState === 'closed' || pc.connectionState === 'closed') return 'failed';
        if (!pc.remoteDescription) return 'joining';
        const cs = pc.connectionState;
        const ice = pc.iceConnectionState;
        if (cs === 'failed' || ice === 'failed') return 'failed';
        if (cs !== 'connected' || ice === 'disconnected') {
            if (cur.everConnected && (cs === 'disconnected' || ice === 'disconnected')) return 'interrupted';
            if (cur.answerAt && now - cur.answerAt > this.T.CONNECT_TIMEOUT_MS) return 'failed';
            return 'connecting';
        }
        // Connected: are packets moving?
        const sending = this.sendingMids();
        const since = cur.connectedAt ?? now;
        if (sending.length > 0) {
            // Janus answers our media with RTCP (and forwards the others'):
            // on a live link the transport receives something every second.
            const lastRx = Math.max(cur.lastRx ?? 0, since);
            if (now - lastRx >= this.T.STALL_MS) return 'interrupted';
            // Janus says it gets nothing from us on a published m-line.
            if (sending.some((mid) => this.janusMedia.get(mid) === false)) return 'interrupted';
            const lastTx = Math.max(cur.lastTx ?? 0, since);
            if (now - lastTx >= this.T.STALL_MS) return 'interrupted';
            return cur.lastTx !== null ? 'flowing' : 'connecting';
        }
        // Receiving only: flowing when something expected arrives; nothing
        // from anyone who should be sending is an interruption.
        if (!expectInbound || anyRecent) return 'flowing';
        return anyInterrupted ? 'interrupted' : 'connecting';
    }

    // Own published, unmuted m-lines (what Janus should receive from us).
    sendingMids() {
        const c = this.client;
        return (c.publishing ?? []).filter((p) => p && !(c.muted ?? []).includes(p.source)).map((p) => String(p.mid));
    }

    update(next) {
        const prev = this.state;
        const same = prev.call === next.call && prev.problem === next.problem &&
            Object.keys(prev.participants).length === Object.keys(next.participants).length &&
            Object.entries(next.participants).every(([k, v]) => prev.participants[k] === v);
        if (same) return;
        this.state = { ...next, since: prev.call === next.call ? prev.since : Date.now() };
        this.onChange(this.state, prev);
    }
}

// {inbound: Map(mid -> packetsReceived), txPackets, rxBytes} of a stats report.
function parseStats(report, pc) {
    const inbound = new Map();
    let txPackets = 0;
    let rxBytes = 0;
    // Older browsers have no `mid` in inbound-rtp: map the receiver track.
    const midOfTrack = new Map();
    try {
        for (const tx of pc.getTransceivers()) {
            if (tx.mid !== null && tx.receiver && tx.receiver.track) midOfTrack.set(tx.receiver.track.id, String(tx.mid));
        }
    } catch {
        // closed
    }
    report.forEach((s) => {
        if (s.type === 'inbound-rtp') {
            const mid = s.mid !== undefined && s.mid !== null ? String(s.mid) : midOfTrack.get(s.trackIdentifier);
            if (mid !== undefined) inbound.set(mid, (inbound.get(mid) ?? 0) + (s.packetsReceived || 0));
        } else if (s.type === 'outbound-rtp') {
            txPackets += s.packetsSent || 0;
        } else if (s.type === 'transport') {
            rxBytes += s.bytesReceived || 0;
        }
    });
    return { inbound, txPackets, rxBytes };
}

// ------------------------------------------------------------------ words

// The header text for the call (while in the call screen). `troubled`: names
// of remote participants whose media has a problem.
export function headerText(call, troubled = []) {
    if (call === 'reconnecting') return t('conn.status.reconnecting');
    if (call === 'failed') return t('conn.status.failed');
    if (call === 'interrupted') return t('conn.status.problem');
    if (call === 'flowing') {
        if (troubled.length === 1) return t('conn.status.problemWith', { name: troubled[0] });
        if (troubled.length > 1) return t('conn.status.problemOthers');
        return t('conn.status.connected');
    }
    return t('conn.status.connecting');
}

// The banner's text for a call with a problem.
export function bannerText(call) {
    if (call === 'failed') return t('conn.banner.failed');
    return t('conn.banner.interrupted');
}

// A tile's badge and its explanation. `ownProblem`: our own connection has
// the problem (the call is not flowing), so the other is not to blame.
export function tileTexts(state, name, ownProblem = false) {
    if (state === 'interrupted') {
        return { badge: t('conn.tile.problem'), text: t(ownProblem ? 'conn.tile.ownProblemText' : 'conn.tile.problemText', { name }) };
    }
    if (state === 'connecting') return { badge: t('conn.tile.connecting'), text: '' };
    return { badge: '', text: '' };
}

export function phoneLabel(phone) {
    return t('conn.action.call', { phone });
}

// A tel: URL for a configured support number, or null when it is not a
// plausible phone number (digits, spaces, + - . ( ) only).
export function telHref(phone) {
    if (typeof phone !== 'string') return null;
    const shown = phone.trim();
    if (!/^\+?[0-9 ().-]{3,32}$/.test(shown) || !/[0-9]{3}/.test(shown.replace(/\D/g, ''))) return null;
    return `tel:${shown.replace(/[^0-9+]/g, '')}`;
}
