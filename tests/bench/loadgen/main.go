// Command loadgen: a WebRTC load client (pion) for Janus with
// janus.plugin.telemed or the stock janus.plugin.videoroom, run by
// tests/bench/capacity.sh inside the stack's network namespace. It joins
// N rooms of K peers (S of them sending pre-encoded VP8 + Opus), measures a
// window, and prints ONE JSON document on stdout (logs on stderr); or, with
// --storm P, has P participants join spread over --storm-over seconds and
// reports join -> first packet received. It prints figures, asserts nothing;
// it exits 1 when the run is not valid (SRTP profile not the pinned one,
// set-up failures above --max-failures), 2 on bad arguments.
//
//	loadgen --stack DIR --plugin telemed|videoroom --rooms N --size K --senders S
//	        [--warmup 5] [--window 20] [--janus-pid PID] [--iface tm-veth0]
//	        [--storm P --storm-over T] [--parallel 8] [--ws-conns 4] [--seed 0]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	stack, plugin, iface           string
	rooms, size, senders           int
	warmup, window                 float64
	janusPID                       int
	storm                          int
	stormOver                      float64
	parallel, wsConns, maxFailures int
	seed                           int64
	media                          mediaParams
	cpuProfile                     string
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "[loadgen %s] %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, a...))
}

func die(code int, format string, a ...any) {
	logf(format, a...)
	os.Exit(code)
}

func parseFlags() config {
	c := config{}
	flag.StringVar(&c.stack, "stack", os.Getenv("TELEMED_STACK_DIR"), "stack folder (stack.env)")
	flag.StringVar(&c.plugin, "plugin", "telemed", "telemed | videoroom")
	flag.StringVar(&c.iface, "iface", "tm-veth0", "interface to gather ICE candidates on (\"\" = all)")
	flag.IntVar(&c.rooms, "rooms", 1, "rooms (1..1000)")
	flag.IntVar(&c.size, "size", 2, "peers per room (2..50)")
	flag.IntVar(&c.senders, "senders", 2, "peers sending audio+video per room (1..size)")
	flag.Float64Var(&c.warmup, "warmup", 5, "seconds between the last join and the window (0..600)")
	flag.Float64Var(&c.window, "window", 20, "measuring window, seconds (1..600)")
	flag.IntVar(&c.janusPID, "janus-pid", 0, "Janus PID for its CPU (default: JANUS_PID of stack.env)")
	flag.IntVar(&c.storm, "storm", 0, "storm mode: participants joining (1..2000)")
	flag.Float64Var(&c.stormOver, "storm-over", 10, "storm: seconds the joins are spread over (0..600)")
	flag.IntVar(&c.parallel, "parallel", 8, "joins in flight at once, over all rooms (1..64)")
	flag.IntVar(&c.wsConns, "ws-conns", 4, "WebSocket connections to Janus shared by the sessions (1..64)")
	flag.IntVar(&c.maxFailures, "max-failures", 0, "set-up failures tolerated before the run is invalid")
	flag.Int64Var(&c.seed, "seed", 0, "random seed (0: from the clock)")
	flag.IntVar(&c.media.VideoKbps, "video-kbps", 800, "VP8 bit rate (100..4000)")
	flag.IntVar(&c.media.Seconds, "media-seconds", 20, "length of the looped media (5..120)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the window to this file")
	flag.Parse()
	c.media.Width, c.media.Height, c.media.FPS = 640, 360, 30
	bad := func(ok bool, what string) {
		if !ok {
			die(2, "bad argument: %s", what)
		}
	}
	bad(c.stack != "", "--stack (or TELEMED_STACK_DIR) is required")
	bad(c.plugin == "telemed" || c.plugin == "videoroom", "--plugin telemed|videoroom")
	bad(c.rooms >= 1 && c.rooms <= 1000, "--rooms 1..1000")
	bad(c.size >= 2 && c.size <= 50, "--size 2..50")
	bad(c.senders >= 1 && c.senders <= c.size, "--senders 1..size")
	bad(c.warmup >= 0 && c.warmup <= 600 && c.window >= 1 && c.window <= 600, "--warmup 0..600, --window 1..600")
	bad(c.storm >= 0 && c.storm <= 2000 && c.stormOver >= 0 && c.stormOver <= 600, "--storm 0..2000, --storm-over 0..600")
	bad(c.parallel >= 1 && c.parallel <= 64 && c.wsConns >= 1 && c.wsConns <= 64, "--parallel / --ws-conns 1..64")
	bad(c.maxFailures >= 0, "--max-failures >= 0")
	bad(c.media.VideoKbps >= 100 && c.media.VideoKbps <= 4000 && c.media.Seconds >= 5 && c.media.Seconds <= 120,
		"--video-kbps 100..4000, --media-seconds 5..120")
	if c.seed == 0 {
		c.seed = time.Now().UnixNano()
	}
	return c
}

