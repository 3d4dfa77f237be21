package main

// Janus API over WebSocket (subprotocol "janus-protocol"): many Janus
// sessions share a few connections (the transport delivers each session's
// events on the connection that created it). Every request carries the
// session's token_auth token.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

type jsep struct {
	Type    string `json:"type"`
	SDP     string `json:"sdp"`
	Trickle *bool  `json:"trickle,omitempty"`
}

type janusMsg struct {
	Janus       string `json:"janus"`
	Transaction string `json:"transaction"`
	SessionID   uint64 `json:"session_id"`
	Sender      uint64 `json:"sender"`
	Data        struct {
		ID uint64 `json:"id"`
	} `json:"data"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
	Plugindata struct {
		Plugin string          `json:"plugin"`
		Data   json.RawMessage `json:"data"`
	} `json:"plugindata"`
	Jsep      *jsep           `json:"jsep"`
	Candidate json.RawMessage `json:"candidate"`
}

type pendingReq struct {
	ch        chan *janusMsg
	wantEvent bool
}

type janusConn struct {
	ws       *wsConn
	mu       sync.Mutex
	pending  map[string]*pendingReq
	handles  map[uint64]*janusHandle
	closed   atomic.Bool
	sessions atomic.Int32
}

// janusPool hands out connections round-robin.
type janusPool struct {
	conns []*janusConn
	next  atomic.Uint32
}

func newJanusPool(url string, n int) (*janusPool, error) {
	p := &janusPool{}
	for i := 0; i < n; i++ {
		ws, err := dialWS(url, "janus-protocol")
		if err != nil {
			p.close()
			return nil, fmt.Errorf("janus websocket: %w", err)
		}
		c := &janusConn{ws: ws, pending: map[string]*pendingReq{}, handles: map[uint64]*janusHandle{}}
		go c.readLoop()
		p.conns = append(p.conns, c)
	}
	return p, nil
}

func (p *janusPool) pick() *janusConn {
	return p.conns[int(p.next.Add(1))%len(p.conns)]
}

func (p *janusPool) close() {
	for _, c := range p.conns {
		c.closed.Store(true)
		c.ws.Close()
	}
}

func newTransaction() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (c *janusConn) readLoop() {
	for {
		raw, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			for t, p := range c.pending {
				close(p.ch)
				delete(c.pending, t)
			}
			c.mu.Unlock()
			if !c.closed.Load() {
				logf("janus websocket closed: %v", err)
			}
			return
		}
		m := &janusMsg{}
		if err := json.Unmarshal(raw, m); err != nil {
			logf("janus: bad message: %v", err)
			continue
		}
		c.dispatch(m)
	}
}

func (c *janusConn) dispatch(m *janusMsg) {
	c.mu.Lock()
	if m.Transaction != "" {
		if p, ok := c.pending[m.Transaction]; ok {
			if m.Janus == "ack" && p.wantEvent {
				c.mu.Unlock()
				return
			}
			delete(c.pending, m.Transaction)
			c.mu.Unlock()
			p.ch <- m
			return
		}
	}
	h := c.handles[m.Sender]
	c.mu.Unlock()
	if h != nil {
		h.onEvent(m)
	}
}

// request sends body (session_id, transaction and token added) and waits for
// the answer: the plugin's event when wantEvent, else the first reply.
func (c *janusConn) request(body map[string]any, wantEvent bool, timeout time.Duration) (*janusMsg, error) {
	t := newTransaction()
	body["transaction"] = t
	p := &pendingReq{ch: make(chan *janusMsg, 1), wantEvent: wantEvent}
	c.mu.Lock()
	c.pending[t] = p
	c.mu.Unlock()
	b, _ := json.Marshal(body)
	if err := c.ws.WriteText(b); err != nil {
		c.forget(t)
		return nil, err
	}
	what := fmt.Sprint(body["janus"])
	if bb, ok := body["body"].(map[string]any); ok {
		what += " " + fmt.Sprint(bb["request"])
	}
	select {
	case m, ok := <-p.ch:
		if !ok {
			return nil, fmt.Errorf("janus %s: connection closed", what)
		}
		if m.Janus == "error" && m.Error != nil {
			return m, fmt.Errorf("janus %s: error %d %s", what, m.Error.Code, m.Error.Reason)
		}
		if err := pluginError(m.Plugindata.Data); err != nil {
			return m, fmt.Errorf("janus %s: %w", what, err)
		}
		return m, nil
	case <-time.After(timeout):
		c.forget(t)
		return nil, fmt.Errorf("janus %s: timeout after %v", what, timeout)
	}
}

func (c *janusConn) forget(t string) {
	c.mu.Lock()
	delete(c.pending, t)
	c.mu.Unlock()
}

// pluginError finds error_code/error in plugin data (VideoRoom, telemed).
func pluginError(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var d struct {
		Code    int    `json:"error_code"`
		Error   string `json:"error"`
		Telemed string `json:"telemed"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return nil
	}
	if d.Code != 0 || d.Telemed == "error" {
		return fmt.Errorf("plugin error %d: %s", d.Code, d.Error)
	}
	return nil
}

