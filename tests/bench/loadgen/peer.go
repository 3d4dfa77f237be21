package main

// pion PeerConnections as a browser would make them (Opus 111 + VP8 96,
// sdes:mid, NACK + RTCP reports + TWCC, AES-GCM SRTP only), the sending
// loops over the pre-encoded media, and the per-stream receive statistics.

import (
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v2"
	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
)

var (
	txPackets atomic.Uint64
	txBytes   atomic.Uint64
	t0        = time.Now() // process start: the origin of every timestamp
)

var debugRx = os.Getenv("LOADGEN_DEBUG") == "1"

// countingInterceptor counts the RTP packets the tracks write (before the
// NACK responder: retransmissions are not counted).
type countingInterceptor struct{ interceptor.NoOp }

type countingFactory struct{}

func (countingFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &countingInterceptor{}, nil
}

func (c *countingInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		txPackets.Add(1)
		txBytes.Add(uint64(len(payload) + h.MarshalSize()))
		return w.Write(h, payload, a)
	})
}

const srtpProfileName = "SRTP_AEAD_AES_128_GCM"

func newAPI(iface string) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.SDESMidURI}, k); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	// NACK generator/responder, sender/receiver reports, TWCC feedback and
	// the TWCC sequence-number extension on what we send: what a browser does.
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, ir); err != nil {
		return nil, err
	}
	ir.Add(countingFactory{})
	se := webrtc.SettingEngine{}
	se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Janus is on 127.0.0.2 on a veth in the namespace (LOADGEN-NOTES pitfall 1).
	se.SetIncludeLoopbackCandidate(true)
	if iface != "" {
		se.SetInterfaceFilter(func(name string) bool { return name == iface })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// ---------------------------------------------------------------- receiving

type rxStream struct {
	mu      sync.Mutex
	kind    string
	clock   float64
	packets uint64
	bytes   uint64
	started bool
	baseExt int64
	cycles  int64
	maxSeq  uint16
	lastArr float64 // arrival, RTP units
	lastTS  uint32
	jitter  float64 // RTP units (RFC 3550 6.4.1)
}

type rxSnap struct {
	packets, bytes uint64
	expected       int64
	jitterMs       float64
	kind           string
}

func (s *rxStream) update(p *rtp.Packet, size int, now time.Duration) {
	arr := now.Seconds() * s.clock
	s.mu.Lock()
	s.packets++
	s.bytes += uint64(size)
	if !s.started {
		s.started = true
		s.maxSeq = p.SequenceNumber
		s.baseExt = int64(p.SequenceNumber)
	} else {
		if d := p.SequenceNumber - s.maxSeq; d != 0 && d < 0x8000 {
			if p.SequenceNumber < s.maxSeq {
				s.cycles += 1 << 16
			}
			s.maxSeq = p.SequenceNumber
		}
		d := (arr - s.lastArr) - float64(int32(p.Timestamp-s.lastTS))
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.lastArr, s.lastTS = arr, p.Timestamp
	s.mu.Unlock()
}

func (s *rxStream) snap() rxSnap {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := rxSnap{packets: s.packets, bytes: s.bytes, kind: s.kind, jitterMs: 1000 * s.jitter / s.clock}
	if s.started {
		r.expected = s.cycles + int64(s.maxSeq) - s.baseExt + 1
	}
	return r
}

// ---------------------------------------------------------------- a peer's PC

type peerPC struct {
	pc        *webrtc.PeerConnection
	connected chan struct{}
	failed    chan struct{}
}

type peer struct {
	room, idx    int
	sender       bool
	joinStart    time.Time
	firstRx      atomic.Int64 // ns since t0, 0 = none yet
	firstVideo   atomic.Int64
	session      *janusSession
	mediaHandles []*janusHandle // handles with a PeerConnection (SRTP check)
	pcs          []*peerPC
	mu           sync.Mutex
	streams      []*rxStream
	stop         chan struct{}
	stopOnce     sync.Once
	marks        map[string]time.Duration // join phases, from joinStart (first mark of a name wins)
}

// mark records when a join phase ended (storm: where the time goes).
func (p *peer) mark(name string) {
	d := time.Since(p.joinStart)
	p.mu.Lock()
	if p.marks == nil {
		p.marks = map[string]time.Duration{}
	}
	if _, ok := p.marks[name]; !ok {
		p.marks[name] = d
	}
	p.mu.Unlock()
}

func newPeer(room, idx int, sender bool) *peer {
	return &peer{room: room, idx: idx, sender: sender, stop: make(chan struct{})}
}

func (p *peer) newPC(api *webrtc.API) (*peerPC, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire})
	if err != nil {
		return nil, err
	}
	x := &peerPC{pc: pc, connected: make(chan struct{}), failed: make(chan struct{})}
	var once1, once2 sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			once1.Do(func() { close(x.connected) })
		case webrtc.PeerConnectionStateFailed:
			once2.Do(func() { close(x.failed) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { p.receive(t) })
	p.mu.Lock()
	p.pcs = append(p.pcs, x)
	p.mu.Unlock()
	return x, nil
}

func (p *peer) receive(t *webrtc.TrackRemote) {
	s := &rxStream{kind: t.Kind().String(), clock: float64(t.Codec().ClockRate)}
	if s.clock == 0 {
		s.clock = 90000
	}
	p.mu.Lock()
	p.streams = append(p.streams, s)
	p.mu.Unlock()
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Since(t0)
		if p.firstRx.Load() == 0 {
			p.firstRx.CompareAndSwap(0, int64(now))
		}
		if video && p.firstVideo.Load() == 0 {
			p.firstVideo.CompareAndSwap(0, int64(now))
		}
		s.update(&pkt, n, now)
		if debugRx && s.packets < 12 {
			logf("rx %s ssrc %d seq %d ts %d at %.1f ms", s.kind, pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, float64(now)/1e6)
		}
	}
}

