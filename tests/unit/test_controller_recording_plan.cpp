// controller/jobs/recording_plan.hpp: manifest.json within bounds, track
// file names, .mjr scans (whole, empty, cut off, corrupt), ffprobe's answer,
// the ffmpeg argument lists (1, 2, 3 participants, audio only, segments,
// timeline offsets) and the job's state transitions. Helpers do the C++
// work and return plain values (a failing CMocka assertion longjmps past
// destructors).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "controller/jobs/recording_plan.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::recplan;

namespace {

constexpr const char* kRid = "33333333-3333-4333-8333-333333333333";
constexpr const char* kSid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kP1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
constexpr const char* kP2 = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
constexpr const char* kP3 = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
constexpr const char* kK = "44444444-4444-4444-8444-444444444444";

std::string track(const std::string& file, const std::string& pid = kP1, const std::string& source = "audio") {
    return "{\"file\":\"" + file + "\",\"participant\":\"" + pid + "\",\"source\":\"" + source +
           "\",\"codec\":\"opus\",\"consent_id\":\"" + kK +
           "\",\"started_at\":\"2026-12-05T19:00:00Z\",\"stopped_at\":\"2026-12-05T19:01:00Z\"}";
}

std::string manifest(const std::string& tracks, const std::string& extra = "") {
    return std::string("{\"recording_id\":\"") + kRid + "\",\"room\":\"" + kSid +
           "\",\"started_at\":\"2026-12-05T19:00:00Z\",\"stopped_at\":null" + extra + ",\"tracks\":[" + tracks + "]}";
}

// "" when it parses (then *n = tracks), else the error.
std::string manifest_error(const std::string& text, std::size_t* n = nullptr) {
    std::string err;
    std::optional<Manifest> m = parse_manifest(text, &err);
    if (m && n) *n = m->tracks.size();
    return m ? "" : err;
}

void test_manifest(void** /*state*/) {
    std::size_t n = 0;
    const std::string a = std::string(kP1) + "-audio-0.mjr", v = std::string(kP1) + "-video-0.mjr";
    assert_string_equal(manifest_error(manifest(track(a) + "," + track(v, kP1, "video"), ",\"other\":1"), &n).c_str(), "");
    assert_int_equal(n, 2);
    assert_string_equal(manifest_error(manifest(""), &n).c_str(), "");
    assert_int_equal(n, 0);
    // "fault": present (not null) marks it cut short.
    std::string err;
    assert_false(parse_manifest(manifest(""), &err)->fault);
    assert_false(parse_manifest(manifest("", ",\"fault\":null"), &err)->fault);
    assert_true(parse_manifest(manifest("", ",\"fault\":\"write_failed\""), &err)->fault);
    // Bounds and shape.
    std::string big = manifest(track(a), ",\"pad\":\"" + std::string(kMaxManifestBytes, 'x') + "\"");
    assert_string_equal(manifest_error(big).c_str(), "manifest.json is too large");
    assert_string_equal(manifest_error("[]").c_str(), "manifest.json is not a JSON object");
    assert_string_equal(manifest_error("{\"recording_id\":").c_str(), "manifest.json is not a JSON object");
    assert_string_equal(manifest_error("{\"room\":\"x\",\"tracks\":[]}").c_str(),
                        "manifest.json lacks recording_id or room");
    assert_string_equal(manifest_error(std::string("{\"recording_id\":\"") + kRid + "\",\"room\":\"" + kSid + "\"}").c_str(),
                        "manifest.json has no usable tracks list");
    std::string many;
    for (std::size_t i = 0; i <= recording_input::kMaxTracks; ++i)
        many += (i ? "," : "") + track(std::string(kP1) + "-audio-" + std::to_string(i) + ".mjr");
    assert_string_equal(manifest_error(manifest(many)).c_str(), "manifest.json has no usable tracks list");
    assert_string_equal(manifest_error(manifest(track("../etc/passwd"))).c_str(), "manifest.json has a malformed track");
    assert_string_equal(manifest_error(manifest(track(a, "not-a-uuid"))).c_str(), "manifest.json has a malformed track");
    assert_string_equal(manifest_error(manifest(track(a) + "," + track(a))).c_str(), "manifest.json lists a file twice");
}

bool name_is(const std::string& name, const std::string& pid, const std::string& source, unsigned n) {
    std::optional<TrackName> t = parse_track_file_name(name);
    return t && t->participant_id == pid && t->source == source && t->n == n;
}

void test_track_names(void** /*state*/) {
    const std::string p = kP1;
    assert_true(name_is(p + "-audio-0.mjr", p, "audio", 0));
    assert_true(name_is(p + "-video-12.mjr", p, "video", 12));
    assert_true(name_is(p + "-screen-9999.mjr", p, "screen", 9999));
    assert_true(name_is("AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA-audio-1.mjr", p, "audio", 1));  // lower-cased
    for (const std::string& bad : {p + "-audio-01.mjr", p + "-audio-10000.mjr", p + "-data-0.mjr", p + "-audio-0.mjr.tmp",
                                  p + "-audio-.mjr", p + "-audio-x.mjr", "x" + p + "-audio-0.mjr", p + "audio-0.mjr",
                                  std::string("manifest.json"), std::string("../") + p + "-audio-0.mjr",
                                  p + "-audio--1.mjr"})
        assert_false(parse_track_file_name(bad).has_value());
    assert_string_equal(converted_name(p + "-audio-0.mjr", "audio").c_str(), (p + "-audio-0.opus").c_str());
    assert_string_equal(converted_name(p + "-video-1.mjr", "video").c_str(), (p + "-video-1.webm").c_str());
    assert_string_equal(converted_name(p + "-screen-0.mjr", "screen").c_str(), (p + "-screen-0.webm").c_str());
}

// ---- .mjr scans over a buffer ----
std::string mjr_header(const std::string& info) {
    std::string s = "MJR00002";
    s.push_back(static_cast<char>(info.size() >> 8));
    s.push_back(static_cast<char>(info.size() & 0xff));
    return s + info;
}
std::string frame(std::size_t len) {
    std::string s = "MEET";
    s += std::string("\0\0\0\x10", 4);
    s.push_back(static_cast<char>(len >> 8));
    s.push_back(static_cast<char>(len & 0xff));
    return s + std::string(len, '\x80');
}
MjrScan scan(const std::string& bytes) {
    return scan_mjr(bytes.size(), [&](uint64_t off, void* buf, std::size_t n) -> std::size_t {
        if (off >= bytes.size()) return 0;
        const std::size_t k = std::min<std::size_t>(n, bytes.size() - off);
        std::memcpy(buf, bytes.data() + off, k);
        return k;
    });
}

void test_mjr_scan(void** /*state*/) {
    const std::string info = "{\"t\":\"v\",\"c\":\"vp8\",\"s\":1,\"u\":1764961200123456}";
    std::string whole = mjr_header(info) + frame(100) + frame(1200) + frame(12);
    MjrScan s = scan(whole);
    assert_int_equal(static_cast<int>(s.status), static_cast<int>(MjrScan::Status::Ok));
    assert_string_equal(s.type.c_str(), "v");
    assert_string_equal(s.codec.c_str(), "vp8");
    assert_true(s.first_frame_us == 1764961200123456LL);
    assert_int_equal(s.frames, 3);
    assert_int_equal(s.complete_bytes, whole.size());
    assert_false(s.truncated);
    // Cut off mid-frame and mid-frame-header (SIGKILL): the whole frames count.
    for (std::size_t cut : {std::size_t{5}, std::size_t{9}, std::size_t{200}}) {
        MjrScan t = scan(whole + frame(300).substr(0, cut));
        assert_int_equal(static_cast<int>(t.status), static_cast<int>(MjrScan::Status::Ok));
        assert_true(t.truncated);
        assert_int_equal(t.frames, 3);
        assert_int_equal(t.complete_bytes, whole.size());
    }
    // Opened, never written; or cut inside the info header: empty.
    assert_int_equal(static_cast<int>(scan("").status), static_cast<int>(MjrScan::Status::Empty));
    assert_int_equal(static_cast<int>(scan("MJR00002").status), static_cast<int>(MjrScan::Status::Empty));
    assert_int_equal(static_cast<int>(scan(mjr_header(info).substr(0, 20)).status), static_cast<int>(MjrScan::Status::Empty));
    assert_int_equal(static_cast<int>(scan(mjr_header(info)).status), static_cast<int>(MjrScan::Status::Empty));
    // Corrupt: unreadable.
    auto unreadable = [](const std::string& b) { return scan(b).status == MjrScan::Status::Unreadable; };
    assert_true(unreadable("MJR00001" + whole.substr(8)));
    assert_true(unreadable("garbage garbage garbage"));
    assert_true(unreadable(mjr_header("{\"t\"") + frame(10)));
    assert_true(unreadable(mjr_header("{\"t\":\"d\",\"c\":\"text\"}") + frame(10)));
    assert_true(unreadable(mjr_header("{\"t\":\"a\",\"c\":\"../x\"}") + frame(10)));
    std::string bad_frame = mjr_header(info) + frame(10) + "MEEX" + frame(10).substr(4);
    assert_true(unreadable(bad_frame));
    std::string huge_info = "MJR00002";
    huge_info += std::string("\xff\xff", 2);
    assert_true(unreadable(huge_info + std::string(70000, ' ')));
}

void test_probe(void** /*state*/) {
    std::optional<Probe> p = parse_probe(
        "{\"programs\":[],\"streams\":[{\"codec_name\":\"vp8\",\"codec_type\":\"video\"},"
        "{\"codec_name\":\"opus\",\"codec_type\":\"audio\"}],\"format\":{\"duration\":\"5.280000\"}}");
    assert_true(p.has_value());
    assert_int_equal(p->duration_ms, 5280);
    assert_string_equal(p->video_codec.c_str(), "vp8");
    assert_string_equal(p->audio_codec.c_str(), "opus");
    p = parse_probe("{\"streams\":[{\"codec_name\":\"opus\",\"codec_type\":\"audio\"}],\"format\":{\"duration\":\"1\"}}");
    assert_true(p && p->video_codec.empty() && p->duration_ms == 1000);
    assert_false(parse_probe("{\"format\":{\"duration\":\"N/A\"}}").has_value());
    assert_false(parse_probe("{\"format\":{}}").has_value());
    assert_false(parse_probe("not json").has_value());
    assert_false(parse_probe("{\"format\":{\"duration\":\"-1\"}}").has_value());
    std::vector<std::string> a = probe_args("/usr/bin/ffprobe", "x.webm");
    assert_string_equal(a.front().c_str(), "/usr/bin/ffprobe");
    assert_string_equal(a.back().c_str(), "x.webm");
}

// ---- argument lists ----
MediaTrack mt(const char* pid, const char* source, unsigned n, int64_t offset, int64_t dur) {
    MediaTrack m;
    m.participant_id = pid;
    m.source = source;
    m.n = n;
    m.file = std::string(pid) + "-" + source + "-" + std::to_string(n) + (std::strcmp(source, "audio") ? ".webm" : ".opus");
    m.offset_ms = offset;
    m.duration_ms = dur;
    return m;
}
std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}
std::string arg_after(const std::vector<std::string>& v, const std::string& key) {
    auto it = std::find(v.begin(), v.end(), key);
    return it == v.end() || it + 1 == v.end() ? "" : *(it + 1);
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
std::size_t count(const std::string& s, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + 1)) ++n;
    return n;
}

