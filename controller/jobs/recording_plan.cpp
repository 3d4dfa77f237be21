// controller/jobs/recording_plan.hpp.
#include "controller/jobs/recording_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "common/ids.hpp"
#include "common/json.hpp"

namespace telemed::recplan {
namespace {

std::string seconds(int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    return buf;
}

bool visual(const std::string& source) { return source == "video" || source == "screen"; }

int source_rank(const std::string& source) { return source == "video" ? 0 : source == "screen" ? 1 : 2; }

bool lower_alnum(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

}  // namespace

// ---- manifest ----

std::optional<Manifest> parse_manifest(std::string_view text, std::string* error) {
    if (text.size() > kMaxManifestBytes) {
        *error = "manifest.json is too large";
        return std::nullopt;
    }
    std::string perr;
    Json j = json_parse(text, &perr);
    if (!j || !json_is_object(j.get())) {
        *error = "manifest.json is not a JSON object";
        return std::nullopt;
    }
    Manifest m;
    auto uuid = [&](const char* name, std::string* out) {
        const json_t* v = json_object_get(j.get(), name);
        if (!json_is_string(v)) return false;
        std::string_view s(json_string_value(v), json_string_length(v));
        if (!is_uuid(s)) return false;
        *out = normalize_uuid(s);
        return true;
    };
    if (!uuid("recording_id", &m.recording_id) || !uuid("room", &m.room)) {
        *error = "manifest.json lacks recording_id or room";
        return std::nullopt;
    }
    const json_t* tracks = json_object_get(j.get(), "tracks");
    if (!json_is_array(tracks) || json_array_size(tracks) > recording_input::kMaxTracks) {
        *error = "manifest.json has no usable tracks list";
        return std::nullopt;
    }
    std::set<std::string> files;
    for (std::size_t i = 0; i < json_array_size(tracks); ++i) {
        FieldErrors errors;
        std::optional<recording_input::Track> t = recording_input::parse_track(json_array_get(tracks, i), i, errors);
        if (!t) {
            *error = "manifest.json has a malformed track";
            return std::nullopt;
        }
        if (!files.insert(t->file).second) {
            *error = "manifest.json lists a file twice";
            return std::nullopt;
        }
        m.tracks.push_back(std::move(*t));
    }
    const json_t* fault = json_object_get(j.get(), "fault");
    m.fault = fault != nullptr && !json_is_null(fault);
    return m;
}

// ---- .mjr ----

std::optional<TrackName> parse_track_file_name(std::string_view name) {
    constexpr std::string_view ext = ".mjr";
    if (name.size() < 36 + 1 + 5 + 1 + 1 + ext.size() || name.size() > 64) return std::nullopt;
    if (name.substr(name.size() - ext.size()) != ext) return std::nullopt;
    std::string_view uuid = name.substr(0, 36);
    if (!is_uuid(uuid) || name[36] != '-') return std::nullopt;
    std::string_view rest = name.substr(37, name.size() - 37 - ext.size());
    const std::size_t dash = rest.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    std::string_view source = rest.substr(0, dash), num = rest.substr(dash + 1);
    if (source != "audio" && source != "video" && source != "screen") return std::nullopt;
    if (num.empty() || num.size() > 4 || (num.size() > 1 && num[0] == '0')) return std::nullopt;
    unsigned n = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
    return TrackName{normalize_uuid(uuid), std::string(source), n};
}

std::string converted_name(const std::string& mjr_name, const std::string& source) {
    std::string stem = mjr_name.size() > 4 ? mjr_name.substr(0, mjr_name.size() - 4) : mjr_name;
    return stem + (source == "audio" ? ".opus" : ".webm");
}

MjrScan scan_mjr(uint64_t size, const ReadAt& read_at) {
    MjrScan s;
    if (size == 0) {
        s.status = MjrScan::Status::Empty;
        return s;
    }
    char head[10];
    if (size < 8 || read_at(0, head, 8) != 8 || std::memcmp(head, "MJR00002", 8) != 0) return s;  // Unreadable
    if (size < 10 || read_at(8, head, 2) != 2) {
        s.status = MjrScan::Status::Empty;
        s.truncated = size > 8;
        s.complete_bytes = 8;
        return s;
    }
    const std::size_t info_len = (static_cast<uint8_t>(head[0]) << 8) | static_cast<uint8_t>(head[1]);
    if (info_len == 0 || info_len > kMaxMjrInfoBytes) return s;
    if (10 + info_len > size) {
        s.status = MjrScan::Status::Empty;
        s.truncated = true;
        s.complete_bytes = 8;
        return s;
    }
    std::string info(info_len, '\0');
    if (read_at(10, info.data(), info_len) != info_len) return s;
    std::string perr;
    Json j = json_parse(info, &perr);
    if (!j || !json_is_object(j.get())) return s;
    const json_t* t = json_object_get(j.get(), "t");
    const json_t* c = json_object_get(j.get(), "c");
    if (!json_is_string(t) || !json_is_string(c)) return s;
    s.type = json_string_value(t);
    s.codec = json_string_value(c);
    if ((s.type != "a" && s.type != "v") || !lower_alnum(s.codec, 16)) return s;
    const json_t* u = json_object_get(j.get(), "u");
    if (json_is_integer(u) && json_integer_value(u) > 0) s.first_frame_us = json_integer_value(u);
    uint64_t off = 10 + info_len;
    for (;;) {
        if (off == size) break;
        if (size - off < 10) {
            s.truncated = true;
            break;
        }
        if (read_at(off, head, 10) != 10) return MjrScan{};
        if (std::memcmp(head, "MEET", 4) != 0) return MjrScan{};
        const uint64_t plen = (static_cast<uint8_t>(head[8]) << 8) | static_cast<uint8_t>(head[9]);
        if (off + 10 + plen > size) {
            s.truncated = true;
            break;
        }
        off += 10 + plen;
        ++s.frames;
    }
    s.complete_bytes = off;
    s.status = s.frames == 0 ? MjrScan::Status::Empty : MjrScan::Status::Ok;
    return s;
}

MjrScan scan_mjr_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return MjrScan{};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return MjrScan{};
    }
    // A window of 64 KiB: one read per window instead of one per frame.
    std::string window;
    uint64_t window_at = 0;
    bool io_error = false;
    auto read_at = [&](uint64_t offset, void* buf, std::size_t n) -> std::size_t {
        if (offset < window_at || offset + n > window_at + window.size()) {
            window.resize(std::max<std::size_t>(65536, n));
            std::size_t got = 0;
            while (got < window.size()) {
                const ssize_t r = ::pread(fd, window.data() + got, window.size() - got, static_cast<off_t>(offset + got));
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) io_error = true;
                if (r <= 0) break;
                got += static_cast<std::size_t>(r);
            }
            window.resize(got);
            window_at = offset;
        }
        const uint64_t avail = window_at + window.size() - offset;
        const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, avail));
        std::memcpy(buf, window.data() + (offset - window_at), k);
        return k;
    };
    MjrScan s = scan_mjr(static_cast<uint64_t>(st.st_size), read_at);
    ::close(fd);
    if (io_error) return MjrScan{};
    return s;
}

