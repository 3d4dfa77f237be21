// Just enough SDP for the plugin's decisions (see sdp.hpp).
//
// The parser reads what the plan needs and skips everything else; it is
// not an SDP validator (Janus parses the offer again, fully, before it
// answers). Exactly what it does, where sdp.hpp is silent:
//
// Lines
//  - Lines end with LF, optionally preceded by CR; the last line may lack
//    its end. Trailing spaces and tabs are ignored; empty lines are skipped.
//  - Every other line must look like "<letter a-z>=...", else the text is not
//    SDP and parse() refuses it. Line types other than m= and a= are skipped.
//
// m= lines: "m=<media> <port>[/<count>] <proto> <fmt> [<fmt>...]"
//  - Fields are separated by one or more spaces. <media> "audio", "video" and
//    "application" give the Kind, anything else is Kind::Other. <port> is
//    0..65535 (the optional "/<count>" must be digits too). At least one
//    <fmt>. For audio and video every <fmt> must be a payload type 0..127;
//    for the other kinds the formats are not read ("webrtc-datachannel").
//  - rejected = port 0, except when the section carries a=bundle-only: that
//    is an offerer's bundled m-line (RFC 8843 section 6; Firefox writes them),
//    not a rejected one.
//  - A repeated payload type in the format list counts once.
//
// a= lines inside an m-section
//  - a=mid:<id>: 1..kMaxMidChars characters of the RFC 4566 token alphabet
//    (printable ASCII without space and "(),/:;<=>?@[\]), so a mid is
//    always safe to echo in JSON. Longer, empty, invalid, twice in one
//    section, or the same mid in two sections: the text is refused.
//  - a=sendrecv / a=sendonly / a=recvonly / a=inactive (exactly, no value):
//    the direction. Two of them in one section: refused (an ambiguous
//    direction is a permission question, so it is not guessed).
//  - a=rtpmap:<pt> <name>/<clock>[/<params>]: names payload type <pt> of
//    this section, lower-cased. A line that does not have this shape (name
//    of 1..32 characters [A-Za-z0-9._-], clock of digits) is ignored, as is
//    a second rtpmap for the same payload type (the first one wins) and one
//    for a payload type not in the format list.
//  - a=bundle-only: see rejected above. Every other attribute is skipped.
// Session-level a= lines (before the first m=)
//  - a direction attribute there is the default of every m-section that has
//    none of its own (RFC 4566 section 6); two of them are refused. Others
//    are skipped.
//
// Codecs of an m-line: the formats in m-line order that have a name, either
// from their rtpmap or, without one, the static payload types 0 "pcmu",
// 8 "pcma" and 9 "g722" (RFC 3551). Other unnamed formats are left out.
//
// Refusals carry short texts of our own words (never a piece of the input).
// parse() never throws: an exception (bad_alloc) becomes nullopt.
//
// plan_answer, where sdp.hpp is silent:
//  - A hint applies to the m-line whose mid equals the hint's mid (the first
//    such hint if several); m-lines without a mid get no hint. Hints naming a
//    recvonly m-line are not used.
//  - Unhinted sending m-lines are numbered per kind in offer order: audio
//    #1 is Audio, #2 and later are Inactive (source Audio); video #1 is
//    Video, #2 Screen, #3 and later are Inactive (source Screen). Hinted
//    m-lines do not take a number.
//  - A hint whose source does not fit the m-line's kind: Inactive with the
//    hinted source as "intended source" (what the client claimed).
//  - "Two m-lines may not publish the same source": a source is taken by the
//    first m-line planned Publish for it; an earlier m-line that was Inactive
//    (no permission, no codec) does not take it.
//  - Recvonly m-line: no codec of its kind offered -> Reject (whatever the
//    permissions); else no subscribe -> Inactive (not counted as a slot);
//    else over max_slots_per_kind Slot m-lines of that kind -> Reject;
//    else Slot. The source of a Slot / its Inactive is Audio for an audio
//    m-line and Video for a video m-line (a video slot carries either).
//  - codec is "opus" / "vp8" for every non-Reject entry, empty for Reject,
//    whose source is Audio.
#include "plugin/sdp.hpp"

#include <array>
#include <bitset>
#include <new>