void test_pp_rec_args(void** /*state*/) {
    assert_string_equal(joined(pp_rec_args("/usr/bin/janus-pp-rec", "/r/s/x-audio-0.mjr", "x-audio-0.opus")).c_str(),
                        "/usr/bin/janus-pp-rec -o -d 3 /r/s/x-audio-0.mjr x-audio-0.opus");
}

void test_participant_mux(void** /*state*/) {
    // Audio and video, video 120 ms after audio: aligned with -itsoffset, stream copy.
    MuxPlan m = participant_mux("/usr/bin/ffmpeg", {mt(kP1, "video", 0, 1120, 5000), mt(kP1, "audio", 0, 1000, 5000)},
                                "p.webm");
    const std::string s = joined(m.args);
    assert_true(m.has_video);
    assert_true(m.lists.empty());
    assert_string_equal(m.args.front().c_str(), "/usr/bin/ffmpeg");
    assert_true(has(s, "-itsoffset 0.120 -i " + std::string(kP1) + "-video-0.webm -itsoffset 0.000 -i " + kP1 + "-audio-0.opus"));
    assert_true(has(s, "-map 0:v:0 -map 1:a:0 -c copy -f webm p.webm"));
    // Audio only: audio/webm.
    m = participant_mux("ffmpeg", {mt(kP1, "audio", 0, 0, 5000)}, "p.webm");
    assert_false(m.has_video);
    assert_true(has(joined(m.args), "-map 0:a:0 -c copy -f webm p.webm"));
    // Segments (withdrawal and new consent): concatenated in order via a list.
    m = participant_mux("ffmpeg", {mt(kP1, "audio", 1, 9000, 2000), mt(kP1, "video", 1, 9000, 2000),
                                   mt(kP1, "audio", 0, 0, 3000), mt(kP1, "video", 0, 0, 3000)},
                        "p.webm");
    assert_int_equal(m.lists.size(), 2);
    assert_string_equal(m.lists[0].first.c_str(), (std::string(kP1) + "-video.txt").c_str());
    assert_string_equal(m.lists[0].second.c_str(),
                        ("file '" + std::string(kP1) + "-video-0.webm'\nfile '" + kP1 + "-video-1.webm'\n").c_str());
    assert_string_equal(m.lists[1].second.c_str(),
                        ("file '" + std::string(kP1) + "-audio-0.opus'\nfile '" + kP1 + "-audio-1.opus'\n").c_str());
    assert_true(has(joined(m.args), "-f concat -i " + std::string(kP1) + "-video.txt"));
    assert_true(has(joined(m.args), "-map 0:v:0 -map 1:a:0"));
    // Camera and screen: two video streams, then audio.
    m = participant_mux("ffmpeg", {mt(kP1, "audio", 0, 0, 5000), mt(kP1, "screen", 0, 2000, 1000), mt(kP1, "video", 0, 0, 5000)},
                        "p.webm");
    assert_true(has(joined(m.args), "-itsoffset 2.000 -i " + std::string(kP1) + "-screen-0.webm"));
    assert_true(has(joined(m.args), "-map 0:v:0 -map 1:v:0 -map 2:a:0"));
}