type janusSession struct {
	conn  *janusConn
	id    uint64
	token string
	stop  chan struct{}
	once  sync.Once
}

func (p *janusPool) createSession(token string) (*janusSession, error) {
	c := p.pick()
	body := map[string]any{"janus": "create"}
	if token != "" {
		body["token"] = token
	}
	m, err := c.request(body, false, 15*time.Second)
	if err != nil {
		return nil, err
	}
	s := &janusSession{conn: c, id: m.Data.ID, token: token, stop: make(chan struct{})}
	c.sessions.Add(1)
	go s.keepalive()
	return s, nil
}

func (s *janusSession) keepalive() {
	t := time.NewTicker(25 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			b, _ := json.Marshal(s.body(map[string]any{"janus": "keepalive", "transaction": newTransaction()}))
			_ = s.conn.ws.WriteText(b)
		}
	}
}

func (s *janusSession) body(b map[string]any) map[string]any {
	b["session_id"] = s.id
	if s.token != "" {
		b["token"] = s.token
	}
	return b
}

func (s *janusSession) attach(plugin string) (*janusHandle, error) {
	m, err := s.conn.request(s.body(map[string]any{"janus": "attach", "plugin": plugin}), false, 15*time.Second)
	if err != nil {
		return nil, err
	}
	h := &janusHandle{s: s, id: m.Data.ID, events: make(chan *janusMsg, 64), webrtcup: make(chan struct{})}
	s.conn.mu.Lock()
	s.conn.handles[h.id] = h
	s.conn.mu.Unlock()
	return h, nil
}

// destroy ends the Janus session (its handles hang up).
func (s *janusSession) destroy() {
	s.once.Do(func() {
		close(s.stop)
		_, _ = s.conn.request(s.body(map[string]any{"janus": "destroy"}), false, 5*time.Second)
		s.conn.sessions.Add(-1)
	})
}

type janusHandle struct {
	s         *janusSession
	id        uint64
	events    chan *janusMsg // asynchronous plugin events (dropped when full)
	webrtcup  chan struct{}
	upOnce    sync.Once
	mu        sync.Mutex
	onTrickle func(json.RawMessage) // set before the answer is applied
	buffered  []json.RawMessage
	hangup    atomic.Bool
}

func (h *janusHandle) onEvent(m *janusMsg) {
	switch m.Janus {
	case "trickle":
		h.mu.Lock()
		if h.onTrickle != nil {
			f := h.onTrickle
			h.mu.Unlock()
			f(m.Candidate)
			return
		}
		h.buffered = append(h.buffered, m.Candidate)
		h.mu.Unlock()
	case "webrtcup":
		h.upOnce.Do(func() { close(h.webrtcup) })
	case "hangup":
		h.hangup.Store(true)
	case "event":
		select {
		case h.events <- m:
		default:
		}
	}
}

// setTrickle installs the candidate sink and replays the buffered ones.
func (h *janusHandle) setTrickle(f func(json.RawMessage)) {
	h.mu.Lock()
	h.onTrickle = f
	buf := h.buffered
	h.buffered = nil
	h.mu.Unlock()
	for _, c := range buf {
		f(c)
	}
}

// message sends a plugin request and waits for its event.
func (h *janusHandle) message(body map[string]any, offer *jsep) (*janusMsg, error) {
	b := h.s.body(map[string]any{"janus": "message", "handle_id": h.id, "body": body})
	if offer != nil {
		b["jsep"] = offer
	}
	return h.s.conn.request(b, true, 20*time.Second)
}