namespace telemed::plugin::sdp {
namespace {

constexpr std::size_t kMaxCodecNameChars = 32;
constexpr uint32_t kMaxPayloadType = 127;
constexpr std::size_t kPayloadTypes = kMaxPayloadType + 1;
constexpr std::string_view kAudioCodec = "opus";
constexpr std::string_view kVideoCodec = "vp8";

// Sets `*error` without ever throwing: every text is short enough for the
// small-string buffer, and a failure to copy only loses the text.
void set_error(std::string* error, const char* text) noexcept {
    if (error == nullptr) return;
    try {
        *error = text;
    } catch (...) {
        // keep whatever it held: the nullopt result is what matters
    }
}

// Splits off the next line of `rest` (LF or CRLF), trailing blanks removed.
std::string_view next_line(std::string_view* rest) {
    std::string_view line;
    const std::size_t nl = rest->find('\n');
    if (nl == std::string_view::npos) {
        line = *rest;
        *rest = {};
    } else {
        line = rest->substr(0, nl);
        rest->remove_prefix(nl + 1);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    return line;
}

// Splits off the next space-separated field of `rest` (runs of spaces are
// one separator). Empty when there is none left.
std::string_view next_field(std::string_view* rest) {
    while (!rest->empty() && rest->front() == ' ') rest->remove_prefix(1);
    const std::size_t sp = rest->find(' ');
    const std::string_view f = rest->substr(0, sp);
    rest->remove_prefix(sp == std::string_view::npos ? rest->size() : sp);
    return f;
}

// Decimal digits only, non-empty, value <= max.
bool parse_uint(std::string_view s, uint32_t max, uint32_t* out) {
    if (s.empty() || s.size() > 10) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > max) return false;
    *out = static_cast<uint32_t>(v);
    return true;
}

// RFC 4566 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
bool is_token_char(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e ||
           (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

bool valid_mid(std::string_view s) {
    if (s.empty() || s.size() > kMaxMidChars) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

bool is_codec_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::optional<Direction> parse_direction(std::string_view attr) {
    if (attr == "sendrecv") return Direction::SendRecv;
    if (attr == "sendonly") return Direction::SendOnly;
    if (attr == "recvonly") return Direction::RecvOnly;
    if (attr == "inactive") return Direction::Inactive;
    return std::nullopt;
}

// "<pt> <name>/<clock>[/...]" -> pt and name (a view into the text).
bool parse_rtpmap(std::string_view value, uint8_t* pt, std::string_view* name) {
    uint32_t p = 0;
    if (!parse_uint(next_field(&value), kMaxPayloadType, &p)) return false;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    const std::size_t slash = value.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash > kMaxCodecNameChars) return false;
    const std::string_view n = value.substr(0, slash);
    for (char c : n)
        if (!is_codec_name_char(c)) return false;
    std::string_view rest = value.substr(slash + 1);
    const std::size_t end = rest.find('/');
    uint32_t clock = 0;
    if (!parse_uint(rest.substr(0, end), UINT32_MAX, &clock)) return false;
    *pt = static_cast<uint8_t>(p);
    *name = n;
    return true;
}

// "a=extmap:<id>[/<direction>] <uri> [<attributes>]" (RFC 8285): the id
// (1..255; 1..14 for one-byte headers, up to 255 with two-byte ones) and the
// URI. false if it cannot be read.
bool parse_extmap(std::string_view value, uint32_t* id, std::string_view* uri) {
    std::string_view head = next_field(&value);
    const std::size_t slash = head.find('/');
    if (!parse_uint(head.substr(0, slash), 255, id) || *id == 0) return false;
    *uri = next_field(&value);
    return !uri->empty();
}

// One a=extmap line: its m-line (kSessionLevel above the first m=), id, URI.
constexpr std::size_t kSessionLevel = SIZE_MAX;
struct ExtMap {
    std::size_t mline = kSessionLevel;
    uint32_t id = 0;
    std::string_view uri;
};

// One mid of an a=group:BUNDLE line, and which such line (group) it is in.
struct BundleMid {
    std::string_view mid;
    std::size_t group = 0;
};

// RFC 8285 section 5 and RFC 8843 section 9.2: an extension id names one
// extension within an m-line and within a BUNDLE group (whose m-lines share
// one RTP session); session-level extmaps apply to every m-line. `extmaps`
// is in SDP order (session level first). Returns false on the first id used
// for two URIs.
bool extmaps_consistent(const std::vector<ExtMap>& extmaps, const std::vector<MLine>& mlines,
                        const std::vector<BundleMid>& bundle_mids, std::size_t groups) {
    using Table = std::array<std::string_view, 256>;
    constexpr std::size_t kNoGroup = SIZE_MAX;
    std::vector<std::size_t> group_of(mlines.size(), kNoGroup);  // <= kMaxMLines x kMaxMLines comparisons
    for (std::size_t i = 0; i < mlines.size(); ++i)
        for (const BundleMid& b : bundle_mids)
            if (!mlines[i].mid.empty() && b.mid == mlines[i].mid) group_of[i] = b.group;
    auto claim = [](Table& table, const ExtMap& e) {
        std::string_view& slot = table[e.id];
        if (!slot.empty() && slot != e.uri) return false;
        slot = e.uri;
        return true;
    };
    Table session{};             // session-level extmaps
    Table own{};                 // the current m-line's, starting from the session's
    std::vector<Table> bundle;   // per group, starting from the session's (made at the first m-line)
    std::size_t own_mline = kSessionLevel;
    for (const ExtMap& e : extmaps) {
        if (e.mline == kSessionLevel) {
            if (!claim(session, e)) return false;
            continue;
        }
        if (bundle.empty()) bundle.assign(groups, session);
        if (e.mline != own_mline) {
            own = session;
            own_mline = e.mline;
        }
        if (!claim(own, e)) return false;
        const std::size_t g = e.mline < group_of.size() ? group_of[e.mline] : kNoGroup;
        if (g != kNoGroup && g < bundle.size() && !claim(bundle[g], e)) return false;
    }
    return true;
}

std::string_view static_codec_name(uint8_t pt) {
    switch (pt) {
        case 0: return "pcmu";
        case 8: return "pcma";
        case 9: return "g722";
        default: return {};
    }
}

// One m-section while it is being read.
struct Section {
    MLine m;
    uint32_t port = 0;
    bool bundle_only = false;
    bool has_mid = false;
    bool has_direction = false;
    std::vector<uint8_t> formats;            // payload types in m-line order, each once
    std::bitset<kPayloadTypes> in_formats;   // membership of `formats`
    std::array<std::string_view, kPayloadTypes> rtpmap{};  // names by payload type (views into the text)
};

// Reads "m=" line value into `s`. false if it cannot be read.
bool parse_mline(std::string_view value, Section* s) {
    const std::string_view media = next_field(&value);
    const std::string_view port = next_field(&value);
    const std::string_view proto = next_field(&value);
    if (media.empty() || port.empty() || proto.empty()) return false;
    if (media == "audio") s->m.kind = Kind::Audio;
    else if (media == "video") s->m.kind = Kind::Video;
    else if (media == "application") s->m.kind = Kind::Application;
    else s->m.kind = Kind::Other;

    const std::size_t slash = port.find('/');
    uint32_t count = 0;
    if (!parse_uint(port.substr(0, slash), 65535, &s->port)) return false;
    if (slash != std::string_view::npos && !parse_uint(port.substr(slash + 1), 65535, &count)) return false;

    const bool rtp_kind = s->m.kind == Kind::Audio || s->m.kind == Kind::Video;
    std::size_t n = 0;
    for (std::string_view f = next_field(&value); !f.empty(); f = next_field(&value)) {
        ++n;
        if (!rtp_kind) continue;
        uint32_t pt = 0;
        if (!parse_uint(f, kMaxPayloadType, &pt)) return false;
        if (s->in_formats.test(pt)) continue;
        s->in_formats.set(pt);
        s->formats.push_back(static_cast<uint8_t>(pt));
    }
    return n > 0;
}

// Turns a finished section into its MLine (codecs named, rejected decided).
MLine finish(Section* s, std::optional<Direction> session_direction) {
    MLine m = std::move(s->m);
    m.rejected = s->port == 0 && !s->bundle_only;
    if (!s->has_direction && session_direction) m.direction = *session_direction;
    for (uint8_t pt : s->formats) {
        std::string_view name = s->rtpmap[pt];
        if (name.empty()) name = static_codec_name(pt);
        if (name.empty()) continue;
        Codec c;
        c.pt = pt;
        c.name.reserve(name.size());
        for (char ch : name) c.name.push_back(lower(ch));
        m.codecs.push_back(std::move(c));
    }
    return m;
}

// The parser proper; may throw bad_alloc (parse() catches it).
std::optional<Session> parse_text(std::string_view text, std::string* error) {
    if (text.empty()) {
        set_error(error, "empty SDP");
        return std::nullopt;
    }
    if (text.size() > kMaxSdpBytes) {
        set_error(error, "SDP too large");
        return std::nullopt;
    }
    Session session;
    std::optional<Section> cur;
    std::optional<Direction> session_direction;
    bool session_direction_seen = false;
    std::vector<ExtMap> extmaps;
    std::vector<BundleMid> bundle_mids;  // every a=group:BUNDLE line's mids (views into the text)
    std::size_t bundle_groups = 0;

    std::string_view rest = text;
    while (!rest.empty()) {
        const std::string_view line = next_line(&rest);
        if (line.empty()) continue;
        if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
            set_error(error, "not an SDP line");
            return std::nullopt;
        }
        const std::string_view value = line.substr(2);
        if (line[0] == 'm') {
            if (cur) session.mlines.push_back(finish(&*cur, session_direction));
            if (session.mlines.size() >= kMaxMLines) {
                set_error(error, "too many m-lines");
                return std::nullopt;
            }
            cur.emplace();
            cur->m.index = session.mlines.size();
            if (!parse_mline(value, &*cur)) {
                set_error(error, "unreadable m-line");
                return std::nullopt;
            }
            continue;
        }
        if (line[0] != 'a') continue;

        const std::size_t colon = value.find(':');
        const std::string_view name = value.substr(0, colon);
        const bool has_value = colon != std::string_view::npos;
        const std::string_view attr_value = has_value ? value.substr(colon + 1) : std::string_view{};
        const std::optional<Direction> dir = has_value ? std::nullopt : parse_direction(name);

        if (name == "extmap" && has_value) {
            ExtMap e;
            e.mline = cur ? cur->m.index : kSessionLevel;
            if (!parse_extmap(attr_value, &e.id, &e.uri)) {
                set_error(error, "unreadable extmap");
                return std::nullopt;
            }
            extmaps.push_back(e);
            continue;
        }
        if (!cur) {  // session level
            if (name == "group" && has_value && attr_value.substr(0, 7) == "BUNDLE ") {
                std::string_view mids = attr_value.substr(7);
                for (std::string_view mid = next_field(&mids); !mid.empty(); mid = next_field(&mids)) {
                    if (bundle_mids.size() >= kMaxMLines) {
                        set_error(error, "BUNDLE group too long");
                        return std::nullopt;
                    }
                    bundle_mids.push_back({mid, bundle_groups});
                }
                ++bundle_groups;
                continue;
            }
            if (dir) {
                if (session_direction_seen) {
                    set_error(error, "conflicting session directions");
                    return std::nullopt;
                }
                session_direction_seen = true;
                session_direction = dir;
            }
            continue;
        }
        if (dir) {
            if (cur->has_direction) {
                set_error(error, "conflicting m-line directions");
                return std::nullopt;
            }
            cur->has_direction = true;
            cur->m.direction = *dir;
        } else if (name == "mid" && has_value) {
            if (cur->has_mid) {
                set_error(error, "two mids in one m-line");
                return std::nullopt;
            }
            if (!valid_mid(attr_value)) {
                set_error(error, attr_value.size() > kMaxMidChars ? "mid too long" : "invalid mid");
                return std::nullopt;
            }
            cur->has_mid = true;
            cur->m.mid.assign(attr_value);
        } else if (name == "rtpmap" && has_value) {
            uint8_t pt = 0;
            std::string_view codec;
            if (parse_rtpmap(attr_value, &pt, &codec) && cur->in_formats.test(pt) && cur->rtpmap[pt].empty())
                cur->rtpmap[pt] = codec;
        } else if (name == "bundle-only" && !has_value) {
            cur->bundle_only = true;
        }
    }
    if (cur) session.mlines.push_back(finish(&*cur, session_direction));
    if (session.mlines.empty()) {
        set_error(error, "no m-line");
        return std::nullopt;
    }
    for (std::size_t i = 0; i < session.mlines.size(); ++i) {
        if (session.mlines[i].mid.empty()) continue;
        for (std::size_t j = i + 1; j < session.mlines.size(); ++j) {
            if (session.mlines[i].mid == session.mlines[j].mid) {
                set_error(error, "repeated mid");
                return std::nullopt;
            }
        }
    }
    if (!extmaps_consistent(extmaps, session.mlines, bundle_mids, bundle_groups)) {
        set_error(error, "one RTP header extension id used for two extensions");
        return std::nullopt;
    }
    return session;
}

const SourceHint* find_hint(const std::vector<SourceHint>& hints, const std::string& mid) {
    if (mid.empty()) return nullptr;
    for (const SourceHint& h : hints)
        if (h.mid == mid) return &h;
    return nullptr;
}

bool valid_source(Source s) { return static_cast<std::size_t>(s) < kSourceCount; }

}  // namespace

std::optional<Session> parse(std::string_view text, std::string* error) {
    try {
        return parse_text(text, error);
    } catch (...) {  // bad_alloc, length_error: refuse the text, never throw into the caller
        set_error(error, "out of memory");
        return std::nullopt;
    }
}

std::vector<MLinePlan> plan_answer(const Session& offer, const PlanInput& in) {
    std::vector<MLinePlan> plan;
    plan.reserve(offer.mlines.size());
    std::array<bool, kSourceCount> taken{};
    std::size_t unhinted_audio = 0;
    std::size_t unhinted_video = 0;
    std::size_t audio_slots = 0;
    std::size_t video_slots = 0;

    for (const MLine& m : offer.mlines) {
        MLinePlan p;
        p.index = m.index;
        const bool media = m.kind == Kind::Audio || m.kind == Kind::Video;
        if (!media || m.rejected || m.direction == Direction::Inactive) {
            plan.push_back(std::move(p));  // Reject
            continue;
        }
        const bool video = m.kind == Kind::Video;
        const std::string_view codec = video ? kVideoCodec : kAudioCodec;
        const bool codec_offered = payload_type_of(m, codec).has_value();
        p.source = video ? Source::Video : Source::Audio;

        std::size_t& slots = video ? video_slots : audio_slots;
        const bool may_subscribe = has(in.granted, Permission::Subscribe);
        if (sends(m.direction)) {
            bool fits = true;  // the source is one this m-line may carry
            if (const SourceHint* h = find_hint(in.hints, m.mid)) {
                if (valid_source(h->source)) {
                    p.source = h->source;
                    fits = is_video(h->source) == video;
                } else {
                    fits = false;
                }
            } else if (video) {
                p.source = unhinted_video == 0 ? Source::Video : Source::Screen;
                fits = ++unhinted_video <= 2;
            } else {
                fits = ++unhinted_audio == 1;
            }
            const auto s = static_cast<std::size_t>(p.source);
            const bool ok = fits && has(in.granted, permission_for(p.source)) && codec_offered && !taken[s];
            if (ok) taken[s] = true;
            // The receiving half of a sendrecv m-line is a slot like a recvonly one.
            const bool slot = receives(m.direction) && codec_offered && may_subscribe && slots < in.max_slots_per_kind;
            if (slot) p.pair = static_cast<int>(slots++);
            p.use = ok ? (slot ? Use::Both : Use::Publish) : (slot ? Use::Slot : Use::Inactive);
            p.codec = codec;
        } else {  // RecvOnly: a subscription slot
            if (!codec_offered) {
                p.source = Source::Audio;  // Reject
            } else if (!may_subscribe) {
                p.use = Use::Inactive;
                p.codec = codec;
            } else if (slots >= in.max_slots_per_kind) {
                p.source = Source::Audio;  // Reject
            } else {
                p.pair = static_cast<int>(slots++);
                p.use = Use::Slot;
                p.codec = codec;
            }
        }
        plan.push_back(std::move(p));
    }
    return plan;
}

bool answer_respects_plan(const Session& answer, const std::vector<MLinePlan>& plan) {
    if (answer.mlines.size() != plan.size()) return false;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const MLine& a = answer.mlines[i];
        if (a.rejected) continue;  // a rejected m-line carries nothing, whatever the plan
        switch (plan[i].use) {
            case Use::Reject: return false;
            case Use::Inactive:
                if (a.direction != Direction::Inactive) return false;
                break;
            case Use::Publish:
                if (a.direction != Direction::RecvOnly) return false;
                break;
            case Use::Slot:
                if (a.direction != Direction::SendOnly) return false;
                break;
            case Use::Both:
                if (a.direction != Direction::SendRecv) return false;
                break;
        }
    }
    return true;
}

std::optional<uint8_t> payload_type_of(const MLine& m, std::string_view codec) {
    for (const Codec& c : m.codecs)
        if (iequals(c.name, codec)) return c.pt;
    return std::nullopt;
}

}  // namespace telemed::plugin::sdp