void test_composite_one(void** /*state*/) {
    std::vector<std::string> a =
        composite_args("/usr/bin/ffmpeg", {mt(kP1, "audio", 0, 0, 5000), mt(kP1, "video", 0, 40, 4960)}, 5000, "c.webm");
    const std::string g = arg_after(a, "-filter_complex");
    assert_int_equal(count(g, "color=c=black:s=640x360"), 1);
    assert_true(has(g, "[1:v]fps=15,setpts=PTS-STARTPTS+0.040/TB,scale=640:360:flags=fast_bilinear"));
    assert_true(has(g, "[o1]null[vout]"));
    assert_true(has(g, "[0:a]asetpts=PTS-STARTPTS,aresample=48000,adelay=delays=0:all=1[a0]"));
    assert_true(has(g, "[a0]anull[aout]"));
    assert_false(has(g, "amix"));
    assert_false(has(g, "hstack"));
    const std::string s = joined(a);
    assert_true(has(s, "-map [vout] -map [aout] -c:v libvpx -deadline realtime -cpu-used 16 -b:v 300k"));
    assert_true(has(s, "-c:a libopus -b:a 48k -t 5.000 -f webm c.webm"));
    assert_int_equal(count(s, "-reinit_filter 0 -i"), 1);  // the video input only
}

