// SDP parsing and the answer plan (plugin/sdp.hpp). The input is an SDP text
// (offer or answer) from an untrusted client. Properties:
//  - parse never throws; a refusal has a short text of our own words that
//    echoes nothing of the input;
//  - an accepted session respects the bounds of sdp.hpp: 1..kMaxMLines
//    m-lines indexed in order, mids of 1..kMaxMidChars token characters and
//    unique, codecs only on audio/video m-lines with lower-case names and
//    distinct payload types 0..127;
//  - LF and CRLF line ends give the same session;
//  - for several permission sets and hints, plan_answer never grants what
//    the permissions or the offer do not allow (no Publish without the
//    source's permission, a sending direction and the codec; no Slot without
//    subscribe, a recvonly direction and the codec; no source published
//    twice; at most max_slots_per_kind slots per kind);
//  - answer_respects_plan accepts the answer that follows the plan exactly,
//    and refuses it as soon as one m-line that is not Reject receives more.
#include <string>
#include <string_view>
#include <vector>

#include "common/permissions.hpp"
#include "plugin/media_gate.hpp"
#include "plugin/sdp.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;
using namespace telemed::plugin;
using namespace telemed::plugin::sdp;

namespace {

bool token_char(unsigned char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e ||
           (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

bool codec_name_ok(const std::string& n) {
    if (n.empty() || n.size() > 32) return false;
    for (unsigned char c : n) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

void check_session(const Session& s) {
    FUZZ_CHECK(!s.mlines.empty() && s.mlines.size() <= kMaxMLines);
    for (std::size_t i = 0; i < s.mlines.size(); ++i) {
        const MLine& m = s.mlines[i];
        FUZZ_CHECK(m.index == i);
        FUZZ_CHECK(m.mid.size() <= kMaxMidChars);
        for (unsigned char c : m.mid) FUZZ_CHECK(token_char(c));
        for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(m.mid.empty() || s.mlines[j].mid != m.mid);
        if (m.kind != Kind::Audio && m.kind != Kind::Video) FUZZ_CHECK(m.codecs.empty());
        for (std::size_t c = 0; c < m.codecs.size(); ++c) {
            FUZZ_CHECK(m.codecs[c].pt <= 127);
            FUZZ_CHECK(codec_name_ok(m.codecs[c].name));
            for (std::size_t d = 0; d < c; ++d) FUZZ_CHECK(m.codecs[d].pt != m.codecs[c].pt);
        }
    }
}

// The same session, field by field.
bool same(const Session& a, const Session& b) {
    if (a.mlines.size() != b.mlines.size()) return false;
    for (std::size_t i = 0; i < a.mlines.size(); ++i) {
        const MLine& x = a.mlines[i];
        const MLine& y = b.mlines[i];
        if (x.index != y.index || x.kind != y.kind || x.rejected != y.rejected || x.mid != y.mid ||
            x.direction != y.direction || x.codecs.size() != y.codecs.size())
            return false;
        for (std::size_t c = 0; c < x.codecs.size(); ++c)
            if (x.codecs[c].pt != y.codecs[c].pt || x.codecs[c].name != y.codecs[c].name) return false;
    }
    return true;
}

std::string crlf_to_lf(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
        out.push_back(in[i]);
    }
    return out;
}

bool offered(const MLine& m, std::string_view codec) { return payload_type_of(m, codec).has_value(); }

void check_plan(const Session& s, const PlanInput& in) {
    const std::vector<MLinePlan> plan = plan_answer(s, in);
    FUZZ_CHECK(plan.size() == s.mlines.size());
    bool published[kSourceCount] = {};
    std::size_t slots[2] = {};
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const MLinePlan& p = plan[i];
        const MLine& m = s.mlines[i];
        FUZZ_CHECK(p.index == m.index);
        const bool media = m.kind == Kind::Audio || m.kind == Kind::Video;
        const bool video = m.kind == Kind::Video;
        const char* codec = video ? "vp8" : "opus";
        if (p.use == Use::Reject) {
            FUZZ_CHECK(p.codec.empty());
            continue;
        }
        FUZZ_CHECK(media && !m.rejected && m.direction != Direction::Inactive);
        FUZZ_CHECK(p.codec == codec);
        FUZZ_CHECK(static_cast<std::size_t>(p.source) < kSourceCount);
        if (publishes(p.use)) {
                FUZZ_CHECK(sends(m.direction));
                FUZZ_CHECK(is_video(p.source) == video);
                FUZZ_CHECK(has(in.granted, permission_for(p.source)));
                FUZZ_CHECK(offered(m, codec));
                FUZZ_CHECK(!published[static_cast<std::size_t>(p.source)]);
                published[static_cast<std::size_t>(p.source)] = true;
        }
        if (is_slot(p.use)) {
                FUZZ_CHECK(receives(m.direction));
                FUZZ_CHECK(has(in.granted, Permission::Subscribe));
                FUZZ_CHECK(offered(m, codec));
                FUZZ_CHECK(++slots[video ? 1 : 0] <= in.max_slots_per_kind);
        }
        // A sendrecv m-line is a slot whenever a slot could be had.
        if (m.direction == Direction::SendRecv && has(in.granted, Permission::Subscribe) && offered(m, codec) &&
            slots[video ? 1 : 0] < in.max_slots_per_kind)
            FUZZ_CHECK(is_slot(p.use));
        if (p.use == Use::Inactive) {
                // Only a sending m-line, or a slot refused for want of subscribe.
                FUZZ_CHECK(sends(m.direction) || !has(in.granted, Permission::Subscribe));
        }
    }

    // The answer that follows the plan exactly is accepted...
    Session answer;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        MLine a;
        a.index = i;
        a.kind = s.mlines[i].kind;
        switch (plan[i].use) {
            case Use::Reject: a.rejected = true; break;
            case Use::Inactive: a.direction = Direction::Inactive; break;
            case Use::Publish: a.direction = Direction::RecvOnly; break;
            case Use::Slot: a.direction = Direction::SendOnly; break;
            case Use::Both: a.direction = Direction::SendRecv; break;
        }
        answer.mlines.push_back(std::move(a));
    }
    FUZZ_CHECK(answer_respects_plan(answer, plan));
    // ... and one m-line that sends and receives more than planned is not.
    for (std::size_t i = 0; i < plan.size(); ++i) {
        if (plan[i].use == Use::Both) continue;  // sendrecv is the plan there
        MLine& a = answer.mlines[i];
        const MLine saved = a;
        a.rejected = false;
        a.direction = Direction::SendRecv;
        FUZZ_CHECK(!answer_respects_plan(answer, plan));
        a = saved;
    }
    // A missing m-line is refused too.
    answer.mlines.pop_back();
    FUZZ_CHECK(!answer_respects_plan(answer, plan));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    std::string err;
    const std::optional<Session> s = parse(in, &err);
    if (!s) {
        FUZZ_CHECK(!err.empty() && err.size() <= 64);
        FUZZ_CHECK(!fuzz::distinctive(err));  // constant texts stay within the plain alphabet
        FUZZ_CHECK(!fuzz::echoes(err, in, {}));
        return 0;
    }
    FUZZ_CHECK(!in.empty() && in.size() <= kMaxSdpBytes);
    check_session(*s);
    const std::optional<Session> lf = parse(crlf_to_lf(in));
    FUZZ_CHECK(lf && same(*s, *lf));
    // Parsing the session as an answer to itself is what the plugin does
    // with Janus's answer: it must never throw either.
    (void)answer_respects_plan(*s, plan_answer(*s, PlanInput{}));

    // Plans for the role defaults and for permission sets taken from the
    // input, with hints naming the offer's own mids.
    const uint8_t seed = size ? data[size - 1] : 0;
    std::vector<SourceHint> hints;
    for (std::size_t i = 0; i < s->mlines.size() && hints.size() < 8; ++i) {
        if (s->mlines[i].mid.empty() || ((seed >> (i % 8)) & 1) == 0) continue;
        SourceHint h;
        h.mid = s->mlines[i].mid;
        h.source = static_cast<Source>((i + seed) % kSourceCount);
        hints.push_back(h);
    }
    for (std::size_t r = 0; r < kRoleCount; ++r) {
        PlanInput p;
        p.granted = default_permissions(static_cast<Role>(r), SessionKind::Consultation);
        check_plan(*s, p);
        p.hints = hints;
        p.max_slots_per_kind = seed % 4;
        check_plan(*s, p);
    }
    PlanInput any;
    any.granted = (static_cast<PermissionSet>(seed) * 0x9e37u) & kAllPermissions;
    any.hints = hints;
    check_plan(*s, any);
    return 0;
}