// ---------------------------------------------------------------- rooms

type room struct {
	idx       int
	sessionID string // telemed
	vrRoom    uint64 // videoroom
	peers     []*peer
	feeds     map[*peer]uint64
}

type failures struct {
	mu     sync.Mutex
	n      int
	sample []string
}

func (f *failures) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *failures) add(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if len(f.sample) < 5 {
		f.sample = append(f.sample, err.Error())
	}
}

func (r *runner) newRoom(c *config, idx int) (*room, error) {
	rm := &room{idx: idx, feeds: map[*peer]uint64{}}
	var err error
	if c.plugin == "telemed" {
		kind := "consultation"
		if c.size > 2 {
			kind = "emergency"
		}
		rm.sessionID, err = r.env.createTelemedSession(kind)
	} else {
		rm.vrRoom, err = r.env.createVideoRoom(c.size)
	}
	return rm, err
}

// joinPeer joins p (telemed: all of it; videoroom: publish when p sends,
// and subscribe to every feed of the room but its own).
func (r *runner) joinPeer(c *config, rm *room, p *peer, rng *rand.Rand) error {
	if c.plugin == "telemed" {
		return r.telemedJoin(p, rm.sessionID, rng)
	}
	if p.sender {
		feed, err := r.videoRoomPublish(p, rm.vrRoom, rng)
		if err != nil {
			return err
		}
		rm.feeds[p] = feed
	}
	return nil
}

func (r *runner) subscribeAll(rm *room, p *peer) error {
	for q, feed := range rm.feeds {
		if q == p {
			continue
		}
		if err := r.videoRoomSubscribe(p, rm.vrRoom, feed); err != nil {
			return err
		}
	}
	return nil
}

// setupRoom joins the room's senders one after the other (videoroom: they
// publish), then the rest in parallel (telemed: the receivers join;
// videoroom: every peer subscribes to the feeds of the others). r.joins
// bounds the joins in flight over all rooms.
func (r *runner) setupRoom(c *config, rm *room, fails *failures, rng *rand.Rand) {
	for k := 0; k < c.size; k++ {
		rm.peers = append(rm.peers, newPeer(rm.idx, rm.idx*c.size+k, k < c.senders))
	}
	var mu sync.Mutex // rm.feeds
	one := func(p *peer, sub bool, seed int64) {
		r.joins <- struct{}{}
		defer func() { <-r.joins }()
		// Past --max-failures the run is invalid anyway: stop joining.
		if fails.count() > c.maxFailures {
			return
		}
		var err error
		if !sub {
			p.joinStart = time.Now()
			if c.plugin == "telemed" {
				err = r.telemedJoin(p, rm.sessionID, rand.New(rand.NewSource(seed)))
			} else {
				var feed uint64
				if feed, err = r.videoRoomPublish(p, rm.vrRoom, rand.New(rand.NewSource(seed))); err == nil {
					mu.Lock()
					rm.feeds[p] = feed
					mu.Unlock()
				}
			}
		} else {
			if p.joinStart.IsZero() {
				p.joinStart = time.Now()
			}
			err = r.subscribeAll(rm, p)
		}
		if err != nil {
			fails.add(fmt.Errorf("room %d peer %d: %w", rm.idx, p.idx, err))
		}
	}
	for _, p := range rm.peers[:c.senders] {
		one(p, false, rng.Int63())
	}
	var wg sync.WaitGroup
	for _, p := range rm.peers {
		sub := c.plugin == "videoroom"
		if !sub && p.sender {
			continue
		}
		wg.Add(1)
		go func(p *peer, seed int64) {
			defer wg.Done()
			one(p, sub, seed)
		}(p, rng.Int63())
	}
	wg.Wait()
}