// offer: full SDP with every candidate (trickle false).
func (x *peerPC) offer() (*jsep, error) {
	o, err := x.pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	return x.setLocalAndGather(o)
}

func (x *peerPC) answer(remote *jsep) (*jsep, error) {
	if err := x.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: remote.SDP}); err != nil {
		return nil, err
	}
	a, err := x.pc.CreateAnswer(nil)
	if err != nil {
		return nil, err
	}
	return x.setLocalAndGather(a)
}

func (x *peerPC) setLocalAndGather(d webrtc.SessionDescription) (*jsep, error) {
	done := webrtc.GatheringCompletePromise(x.pc)
	if err := x.pc.SetLocalDescription(d); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("ICE gathering did not complete")
	}
	l := x.pc.LocalDescription()
	f := false
	return &jsep{Type: l.Type.String(), SDP: l.SDP, Trickle: &f}, nil
}

// useTrickle applies Janus's candidates (after the remote description).
func (x *peerPC) useTrickle(h *janusHandle) {
	h.setTrickle(func(raw json.RawMessage) {
		var c struct {
			Candidate     string  `json:"candidate"`
			SDPMid        *string `json:"sdpMid"`
			SDPMLineIndex *uint16 `json:"sdpMLineIndex"`
			Completed     bool    `json:"completed"`
		}
		if json.Unmarshal(raw, &c) != nil || c.Completed || c.Candidate == "" {
			return
		}
		_ = x.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex})
	})
}

func (x *peerPC) waitConnected(timeout time.Duration) error {
	select {
	case <-x.connected:
		return nil
	case <-x.failed:
		return errors.New("ICE/DTLS failed")
	case <-time.After(timeout):
		return errors.New("not connected within " + timeout.String())
	}
}

// ---------------------------------------------------------------- sending

type sendTracks struct {
	audio, video *webrtc.TrackLocalStaticSample
	videoSender  *webrtc.RTPSender
	audioSender  *webrtc.RTPSender
	keyWanted    atomic.Bool
}

func newSendTracks(id string) (*sendTracks, error) {
	a, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", id)
	if err != nil {
		return nil, err
	}
	v, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", id)
	if err != nil {
		return nil, err
	}
	return &sendTracks{audio: a, video: v}, nil
}

// start: one goroutine per kind, each from a random frame of the file
// and a random phase within its frame interval (key frames and packet
// bursts of different peers are not aligned). A PLI or FIR jumps the video
// to the next key frame of the file, as an encoder answers one. RTCP is
// read for the interceptors (NACK responder, reports).
func (s *sendTracks) start(m *mediaFiles, stop <-chan struct{}, rng *rand.Rand) {
	vStart, aStart := rng.Intn(len(m.video)), rng.Intn(len(m.audio))
	vPhase := time.Duration(rng.Int63n(int64(m.frameDur)))
	aPhase := time.Duration(rng.Int63n(int64(m.audioDur)))
	go s.loop(stop, vPhase, m.frameDur, func(i int) int {
		if s.keyWanted.Swap(false) {
			i = m.nextKeyframe(i % len(m.video))
		}
		_ = s.video.WriteSample(media.Sample{Data: m.video[i%len(m.video)], Duration: m.frameDur})
		return i + 1
	}, vStart)
	go s.loop(stop, aPhase, m.audioDur, func(i int) int {
		_ = s.audio.WriteSample(media.Sample{Data: m.audio[i%len(m.audio)], Duration: m.audioDur})
		return i + 1
	}, aStart)
	for _, snd := range []*webrtc.RTPSender{s.videoSender, s.audioSender} {
		if snd == nil {
			continue
		}
		video := snd == s.videoSender
		go func(snd *webrtc.RTPSender) {
			for {
				pkts, _, err := snd.ReadRTCP()
				if err != nil {
					return
				}
				if !video {
					continue
				}
				for _, p := range pkts {
					switch p.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						s.keyWanted.Store(true)
					}
				}
			}
		}(snd)
	}
}

// loop calls send every `every`, on a schedule: a late tick is caught up
// at once (up to 5 intervals behind; beyond that the schedule restarts), so
// the offered rate does not sag when the client is descheduled.
func (s *sendTracks) loop(stop <-chan struct{}, phase, every time.Duration, send func(int) int, i int) {
	next := time.Now().Add(phase)
	t := time.NewTimer(phase)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for !time.Now().Before(next) {
			i = send(i)
			next = next.Add(every)
			if time.Since(next) > 5*every {
				next = time.Now().Add(every)
			}
		}
		t.Reset(time.Until(next))
	}
}
