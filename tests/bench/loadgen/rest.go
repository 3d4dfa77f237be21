package main

// The controller's REST API (sessions, participants: the join object), the
// Janus Admin API (handle_info, VideoRoom rooms) and the Janus token_auth
// tokens for the stock plugins, from the private stack's stack.env.

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

const (
	pluginTelemed   = "janus.plugin.telemed"
	pluginVideoRoom = "janus.plugin.videoroom"
)

type stackEnv map[string]string

func loadStackEnv(dir string) (stackEnv, error) {
	f, err := os.Open(filepath.Join(dir, "stack.env"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := stackEnv{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	for _, k := range []string{"TELEMED_URL", "TELEMED_API_KEY", "JANUS_WS_URL", "JANUS_ADMIN_URL", "JANUS_ADMIN_SECRET", "JANUS_TOKEN_SECRET"} {
		if env[k] == "" {
			return nil, fmt.Errorf("stack.env lacks %s", k)
		}
	}
	return env, sc.Err()
}

// stockJanusToken: a token_auth token for the stock plugins, signed with
// the stack's JANUS_TOKEN_SECRET ("<expiry>,janus,<plugins>:<hmac-sha1>").
func stockJanusToken(env stackEnv, plugins ...string) string {
	data := fmt.Sprintf("%d,janus,%s", time.Now().Add(6*time.Hour).Unix(), strings.Join(plugins, ","))
	m := hmac.New(sha1.New, []byte(env["JANUS_TOKEN_SECRET"]))
	m.Write([]byte(data))
	return data + ":" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

var httpClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
}

var tokenRe = regexp.MustCompile(`"(token|janus_token)":"[^"]*"`)

func postJSON(url string, hdr map[string]string, body any, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		msg := tokenRe.ReplaceAllString(string(data), `"$1":"…"`)
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, msg)
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (env stackEnv) api(path string, body any, out any) error {
	url := strings.TrimRight(env["TELEMED_URL"], "/") + path
	if err := postJSON(url, map[string]string{"authorization": "Bearer " + env["TELEMED_API_KEY"]}, body, out); err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	return nil
}

// createTelemedSession creates and starts a session; emergency for 1-to-N.
func (env stackEnv) createTelemedSession(kind string) (string, error) {
	var s struct {
		ID string `json:"id"`
	}
	if err := env.api("/sessions", map[string]any{"kind": kind, "title": "loadgen", "recording_policy": "disabled"}, &s); err != nil {
		return "", err
	}
	if s.ID == "" {
		return "", fmt.Errorf("POST /sessions: no id")
	}
	return s.ID, env.api("/sessions/"+s.ID+"/start", nil, nil)
}

var addRetries atomic.Int64

type joinObject struct {
	Token      string `json:"token"`
	JanusToken string `json:"janus_token"`
}

// addParticipant adds a doctor (admitted without lobby); the join object.
func (env stackEnv) addParticipant(sessionID string) (joinObject, error) {
	var r struct {
		Join joinObject `json:"join"`
	}
	// Concurrent adds to one session may answer 409 concurrent-change
	// ("retry"), and a kept-alive connection the controller closed fails
	// with EOF: retried up to 5 times after a short random pause (a
	// duplicate participant would be harmless here: every add is a new user).
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		err = env.api("/sessions/"+sessionID+"/participants",
			map[string]any{"user_id": fmt.Sprintf("loadgen-%08x", rand.Uint32()), "role": "doctor"}, &r)
		if err == nil || !(strings.Contains(err.Error(), "concurrent-change") || strings.HasSuffix(err.Error(), "EOF") ||
			strings.Contains(err.Error(), "connection reset")) {
			break
		}
		addRetries.Add(1)
		time.Sleep(time.Duration(10+rand.Intn(40*(attempt+1))) * time.Millisecond)
	}
	if err == nil && r.Join.Token == "" {
		err = fmt.Errorf("participant add: no join token")
	}
	return r.Join, err
}

func (env stackEnv) endTelemedSession(sessionID string) {
	if err := env.api("/sessions/"+sessionID+"/end", nil, nil); err != nil {
		logf("end session: %v", err)
	}
}

func (env stackEnv) admin(path string, body map[string]any, out any) error {
	body["transaction"] = newTransaction()
	body["admin_secret"] = env["JANUS_ADMIN_SECRET"]
	return postJSON(strings.TrimRight(env["JANUS_ADMIN_URL"], "/")+path, nil, body, out)
}

// srtpProfile reads .info.webrtc.dtls.srtp-profile of a handle.
func (env stackEnv) srtpProfile(session, handle uint64) (string, error) {
	var r struct {
		Janus string `json:"janus"`
		Info  struct {
			WebRTC struct {
				DTLS struct {
					Profile string `json:"srtp-profile"`
				} `json:"dtls"`
			} `json:"webrtc"`
		} `json:"info"`
	}
	if err := env.admin(fmt.Sprintf("/%d/%d", session, handle), map[string]any{"janus": "handle_info"}, &r); err != nil {
		return "", err
	}
	if r.Janus != "success" {
		return "", fmt.Errorf("handle_info answered %q", r.Janus)
	}
	return r.Info.WebRTC.DTLS.Profile, nil
}

func (env stackEnv) videoRoomRequest(req map[string]any) (map[string]any, error) {
	var r struct {
		Janus    string         `json:"janus"`
		Response map[string]any `json:"response"`
	}
	if err := env.admin("", map[string]any{"janus": "message_plugin", "plugin": pluginVideoRoom, "request": req}, &r); err != nil {
		return nil, err
	}
	if r.Janus != "success" {
		return nil, fmt.Errorf("admin videoroom %v: %q", req["request"], r.Janus)
	}
	return r.Response, nil
}

// createVideoRoom: VP8/Opus, the stock defaults otherwise.
func (env stackEnv) createVideoRoom(publishers int) (uint64, error) {
	room := uint64(100000 + rand.Int63n(1e9))
	r, err := env.videoRoomRequest(map[string]any{"request": "create", "room": room, "publishers": publishers,
		"videocodec": "vp8", "audiocodec": "opus", "permanent": false, "description": "loadgen"})
	if err != nil {
		return 0, err
	}
	if r["videoroom"] != "created" {
		return 0, fmt.Errorf("videoroom create answered %v", r)
	}
	return room, nil
}

func (env stackEnv) destroyVideoRoom(room uint64) {
	if _, err := env.videoRoomRequest(map[string]any{"request": "destroy", "room": room, "permanent": false}); err != nil {
		logf("videoroom destroy: %v", err)
	}
}
