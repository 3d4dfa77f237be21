package main

// The two plugins' join flows, as tests/bench/media/fixed_cost.mjs does
// them with werift (docs/PROTOCOL.md for ours).
//
// telemed   per peer: REST add (a doctor: admitted without lobby) -> the
//           join object; one Janus session (its janus_token), one handle,
//           join {token}, ONE PeerConnection: a sending peer offers audio
//           and video sendrecv (its first slots, as web/telemed.js does), a
//           receiving peer recvonly audio and video slots (what the SDK
//           offers for a participant who does not publish); configure with
//           the full offer (trickle false), answer applied, Janus's trickles
//           applied.
// videoroom per peer one Janus session; a sending peer joins as publisher
//           and publishes (sendonly audio+video) and waits for webrtcup; then
//           every peer attaches one subscriber handle per feed it receives
//           (join ptype=subscriber streams=[{feed}]: Janus offers, we answer
//           with `start`).

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"time"

	"github.com/pion/webrtc/v3"
)

const connectTimeout = 30 * time.Second

type runner struct {
	env   stackEnv
	pool  *janusPool
	api   *webrtc.API
	media *mediaFiles
	vrTok string
	joins chan struct{} // bounds the joins in flight
}

// ---------------------------------------------------------------- telemed

// telemedJoin: REST add + plugin join + PeerConnection up. The peer's
// joinStart is set by the caller.
func (r *runner) telemedJoin(p *peer, sessionID string, rng *rand.Rand) error {
	jo, err := r.env.addParticipant(sessionID)
	if err != nil {
		return err
	}
	p.mark("1_rest_add")
	s, err := r.pool.createSession(jo.JanusToken)
	if err != nil {
		return err
	}
	p.session = s
	p.mark("1b_janus_session")
	h, err := s.attach(pluginTelemed)
	if err != nil {
		return err
	}
	m, err := h.message(map[string]any{"request": "join", "token": jo.Token}, nil)
	if err != nil {
		return err
	}
	var joined struct {
		Telemed string `json:"telemed"`
		Status  string `json:"status"`
	}
	_ = json.Unmarshal(m.Plugindata.Data, &joined)
	if joined.Telemed != "joined" || (joined.Status != "" && joined.Status != "admitted") {
		return fmt.Errorf("telemed join answered %q status %q", joined.Telemed, joined.Status)
	}
	p.mark("2_plugin_joined")
	x, err := p.newPC(r.api)
	if err != nil {
		return err
	}
	var tracks *sendTracks
	var sources []map[string]string
	if p.sender {
		if tracks, err = newSendTracks(fmt.Sprintf("p%d", p.idx)); err != nil {
			return err
		}
		ta, err := x.pc.AddTransceiverFromTrack(tracks.audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return err
		}
		tv, err := x.pc.AddTransceiverFromTrack(tracks.video, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return err
		}
		tracks.audioSender, tracks.videoSender = ta.Sender(), tv.Sender()
	} else {
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if _, err := x.pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return err
			}
		}
	}
	offer, err := x.offer()
	if err != nil {
		return err
	}
	body := map[string]any{"request": "configure"}
	if p.sender {
		for _, t := range x.pc.GetTransceivers() {
			if t.Sender() != nil && t.Sender().Track() != nil {
				sources = append(sources, map[string]string{"mid": t.Mid(), "source": t.Kind().String()})
			}
		}
		body["sources"] = sources
	}
	m, err = h.message(body, offer)
	if err != nil {
		return err
	}
	if m.Jsep == nil || m.Jsep.Type != "answer" {
		return fmt.Errorf("telemed configure answered without an answer")
	}
	p.mark("3_answer")
	if err := x.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.Jsep.SDP}); err != nil {
		return err
	}
	x.useTrickle(h)
	p.mediaHandles = append(p.mediaHandles, h)
	if err := x.waitConnected(connectTimeout); err != nil {
		return fmt.Errorf("telemed PeerConnection: %w", err)
	}
	p.mark("4_connected")
	if tracks != nil {
		tracks.start(r.media, p.stop, rng)
	}
	return nil
}

// ---------------------------------------------------------------- videoroom