// ---- ffprobe ----

std::vector<std::string> probe_args(const std::string& ffprobe, const std::string& file) {
    return {ffprobe, "-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name", "-of", "json",
            file};
}

std::optional<Probe> parse_probe(std::string_view text) {
    if (text.size() > 65536) return std::nullopt;
    std::string perr;
    Json j = json_parse(text, &perr);
    if (!j || !json_is_object(j.get())) return std::nullopt;
    Probe p;
    const json_t* format = json_object_get(j.get(), "format");
    const json_t* dur = format ? json_object_get(format, "duration") : nullptr;
    if (!json_is_string(dur)) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(json_string_value(dur), &end);
    if (!end || *end != '\0' || !std::isfinite(d) || d < 0 || d > 7 * 86400.0) return std::nullopt;
    p.duration_ms = static_cast<int64_t>(std::llround(d * 1000.0));
    const json_t* streams = json_object_get(j.get(), "streams");
    for (std::size_t i = 0; json_is_array(streams) && i < json_array_size(streams); ++i) {
        const json_t* st = json_array_get(streams, i);
        const json_t* type = json_object_get(st, "codec_type");
        const json_t* name = json_object_get(st, "codec_name");
        if (!json_is_string(type) || !json_is_string(name)) continue;
        std::string n = json_string_value(name);
        if (!lower_alnum(n, 16)) continue;
        if (std::strcmp(json_string_value(type), "video") == 0 && p.video_codec.empty()) p.video_codec = n;
        if (std::strcmp(json_string_value(type), "audio") == 0 && p.audio_codec.empty()) p.audio_codec = n;
    }
    return p;
}