void test_composite_two_with_offsets(void** /*state*/) {
    // The patient joins 2.5 s after the start; columns ordered by first start.
    std::vector<MediaTrack> t = {mt(kP2, "video", 0, 2500, 3000), mt(kP2, "audio", 0, 2500, 3000),
                                 mt(kP1, "video", 0, 0, 6000), mt(kP1, "audio", 0, 0, 6000)};
    std::vector<std::string> a = composite_args("ffmpeg", t, 6000, "c.webm");
    const std::string g = arg_after(a, "-filter_complex");
    assert_true(has(g, "[2:v]fps=15,setpts=PTS-STARTPTS+0.000/TB"));
    assert_true(has(g, "[0:v]fps=15,setpts=PTS-STARTPTS+2.500/TB"));
    assert_true(has(g, "[o2][o0]hstack=inputs=2[vout]"));  // kP1's column first
    assert_true(has(g, "adelay=delays=2500:all=1[a1]"));
    assert_true(has(g, "adelay=delays=0:all=1[a3]"));
    assert_true(has(g, "[a1][a3]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0[aout]"));
    assert_string_equal(arg_after(a, "-b:v").c_str(), "600k");
    assert_string_equal(arg_after(a, "-t").c_str(), "6.000");
    assert_true(has(g, "d=6.000"));
}

