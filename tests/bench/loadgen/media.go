package main

// Pre-encoded media, made once by ffmpeg and cached in a temp folder keyed
// by the parameters (LOADGEN-NOTES pitfalls 3 and 4): VP8 in IVF from a
// noisy test pattern at ~800 kbit/s CBR, Opus in Ogg with one 20 ms packet
// per page. Both are read into memory and looped; nothing is encoded at run
// time.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

type mediaParams struct {
	VideoKbps int
	Width     int
	Height    int
	FPS       int
	Seconds   int
}

type mediaFiles struct {
	video      [][]byte // VP8 frames
	keyframes  []int    // indices of key frames in video
	frameDur   time.Duration
	audio      [][]byte // Opus packets (one per Ogg page)
	audioDur   time.Duration
	videoBytes int
}

func (p mediaParams) dir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("telemed-loadgen-media-v1-%dk-%dx%d-%dfps-%ds",
		p.VideoKbps, p.Width, p.Height, p.FPS, p.Seconds))
}

func ffmpeg(args ...string) error {
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, stderr.String())
	}
	return nil
}

// generate makes the files unless the cache has them (written to a temp
// name, then renamed: concurrent runs do not see half files).
func (p mediaParams) generate() (string, string, error) {
	d := p.dir()
	v, a := filepath.Join(d, "video.ivf"), filepath.Join(d, "audio.ogg")
	if fileOK(v) && fileOK(a) {
		return v, a, nil
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", "", err
	}
	rate := fmt.Sprintf("%dk", p.VideoKbps)
	tmpV, tmpA := v+".tmp.ivf", a+".tmp.ogg"
	if err := ffmpeg("-f", "lavfi", "-i",
		fmt.Sprintf("testsrc=size=%dx%d:rate=%d,noise=alls=12:allf=t", p.Width, p.Height, p.FPS),
		"-t", fmt.Sprint(p.Seconds), "-c:v", "libvpx", "-b:v", rate, "-minrate", rate, "-maxrate", rate,
		"-bufsize", fmt.Sprintf("%dk", p.VideoKbps/2), "-deadline", "realtime", "-cpu-used", "8",
		"-f", "ivf", tmpV); err != nil {
		return "", "", err
	}
	if err := ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", fmt.Sprint(p.Seconds),
		"-c:a", "libopus", "-b:a", "32k", "-ac", "2", "-page_duration", "20000", "-f", "ogg", tmpA); err != nil {
		return "", "", err
	}
	if err := os.Rename(tmpV, v); err != nil {
		return "", "", err
	}
	return v, a, os.Rename(tmpA, a)
}

func fileOK(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Size() > 0
}

func loadMedia(p mediaParams) (*mediaFiles, error) {
	vPath, aPath, err := p.generate()
	if err != nil {
		return nil, err
	}
	m := &mediaFiles{}
	vf, err := os.Open(vPath)
	if err != nil {
		return nil, err
	}
	defer vf.Close()
	ivf, hdr, err := ivfreader.NewWith(vf)
	if err != nil {
		return nil, err
	}
	if hdr.TimebaseDenominator == 0 || hdr.TimebaseNumerator == 0 {
		return nil, errors.New("ivf: no time base")
	}
	m.frameDur = time.Duration(float64(time.Second) * float64(hdr.TimebaseNumerator) / float64(hdr.TimebaseDenominator))
	for {
		frame, _, err := ivf.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(frame) > 0 && frame[0]&0x01 == 0 { // VP8 P bit 0: key frame
			m.keyframes = append(m.keyframes, len(m.video))
		}
		m.video = append(m.video, frame)
		m.videoBytes += len(frame)
	}
	af, err := os.Open(aPath)
	if err != nil {
		return nil, err
	}
	defer af.Close()
	ogg, _, err := oggreader.NewWith(af)
	if err != nil {
		return nil, err
	}
	for {
		page, _, err := ogg.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		// The two header pages (OpusHead, OpusTags) are not audio.
		if bytes.HasPrefix(page, []byte("OpusHead")) || bytes.HasPrefix(page, []byte("OpusTags")) {
			continue
		}
		m.audio = append(m.audio, page)
	}
	m.audioDur = 20 * time.Millisecond
	if len(m.video) == 0 || len(m.audio) == 0 || len(m.keyframes) == 0 {
		return nil, fmt.Errorf("media: %d video frames (%d key), %d audio packets", len(m.video), len(m.keyframes), len(m.audio))
	}
	return m, nil
}

// nextKeyframe: the first key frame at or after i (wrapping).
func (m *mediaFiles) nextKeyframe(i int) int {
	for _, k := range m.keyframes {
		if k >= i {
			return k
		}
	}
	return m.keyframes[0]
}
