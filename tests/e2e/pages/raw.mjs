// A "modified client" for the e2e tests: speaks the Janus WebSocket API and
// the plugin protocol with plain JSON (no SDK), so a test can send what a
// well-behaved client never would. window.R:
//
//   R.connect({url, token, janusToken})  WS + Janus session + attach + join -> joined data
//        (janusToken: the join object's janus_token, sent in every Janus request)
//   R.publish({audio, video, mungeAnswer})
//        one PeerConnection, camera and microphone as `sendonly` m-lines (no
//        receive slots), `configure` with the offer. The plugin's answer is
//        returned as is (`answerSdp`); with mungeAnswer the `a=inactive` of
//        those m-lines becomes `a=recvonly` before setRemoteDescription, so
//        Chromium really sends RTP.
//   R.request(body, jsep)       one plugin request -> the event data
//   R.close()

const R = { events: [], ws: null, session: null, handle: null, pc: null, pending: new Map(), remoteCandidates: [],
    janusToken: null };
window.R = R;
let txn = 0;

function send(msg) {
    R.ws.send(JSON.stringify(R.janusToken ? { ...msg, token: R.janusToken } : msg));
}

function janus(msg, { ms = 8000 } = {}) {
    const transaction = `raw-${++txn}`;
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            R.pending.delete(transaction);
            reject(new Error(`no answer to ${msg.janus} within ${ms} ms`));
        }, ms);
        R.pending.set(transaction, (m) => {
            clearTimeout(timer);
            resolve(m);
        });
        send({ ...msg, transaction });
    });
}

function onMessage(ev) {
    let m;
    try {
        m = JSON.parse(ev.data);
    } catch {
        return;
    }
    if (m.janus === 'ack') return;
    if (m.janus === 'trickle') {
        const c = m.candidate;
        if (!c || c.completed) return;
        if (R.pc && R.pc.remoteDescription) R.pc.addIceCandidate(c).catch(() => {});
        else R.remoteCandidates.push(c);
        return;
    }
    if (m.transaction && R.pending.has(m.transaction)) {
        const f = R.pending.get(m.transaction);
        R.pending.delete(m.transaction);
        f(m);
        return;
    }
    R.events.push({ t: Date.now(), janus: m.janus, data: m.plugindata?.data ?? null });
}

async function request(body, jsep) {
    const msg = { janus: 'message', session_id: R.session, handle_id: R.handle, body };
    if (jsep) msg.jsep = jsep;
    const r = await janus(msg, { ms: 10000 });
    if (r.janus === 'error') throw new Error(`janus error ${r.error?.code}`);
    const data = r.plugindata?.data;
    if (!data) throw new Error('no plugin data');
    if (data.telemed === 'error') {
        const e = new Error(data.error);
        e.code = data.error_code;
        throw e;
    }
    return { data, jsep: r.jsep ?? null };
}
R.request = async (body, jsep) => (await request(body, jsep)).data;

R.connect = async ({ url, token, janusToken }) => {
    R.janusToken = janusToken ?? null;
    R.ws = new WebSocket(url, 'janus-protocol');
    R.ws.onmessage = onMessage;
    await new Promise((resolve, reject) => {
        R.ws.onopen = resolve;
        R.ws.onerror = () => reject(new Error('websocket error'));
    });
    const created = await janus({ janus: 'create' });
    R.session = created.data.id;
    const attached = await janus({ janus: 'attach', session_id: R.session, plugin: 'janus.plugin.telemed' });
    R.handle = attached.data.id;
    R.keepalive = setInterval(() => send({ janus: 'keepalive', session_id: R.session, transaction: `ka-${++txn}` }), 20000);
    return (await request({ request: 'join', token })).data;
};

R.publish = async ({ audio = true, video = true, mungeAnswer = false } = {}) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    const pc = new RTCPeerConnection({ iceServers: [] });
    R.pc = pc;
    R.stream = stream;
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    pc.onicecandidate = (e) => {
        const candidate = e.candidate ? e.candidate.toJSON() : { completed: true };
        send({ janus: 'trickle', session_id: R.session, handle_id: R.handle, candidate, transaction: `tr-${++txn}` });
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const { data, jsep } = await request({ request: 'configure' }, { type: 'offer', sdp: pc.localDescription.sdp });
    if (!jsep || jsep.type !== 'answer') throw new Error('configure answered without an SDP answer');
    let sdp = jsep.sdp;
    if (mungeAnswer) sdp = sdp.replace(/a=inactive\r\n/g, 'a=recvonly\r\n');
    await pc.setRemoteDescription({ type: 'answer', sdp });
    for (const c of R.remoteCandidates.splice(0)) pc.addIceCandidate(c).catch(() => {});
    return { configured: data, answerSdp: jsep.sdp, appliedSdp: sdp };
};

// m-line directions of an SDP: [{kind, mid, port, direction}].
R.directions = (sdp) => sdp.split(/\r\n(?=m=)/).slice(1).map((block) => {
    const m = /^m=(\S+) (\d+)/.exec(block);
    const dir = /\r\na=(sendrecv|sendonly|recvonly|inactive)\r\n/.exec(`\r\n${block}\r\n`);
    const mid = /\r\na=mid:(\S+)/.exec(`\r\n${block}`);
    return { kind: m[1], port: Number(m[2]), mid: mid ? mid[1] : null, direction: dir ? dir[1] : 'sendrecv' };
});

R.close = () => {
    clearInterval(R.keepalive);
    try {
        R.pc?.close();
    } catch {
        // ignore
    }
    try {
        if (R.session) send({ janus: 'destroy', session_id: R.session, transaction: `d-${++txn}` });
        R.ws?.close();
    } catch {
        // ignore
    }
};

document.getElementById('status').textContent = 'ready';