void test_composite_three_audio_only_segments(void** /*state*/) {
    // kP1 video+audio, kP2 audio only (a black column), kP3 two segments of
    // video (placed at their own offsets on one column) and audio.
    std::vector<MediaTrack> t = {mt(kP1, "video", 0, 0, 10000), mt(kP1, "audio", 0, 0, 10000),
                                 mt(kP2, "audio", 0, 1000, 9000), mt(kP3, "video", 0, 2000, 2000),
                                 mt(kP3, "video", 1, 7000, 3000), mt(kP3, "audio", 0, 2000, 2000),
                                 mt(kP3, "audio", 1, 7000, 3000)};
    std::vector<std::string> a = composite_args("ffmpeg", t, 10000, "c.webm");
    const std::string g = arg_after(a, "-filter_complex");
    assert_int_equal(count(g, "color=c=black"), 3);
    assert_true(has(g, "[o0][bg1][o4]hstack=inputs=3[vout]"));
    assert_true(has(g, "[bg2][v3]overlay=eof_action=pass:repeatlast=0[o3]"));
    assert_true(has(g, "[o3][v4]overlay=eof_action=pass:repeatlast=0[o4]"));
    assert_true(has(g, "[4:v]fps=15,setpts=PTS-STARTPTS+7.000/TB"));
    assert_true(has(g, "amix=inputs=4"));
    assert_true(has(g, "adelay=delays=7000:all=1[a6]"));
    assert_string_equal(arg_after(a, "-b:v").c_str(), "900k");
    // Only audio in the whole recording: one black column, audio kept.
    a = composite_args("ffmpeg", {mt(kP2, "audio", 0, 0, 3000)}, 3000, "c.webm");
    const std::string g2 = arg_after(a, "-filter_complex");
    assert_true(has(g2, "color=c=black:s=640x360:r=15:d=3.000[bg0];[bg0]null[vout]"));
    assert_true(has(joined(a), "-map [aout]"));
    // Only video: no audio map or codec.
    a = composite_args("ffmpeg", {mt(kP1, "video", 0, 0, 3000)}, 3000, "c.webm");
    assert_false(has(joined(a), "[aout]"));
    assert_false(has(joined(a), "libopus"));
    assert_true(participant_order(t) == std::vector<std::string>({kP1, kP2, kP3}));
}

void test_states(void** /*state*/) {
    ClaimInput in;
    in.state = "stopped";
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Skip));  // wait for the manifest
    in.manifest_present = true;
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Process));
    in.manifest_present = false;
    in.grace_over = true;
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Process));  // incomplete
    in = ClaimInput{};
    in.state = "processing";
    in.manifest_present = true;
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Skip));  // leased
    in.lease_expired = true;
    in.attempts = 1;
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Process));
    in.attempts = 3;
    assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Fail));
    for (const char* st : {"starting", "recording", "failed", "available", "incomplete"}) {
        in = ClaimInput{};
        in.state = st;
        in.manifest_present = in.grace_over = in.lease_expired = true;
        assert_int_equal(static_cast<int>(claim_action(in)), static_cast<int>(ClaimAction::Skip));
    }
    AfterFailure f = after_failure(1, 3, 30);
    assert_string_equal(f.state.c_str(), "stopped");
    assert_int_equal(f.retry_in_s, 30);
    f = after_failure(2, 3, 30);
    assert_string_equal(f.state.c_str(), "stopped");
    assert_int_equal(f.retry_in_s, 60);
    f = after_failure(3, 3, 30);
    assert_string_equal(f.state.c_str(), "failed");
    f = after_failure(19, 20, 86400);
    assert_int_equal(f.retry_in_s, 86400);  // capped
    assert_string_equal(outcome_state(false), "available");
    assert_string_equal(outcome_state(true), "incomplete");
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_track_names),
        cmocka_unit_test(test_mjr_scan),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_pp_rec_args),
        cmocka_unit_test(test_participant_mux),
        cmocka_unit_test(test_composite_one),
        cmocka_unit_test(test_composite_two_with_offsets),
        cmocka_unit_test(test_composite_three_audio_only_segments),
        cmocka_unit_test(test_states),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