// videoRoomPublish: session, publisher handle, publish, webrtcup; the feed.
func (r *runner) videoRoomPublish(p *peer, room uint64, rng *rand.Rand) (uint64, error) {
	if err := r.ensureSession(p); err != nil {
		return 0, err
	}
	h, err := p.session.attach(pluginVideoRoom)
	if err != nil {
		return 0, err
	}
	m, err := h.message(map[string]any{"request": "join", "ptype": "publisher", "room": room, "display": "loadgen"}, nil)
	if err != nil {
		return 0, err
	}
	var joined struct {
		VideoRoom string `json:"videoroom"`
		ID        uint64 `json:"id"`
	}
	_ = json.Unmarshal(m.Plugindata.Data, &joined)
	if joined.VideoRoom != "joined" || joined.ID == 0 {
		return 0, fmt.Errorf("videoroom join answered %q", joined.VideoRoom)
	}
	x, err := p.newPC(r.api)
	if err != nil {
		return 0, err
	}
	tracks, err := newSendTracks(fmt.Sprintf("p%d", p.idx))
	if err != nil {
		return 0, err
	}
	ta, err := x.pc.AddTransceiverFromTrack(tracks.audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return 0, err
	}
	tv, err := x.pc.AddTransceiverFromTrack(tracks.video, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return 0, err
	}
	tracks.audioSender, tracks.videoSender = ta.Sender(), tv.Sender()
	offer, err := x.offer()
	if err != nil {
		return 0, err
	}
	m, err = h.message(map[string]any{"request": "publish", "audiocodec": "opus", "videocodec": "vp8"}, offer)
	if err != nil {
		return 0, err
	}
	if m.Jsep == nil || m.Jsep.Type != "answer" {
		return 0, fmt.Errorf("videoroom publish answered without an answer")
	}
	if err := x.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.Jsep.SDP}); err != nil {
		return 0, err
	}
	x.useTrickle(h)
	p.mediaHandles = append(p.mediaHandles, h)
	if err := x.waitConnected(connectTimeout); err != nil {
		return 0, fmt.Errorf("videoroom publisher: %w", err)
	}
	// A subscriber that comes before the publisher's webrtcup gets 428.
	select {
	case <-h.webrtcup:
	case <-time.After(connectTimeout):
		return 0, fmt.Errorf("videoroom publisher: no webrtcup")
	}
	tracks.start(r.media, p.stop, rng)
	return joined.ID, nil
}

// videoRoomSubscribe: one multistream subscriber handle for one feed.
func (r *runner) videoRoomSubscribe(p *peer, room, feed uint64) error {
	if err := r.ensureSession(p); err != nil {
		return err
	}
	h, err := p.session.attach(pluginVideoRoom)
	if err != nil {
		return err
	}
	m, err := h.message(map[string]any{"request": "join", "ptype": "subscriber", "room": room,
		"streams": []map[string]any{{"feed": feed}}}, nil)
	if err != nil {
		return err
	}
	if m.Jsep == nil || m.Jsep.Type != "offer" {
		return fmt.Errorf("videoroom subscriber join: no offer")
	}
	p.mark("2_plugin_joined")
	x, err := p.newPC(r.api)
	if err != nil {
		return err
	}
	ans, err := x.answer(m.Jsep)
	if err != nil {
		return err
	}
	x.useTrickle(h)
	if _, err := h.message(map[string]any{"request": "start"}, ans); err != nil {
		return err
	}
	p.mark("3_answer")
	p.mediaHandles = append(p.mediaHandles, h)
	if err := x.waitConnected(connectTimeout); err != nil {
		return fmt.Errorf("videoroom subscriber: %w", err)
	}
	p.mark("4_connected")
	return nil
}

func (r *runner) ensureSession(p *peer) error {
	if p.session != nil {
		return nil
	}
	s, err := r.pool.createSession(r.vrTok)
	if err != nil {
		return err
	}
	p.session = s
	p.mark("1b_janus_session")
	return nil
}

// ---------------------------------------------------------------- teardown

func (p *peer) close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	pcs := p.pcs
	p.mu.Unlock()
	for _, x := range pcs {
		_ = x.pc.Close()
	}
	if p.session != nil {
		p.session.destroy()
	}
}