func (r *runner) teardown(rooms []*room) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, rm := range rooms {
		for _, p := range rm.peers {
			wg.Add(1)
			sem <- struct{}{}
			go func(p *peer) {
				defer wg.Done()
				p.close()
				<-sem
			}(p)
		}
	}
	wg.Wait()
	for _, rm := range rooms {
		if rm.sessionID != "" {
			r.env.endTelemedSession(rm.sessionID)
		}
		if rm.vrRoom != 0 {
			r.env.destroyVideoRoom(rm.vrRoom)
		}
	}
}

// srtpSettle: how long checkSRTP waits for Janus to finish a handle's DTLS.
// pion's DTLS server is done when it has sent its last flight; Janus (the
// DTLS client) only when that flight has arrived and been processed, which
// can be seconds later when Janus is starved (B2 holds it to a CPU quota).
// A handle still without a profile after this long counts as failed: Janus
// gives up on a handshake after 20 s ("DTLS taking too much time").
const srtpSettle = 20 * time.Second

// checkSRTP: every handle with a PeerConnection must have negotiated the
// pinned profile (Admin API handle_info).
func (r *runner) checkSRTP(rooms []*room, fails *failures) (ok int, bad []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, rm := range rooms {
		for _, p := range rm.peers {
			for _, h := range p.mediaHandles {
				wg.Add(1)
				sem <- struct{}{}
				go func(h *janusHandle) {
					defer wg.Done()
					prof, err := r.env.srtpProfile(h.s.id, h.id)
					for deadline := time.Now().Add(srtpSettle); err == nil && (prof == "none" || prof == "") &&
						time.Now().Before(deadline); {
						time.Sleep(100 * time.Millisecond)
						prof, err = r.env.srtpProfile(h.s.id, h.id)
					}
					if err != nil {
						prof = "error: " + err.Error()
					}
					mu.Lock()
					if prof == srtpProfileName {
						ok++
					} else if prof == "none" || prof == "" {
						// Janus did not finish this handle's DTLS within
						// srtpSettle: a failed peer, not another profile.
						fails.add(fmt.Errorf("session %d handle %d: Janus reports no SRTP (DTLS not completed on its side)", h.s.id, h.id))
					} else if len(bad) < 5 {
						bad = append(bad, prof)
					} else {
						bad = append(bad[:5], "…")
					}
					mu.Unlock()
					<-sem
				}(h)
			}
		}
	}
	wg.Wait()
	return ok, bad
}

// ---------------------------------------------------------------- /proc

func clientCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func statusKiB(pid, field string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return math.NaN()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				return v
			}
		}
	}
	return math.NaN()
}

// janusCPU: the run time of all of Janus's threads (schedstat, ns exact)
// and its thread count; threads that ended between two samples are lost
// (handle loops do not end while media flows).
func janusCPU(pid int) (seconds float64, threads int, err error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	var ns float64
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			v, _ := strconv.ParseFloat(f[0], 64)
			ns += v
		}
		threads++
	}
	return ns / 1e9, threads, nil
}

// ---------------------------------------------------------------- statistics

func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	hi := lo + 1
	if hi >= len(s) {
		hi = len(s) - 1
	}
	return s[lo] + (s[hi]-s[lo])*(h-float64(lo))
}

// num: JSON has no NaN; rounded figures, null when not measured.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(f, 'f', -1, 64)), nil
}

func round(f float64, digits int) num {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return num(math.NaN())
	}
	p := math.Pow(10, float64(digits))
	return num(math.Round(f*p) / p)
}

type dist struct {
	N   int `json:"n"`
	P50 num `json:"p50"`
	P95 num `json:"p95"`
	Max num `json:"max"`
}

func distOf(v []float64, digits int) dist {
	mx := math.NaN()
	for _, x := range v {
		if math.IsNaN(mx) || x > mx {
			mx = x
		}
	}
	return dist{N: len(v), P50: round(percentile(v, 0.5), digits), P95: round(percentile(v, 0.95), digits), Max: round(mx, digits)}
}

type sample struct {
	at       time.Time
	streams  map[*rxStream]rxSnap
	txP, txB uint64
	client   float64
	janus    float64
	threads  int
}

func takeSample(rooms []*room, pid int) sample {
	s := sample{at: time.Now(), streams: map[*rxStream]rxSnap{}, txP: txPackets.Load(), txB: txBytes.Load(), client: clientCPU()}
	if pid > 0 {
		s.janus, s.threads, _ = janusCPU(pid)
	}
	for _, rm := range rooms {
		for _, p := range rm.peers {
			p.mu.Lock()
			st := append([]*rxStream(nil), p.streams...)
			p.mu.Unlock()
			for _, x := range st {
				s.streams[x] = x.snap()
			}
		}
	}
	return s
}

