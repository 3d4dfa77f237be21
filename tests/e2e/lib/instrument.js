// Installed into every e2e page before the page's own scripts run
// (context.addInitScript). Plain script, no imports.
//
// window.__e2e:
//   pcs            every RTCPeerConnection created, in order
//   sockets        every WebSocket created, in order
//   stats()        per PeerConnection: states, local ICE ufrag, inbound and
//                  outbound RTP counters per m-line, the selected candidate pair
//   dropSockets()  closes every open WebSocket the page did not close itself
//                  (the page sees an unexpected close: a network drop)
//
// getUserMedia is kept small (320x240, 15 fps) unless the caller asks for
// exact sizes: every participant of a test encodes in one process on two
// shared cores.
(() => {
    if (window.__e2e) return;
    const E = { pcs: [], sockets: [], gum: 0 };
    Object.defineProperty(window, '__e2e', { value: E, enumerable: false });

    const NativePC = window.RTCPeerConnection;
    if (NativePC) {
        class InstrumentedPC extends NativePC {
            constructor(...args) {
                super(...args);
                E.pcs.push(this);
            }
        }
        window.RTCPeerConnection = InstrumentedPC;
        window.webkitRTCPeerConnection = InstrumentedPC;
    }

    const NativeWS = window.WebSocket;
    if (NativeWS) {
        class InstrumentedWS extends NativeWS {
            constructor(...args) {
                super(...args);
                E.sockets.push(this);
            }
        }
        window.WebSocket = InstrumentedWS;
    }

    const md = navigator.mediaDevices;
    if (md && md.getUserMedia) {
        const gum = md.getUserMedia.bind(md);
        md.getUserMedia = (constraints = {}) => {
            E.gum += 1;
            const c = { ...constraints };
            if (c.video) {
                const v = c.video === true ? {} : { ...c.video };
                if (v.width === undefined) v.width = { ideal: 320 };
                if (v.height === undefined) v.height = { ideal: 240 };
                if (v.frameRate === undefined) v.frameRate = { ideal: 15 };
                c.video = v;
            }
            return gum(c);
        };
    }

    E.dropSockets = () => {
        let n = 0;
        for (const ws of E.sockets) {
            if (ws.readyState === 0 || ws.readyState === 1) {
                ws.close();
                n += 1;
            }
        }
        return n;
    };

    E.stats = async () => {
        const out = [];
        for (let i = 0; i < E.pcs.length; i++) {
            const pc = E.pcs[i];
            const entry = {
                index: i,
                connectionState: pc.connectionState,
                iceConnectionState: pc.iceConnectionState,
                signalingState: pc.signalingState,
                ufrag: null,
                inbound: [],
                outbound: [],
                pair: null,
            };
            const sdp = pc.localDescription && pc.localDescription.sdp;
            const m = sdp && /a=ice-ufrag:(\S+)/.exec(sdp);
            if (m) entry.ufrag = m[1];
            if (pc.signalingState !== 'closed') {
                let report = null;
                try {
                    report = await pc.getStats();
                } catch (e) {
                    entry.error = String(e);
                }
                if (report) {
                    const byId = new Map();
                    report.forEach((s) => byId.set(s.id, s));
                    report.forEach((s) => {
                        if (s.type === 'inbound-rtp') {
                            const codec = s.codecId ? byId.get(s.codecId) : null;
                            entry.inbound.push({
                                kind: s.kind, mid: s.mid ?? null, ssrc: s.ssrc,
                                packets: s.packetsReceived || 0, bytes: s.bytesReceived || 0,
                                frames: s.framesDecoded || 0,
                                // diagnostics
                                codec: codec ? `${codec.mimeType}/${codec.payloadType}` : null,
                                framesReceived: s.framesReceived ?? null, keyFrames: s.keyFramesDecoded ?? null,
                                pli: s.pliCount ?? null, fir: s.firCount ?? null, nack: s.nackCount ?? null,
                                lost: s.packetsLost ?? null,
                            });
                        } else if (s.type === 'outbound-rtp') {
                            entry.outbound.push({
                                kind: s.kind, mid: s.mid ?? null, ssrc: s.ssrc,
                                packets: s.packetsSent || 0, bytes: s.bytesSent || 0,
                                frames: s.framesEncoded || 0,
                                // diagnostics: keyframe requests received, keyframes sent
                                pli: s.pliCount ?? null, fir: s.firCount ?? null, keyFrames: s.keyFramesEncoded ?? null,
                            });
                        } else if (s.type === 'transport' && s.selectedCandidatePairId && !entry.pair) {
                            const pair = byId.get(s.selectedCandidatePairId);
                            const l = pair && byId.get(pair.localCandidateId);
                            const r = pair && byId.get(pair.remoteCandidateId);
                            if (pair) {
                                entry.pair = {
                                    state: pair.state,
                                    local: l ? { type: l.candidateType, address: l.address, port: l.port, protocol: l.protocol, relayProtocol: l.relayProtocol ?? null } : null,
                                    remote: r ? { type: r.candidateType, address: r.address, port: r.port, protocol: r.protocol } : null,
                                };
                            }
                        }
                    });
                }
            }
            out.push(entry);
        }
        return out;
    };
})();