// ---- programs ----

std::vector<std::string> pp_rec_args(const std::string& janus_pp_rec, const std::string& mjr, const std::string& out) {
    // -o: no colours in its (captured, bounded) output; -d 3: warnings and errors.
    return {janus_pp_rec, "-o", "-d", "3", mjr, out};
}

namespace {
std::vector<std::string> ffmpeg_head(const std::string& ffmpeg) {
    return {ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"};
}
}  // namespace

MuxPlan participant_mux(const std::string& ffmpeg, std::vector<MediaTrack> tracks, const std::string& out) {
    MuxPlan plan;
    plan.args = ffmpeg_head(ffmpeg);
    std::sort(tracks.begin(), tracks.end(), [](const MediaTrack& a, const MediaTrack& b) {
        return std::make_tuple(source_rank(a.source), a.n, a.file) < std::make_tuple(source_rank(b.source), b.n, b.file);
    });
    int64_t base = INT64_MAX;
    for (const MediaTrack& t : tracks) base = std::min(base, t.offset_ms);
    std::vector<std::string> maps;
    int input = 0;
    for (std::size_t i = 0; i < tracks.size();) {
        std::size_t j = i;
        while (j < tracks.size() && tracks[j].source == tracks[i].source) ++j;
        const MediaTrack& first = tracks[i];
        plan.args.insert(plan.args.end(), {"-itsoffset", seconds(first.offset_ms - base)});
        if (j - i == 1) {
            plan.args.insert(plan.args.end(), {"-i", first.file});
        } else {
            std::string list_name = first.participant_id + "-" + first.source + ".txt";
            std::string content;
            for (std::size_t k = i; k < j; ++k) content += "file '" + tracks[k].file + "'\n";
            plan.lists.emplace_back(list_name, content);
            plan.args.insert(plan.args.end(), {"-f", "concat", "-i", list_name});
        }
        const bool v = visual(first.source);
        plan.has_video = plan.has_video || v;
        maps.insert(maps.end(), {"-map", std::to_string(input) + (v ? ":v:0" : ":a:0")});
        ++input;
        i = j;
    }
    plan.args.insert(plan.args.end(), maps.begin(), maps.end());
    plan.args.insert(plan.args.end(), {"-c", "copy", "-f", "webm", out});
    return plan;
}

std::vector<std::string> participant_order(const std::vector<MediaTrack>& tracks) {
    std::map<std::string, int64_t> first;
    for (const MediaTrack& t : tracks) {
        auto it = first.find(t.participant_id);
        if (it == first.end() || t.offset_ms < it->second) first[t.participant_id] = t.offset_ms;
    }
    std::vector<std::pair<int64_t, std::string>> order;
    for (const auto& [pid, at] : first) order.emplace_back(at, pid);
    std::sort(order.begin(), order.end());
    std::vector<std::string> out;
    for (auto& [at, pid] : order) out.push_back(pid);
    return out;
}

std::vector<std::string> composite_args(const std::string& ffmpeg, const std::vector<MediaTrack>& tracks,
                                        int64_t total_ms, const std::string& out, const CompositeSettings& s) {
    std::vector<std::string> args = ffmpeg_head(ffmpeg);
    for (const MediaTrack& t : tracks) {
        // Resolution changes mid-stream (WebRTC adapts it) are handled by
        // scale; rebuilding the graph would restart the background sources.
        if (visual(t.source)) args.insert(args.end(), {"-reinit_filter", "0"});
        args.insert(args.end(), {"-i", t.file});
    }
    const std::string size = std::to_string(s.width) + "x" + std::to_string(s.height);
    const std::string W = std::to_string(s.width), H = std::to_string(s.height);
    const std::string dur = seconds(std::max<int64_t>(total_ms, 1));
    std::string graph;
    auto add = [&](const std::string& f) {
        if (!graph.empty()) graph += ';';
        graph += f;
    };
    std::vector<std::string> columns;
    int col = 0;
    for (const std::string& pid : participant_order(tracks)) {
        bool any = false;
        for (const char* source : {"video", "screen"}) {
            std::vector<std::size_t> idx;
            for (std::size_t i = 0; i < tracks.size(); ++i)
                if (tracks[i].participant_id == pid && tracks[i].source == source) idx.push_back(i);
            if (idx.empty()) continue;
            any = true;
            std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return tracks[a].n < tracks[b].n; });
            std::string prev = "bg" + std::to_string(col);
            add("color=c=black:s=" + size + ":r=" + std::to_string(s.fps) + ":d=" + dur + "[" + prev + "]");
            for (std::size_t k : idx) {
                const std::string v = "v" + std::to_string(k), o = "o" + std::to_string(k);
                add("[" + std::to_string(k) + ":v]fps=" + std::to_string(s.fps) + ",setpts=PTS-STARTPTS+" +
                    seconds(tracks[k].offset_ms) + "/TB,scale=" + W + ":" + H +
                    ":flags=fast_bilinear:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=" + W +
                    ":" + H + ":(ow-iw)/2:(oh-ih)/2,setsar=1[" + v + "]");
                add("[" + prev + "][" + v + "]overlay=eof_action=pass:repeatlast=0[" + o + "]");
                prev = o;
            }
            columns.push_back(prev);
            ++col;
        }
        if (!any) {
            const std::string bg = "bg" + std::to_string(col++);
            add("color=c=black:s=" + size + ":r=" + std::to_string(s.fps) + ":d=" + dur + "[" + bg + "]");
            columns.push_back(bg);
        }
    }
    if (columns.size() == 1) {
        add("[" + columns[0] + "]null[vout]");
    } else {
        std::string f;
        for (const std::string& c : columns) f += "[" + c + "]";
        add(f + "hstack=inputs=" + std::to_string(columns.size()) + "[vout]");
    }
    std::vector<std::string> audio;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        if (tracks[i].source != "audio") continue;
        const std::string a = "a" + std::to_string(i);
        add("[" + std::to_string(i) + ":a]asetpts=PTS-STARTPTS,aresample=48000,adelay=delays=" +
            std::to_string(std::max<int64_t>(tracks[i].offset_ms, 0)) + ":all=1[" + a + "]");
        audio.push_back(a);
    }
    if (audio.size() == 1) {
        add("[" + audio[0] + "]anull[aout]");
    } else if (audio.size() > 1) {
        std::string f;
        for (const std::string& a : audio) f += "[" + a + "]";
        add(f + "amix=inputs=" + std::to_string(audio.size()) + ":duration=longest:dropout_transition=0:normalize=0[aout]");
    }
    args.insert(args.end(), {"-filter_complex", graph, "-map", "[vout]"});
    if (!audio.empty()) args.insert(args.end(), {"-map", "[aout]"});
    const int kbps = s.video_kbps_per_column * static_cast<int>(std::max<std::size_t>(columns.size(), 1));
    args.insert(args.end(), {"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", std::to_string(s.cpu_used),
                             "-b:v", std::to_string(kbps) + "k", "-g", std::to_string(s.fps * 4), "-auto-alt-ref", "0",
                             "-static-thresh", "100", "-slices", "2", "-threads", std::to_string(s.threads)});
    if (!audio.empty()) args.insert(args.end(), {"-c:a", "libopus", "-b:a", std::to_string(s.audio_kbps) + "k"});
    args.insert(args.end(), {"-t", dur, "-f", "webm", out});
    return args;
}

// ---- states ----

ClaimAction claim_action(const ClaimInput& in) {
    if (in.state == "stopped") return in.manifest_present || in.grace_over ? ClaimAction::Process : ClaimAction::Skip;
    if (in.state == "processing") {
        if (!in.lease_expired) return ClaimAction::Skip;
        return in.attempts >= in.max_attempts ? ClaimAction::Fail : ClaimAction::Process;
    }
    return ClaimAction::Skip;
}

AfterFailure after_failure(unsigned attempts, unsigned max_attempts, unsigned retry_delay_s) {
    if (attempts >= max_attempts) return {"failed", 0};
    int64_t delay = retry_delay_s;
    for (unsigned i = 1; i < attempts && delay < 86400; ++i) delay *= 2;
    return {"stopped", std::min<int64_t>(delay, 86400)};
}

const char* outcome_state(bool incomplete) { return incomplete ? "incomplete" : "available"; }

}  // namespace telemed::recplan