// ---------------------------------------------------------------- output

type output struct {
	Mode          string         `json:"mode"`
	Plugin        string         `json:"plugin"`
	Rooms         int            `json:"rooms"`
	Size          int            `json:"size"`
	Senders       int            `json:"senders"`
	Peers         int            `json:"peers"`
	PeerConns     int            `json:"peer_connections"`
	Media         map[string]any `json:"media"`
	SetupSeconds  num            `json:"setup_s"`
	Failures      int            `json:"failures"`
	FailureSample []string       `json:"failure_sample,omitempty"`
	SRTP          map[string]any `json:"srtp"`
	Valid         bool           `json:"valid"`
	Window        map[string]any `json:"window,omitempty"`
	Storm         map[string]any `json:"storm,omitempty"`
	JoinToFirst   dist           `json:"join_to_first_packet_ms"`
	JoinToVideo   dist           `json:"join_to_first_video_ms"`
	NoMedia       int            `json:"peers_without_media"`
	AddRetries    int64          `json:"participant_add_retries"`
}

func main() {
	c := parseFlags()
	// Fewer collections: the client's heap is mostly pion's packet buffers.
	debug.SetGCPercent(400)
	rng := rand.New(rand.NewSource(c.seed))
	env, err := loadStackEnv(c.stack)
	if err != nil {
		die(1, "stack: %v", err)
	}
	if c.janusPID == 0 {
		c.janusPID, _ = strconv.Atoi(env["JANUS_PID"])
	}
	med, err := loadMedia(c.media)
	if err != nil {
		die(1, "media: %v", err)
	}
	api, err := newAPI(c.iface)
	if err != nil {
		die(1, "pion: %v", err)
	}
	pool, err := newJanusPool(env["JANUS_WS_URL"], c.wsConns)
	if err != nil {
		die(1, "%v", err)
	}
	defer pool.close()
	r := &runner{env: env, pool: pool, api: api, media: med, vrTok: stockJanusToken(env, pluginVideoRoom),
		joins: make(chan struct{}, c.parallel)}
	out := output{Mode: "steady", Plugin: c.plugin, Rooms: c.rooms, Size: c.size, Senders: c.senders,
		Media: map[string]any{
			"video_kbps": c.media.VideoKbps, "video_frames": len(med.video), "key_frames": len(med.keyframes),
			"video_kbps_file": round(float64(med.videoBytes)*8/1000/(float64(len(med.video))*med.frameDur.Seconds()), 0),
			"fps":             round(1/med.frameDur.Seconds(), 2), "audio_packets": len(med.audio),
			"start": "random frame and random phase per sending peer; PLI/FIR jumps to the next key frame",
		}}
	var rooms []*room
	fails := &failures{}
	setupStart := time.Now()
	if c.storm > 0 {
		out.Mode = "storm"
		rooms = r.storm(&c, &out, fails, rng)
	} else {
		rooms = r.setupAll(&c, fails, rng)
	}
	out.SetupSeconds = round(time.Since(setupStart).Seconds(), 2)
	for _, rm := range rooms {
		out.Peers += len(rm.peers)
		for _, p := range rm.peers {
			out.PeerConns += len(p.pcs)
		}
	}
	okN, bad := r.checkSRTP(rooms, fails)
	out.SRTP = map[string]any{"pinned": srtpProfileName, "handles_ok": okN, "handles_other": bad}
	out.Failures, out.FailureSample = fails.n, fails.sample
	out.Valid = len(bad) == 0 && fails.n <= c.maxFailures
	if out.Valid && c.storm == 0 {
		out.Window = r.measure(&c, rooms)
	}
	out.JoinToFirst, out.JoinToVideo, out.NoMedia = joinFigures(rooms, c.storm > 0)
	out.AddRetries = addRetries.Load()
	r.teardown(rooms)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	if !out.Valid {
		os.Exit(1)
	}
}

func (r *runner) setupAll(c *config, fails *failures, rng *rand.Rand) []*room {
	rooms := make([]*room, c.rooms)
	var wg sync.WaitGroup
	for i := 0; i < c.rooms; i++ {
		rm, err := r.newRoom(c, i)
		if err != nil {
			fails.add(fmt.Errorf("room %d: %w", i, err))
			rooms[i] = &room{idx: i, feeds: map[*peer]uint64{}}
			continue
		}
		rooms[i] = rm
		wg.Add(1)
		go func(rm *room, seed int64) {
			defer wg.Done()
			r.setupRoom(c, rm, fails, rand.New(rand.NewSource(seed)))
		}(rm, rng.Int63())
	}
	wg.Wait()
	logf("%s: %d rooms of %d set up, %d failures", c.plugin, c.rooms, c.size, fails.n)
	return rooms
}

