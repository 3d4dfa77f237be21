// window.G.run(): getUserMedia with the fake devices, then two local
// PeerConnections (a -> b) and the first decoded frame at b.
window.G = {
    async run() {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        const tracks = stream.getTracks().map((t) => ({ kind: t.kind, label: t.label, readyState: t.readyState }));
        const settings = stream.getVideoTracks()[0].getSettings();
        const a = new RTCPeerConnection();
        const b = new RTCPeerConnection();
        a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
        b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
        b.ontrack = (e) => {
            const v = document.getElementById('v');
            if (e.track.kind === 'video') v.srcObject = new MediaStream([e.track]);
        };
        for (const t of stream.getTracks()) a.addTrack(t, stream);
        await a.setLocalDescription(await a.createOffer());
        await b.setRemoteDescription(a.localDescription);
        await b.setLocalDescription(await b.createAnswer());
        await a.setRemoteDescription(b.localDescription);
        let frames = 0;
        let audioPackets = 0;
        for (let i = 0; i < 100 && (frames === 0 || audioPackets === 0); i++) {
            await new Promise((r) => setTimeout(r, 100));
            (await b.getStats()).forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;
                if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets = s.packetsReceived || 0;
            });
        }
        const pcs = window.__e2e ? window.__e2e.pcs.length : -1;
        a.close();
        b.close();
        stream.getTracks().forEach((t) => t.stop());
        return { tracks, width: settings.width, height: settings.height, frames, audioPackets, instrumentedPcs: pcs };
    },
};
document.getElementById('status').textContent = 'ready';