// joinFigures: join -> first packet (any kind) and first video packet, over
// the peers that should receive (a sender other than themselves in the
// room); onlyJoiners: storm (the hosts are not counted).
func joinFigures(rooms []*room, onlyJoiners bool) (dist, dist, int) {
	var first, video []float64
	none := 0
	for _, rm := range rooms {
		for k, p := range rm.peers {
			if onlyJoiners && k == 0 {
				continue
			}
			others := 0
			for _, q := range rm.peers {
				if q != p && q.sender {
					others++
				}
			}
			if others == 0 || p.joinStart.IsZero() {
				continue
			}
			js := float64(p.joinStart.Sub(t0))
			if f := p.firstRx.Load(); f > 0 {
				first = append(first, (float64(f)-js)/1e6)
			} else {
				none++
			}
			if f := p.firstVideo.Load(); f > 0 {
				video = append(video, (float64(f)-js)/1e6)
			}
		}
	}
	return distOf(first, 1), distOf(video, 1), none
}

func (r *runner) measure(c *config, rooms []*room) map[string]any {
	logf("warm-up %.0f s, window %.0f s", c.warmup, c.window)
	time.Sleep(time.Duration(c.warmup * float64(time.Second)))
	s0 := takeSample(rooms, c.janusPID)
	if c.cpuProfile != "" {
		if f, err := os.Create(c.cpuProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	time.Sleep(time.Duration(c.window * float64(time.Second)))
	s1 := takeSample(rooms, c.janusPID)
	wall := s1.at.Sub(s0.at).Seconds()
	var rxP, rxB uint64
	var lost int64
	var jit, jitA, jitV []float64
	streams := 0
	for x, b := range s1.streams {
		a := s0.streams[x]
		dp := b.packets - a.packets
		if dp == 0 {
			continue
		}
		streams++
		rxP += dp
		rxB += b.bytes - a.bytes
		if l := (b.expected - a.expected) - int64(dp); l > 0 {
			lost += l
		}
		jit = append(jit, b.jitterMs)
		if b.kind == "audio" {
			jitA = append(jitA, b.jitterMs)
		} else {
			jitV = append(jitV, b.jitterMs)
		}
	}
	txP := s1.txP - s0.txP
	clientS := s1.client - s0.client
	janusS := s1.janus - s0.janus
	lossPct := math.NaN()
	if rxP > 0 {
		lossPct = 100 * float64(lost) / float64(int64(rxP)+lost)
	}
	perPkt := func(cpu float64, pkts uint64) num {
		if pkts == 0 {
			return num(math.NaN())
		}
		return round(1e6*cpu/float64(pkts), 2)
	}
	w := map[string]any{
		"seconds":         round(wall, 2),
		"rx_packets":      rxP,
		"rx_pps":          round(float64(rxP)/wall, 0),
		"rx_kbps":         round(float64(rxB)*8/1000/wall, 0),
		"rx_streams":      streams,
		"lost":            lost,
		"loss_pct":        round(lossPct, 3),
		"jitter_ms":       distOf(jit, 2),
		"jitter_audio_ms": distOf(jitA, 2),
		"jitter_video_ms": distOf(jitV, 2),
		"tx_packets":      txP,
		"tx_pps":          round(float64(txP)/wall, 0),
		"client": map[string]any{
			"cpu_s": round(clientS, 3), "cpu_pct": round(100*clientS/wall, 1),
			"us_per_packet": perPkt(clientS, txP+rxP), "rss_mib": round(statusKiB("self", "VmRSS")/1024, 1),
			"goroutines": runtime.NumGoroutine(),
		},
	}
	if c.janusPID > 0 {
		w["janus"] = map[string]any{
			"pid": c.janusPID, "cpu_s": round(janusS, 3), "cpu_pct": round(100*janusS/wall, 1),
			"us_per_rx_packet": perPkt(janusS, rxP), "threads": s1.threads,
			"rss_mib": round(statusKiB(strconv.Itoa(c.janusPID), "VmRSS")/1024, 1),
		}
	}
	return w
}
