// Playback link tokens (common/playback_link.hpp).
//
// 1. The input is a token, verified against a fixed ring of two keys at a
//    fixed time. A success must carry claims within the documented rules
//    (a kid of the ring, lower-case UUIDs, now < exp <= the time cap) and be
//    canonical: minting those claims with that kid's key gives the input
//    back byte for byte. A failure leaves the claims empty. Another ring
//    (same kids, other secrets) never accepts it.
// 2. The input's bytes become claims (link id, recording id, exp, which
//    key): verify(mint(c)) gives exactly the outcome the rules predict
//    (None, or Expired at and after exp), and any one changed character of
//    the minted token is refused.
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/playback_link.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

constexpr int64_t kNow = 1900000000;  // 2030-03-17

const PlaybackKeys& ring() {
    static const PlaybackKeys k{{"pb2", "fuzz-playback-two-0123456789abcdef012345"},
                                {"pb1.old", "fuzz-playback-one-abcdefghijklmnopqrstuv"}};
    return k;
}

const PlaybackKeys& other_ring() {
    static const PlaybackKeys k{{"pb2", "another-secret-two-0123456789abcdef01234"},
                                {"pb1.old", "another-secret-one-abcdefghijklmnopqrstu"}};
    return k;
}

bool empty_claims(const PlaybackLinkClaims& c) {
    return c.kid.empty() && c.link_id.empty() && c.recording_id.empty() && c.exp == 0;
}

void check_verified(std::string_view text, const PlaybackLinkResult& r) {
    if (!r.ok()) {
        FUZZ_CHECK(empty_claims(r.claims));
        return;
    }
    const PlaybackLinkClaims& c = r.claims;
    FUZZ_CHECK(text.size() <= kMaxPlaybackLinkInput);
    FUZZ_CHECK(fuzz::uuid_shape(c.link_id, true) && fuzz::uuid_shape(c.recording_id, true));
    FUZZ_CHECK(c.exp > kNow && c.exp <= kMaxPlaybackTime);
    const PlaybackKey* key = nullptr;
    for (const PlaybackKey& k : ring())
        if (k.kid == c.kid) key = &k;
    FUZZ_CHECK(key != nullptr);
    FUZZ_CHECK(mint_playback_link(c.link_id, c.recording_id, c.exp, *key) == text);
    FUZZ_CHECK(!verify_playback_link(text, other_ring(), kNow).ok());
}

std::string uuid_of(std::string_view bytes16) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        const auto b = static_cast<unsigned char>(i < bytes16.size() ? bytes16[i] : 0);
        s.push_back(kHex[b >> 4]);
        s.push_back(kHex[b & 0xF]);
    }
    return s;
}

void check_mint_round_trip(std::string_view in) {
    if (in.size() < 43) return;
    const std::string lid = uuid_of(in.substr(0, 16));
    const std::string rid = uuid_of(in.substr(16, 16));
    uint64_t raw = 0;
    for (char ch : in.substr(32, 8)) raw = (raw << 8) | static_cast<unsigned char>(ch);
    // exp near now (both sides of the boundary) or anywhere in range.
    const int64_t exp = (in[40] & 1) ? kNow - 1000 + static_cast<int64_t>(raw % 2000)
                                     : static_cast<int64_t>(raw % (static_cast<uint64_t>(kMaxPlaybackTime) + 1));
    const PlaybackKey& key = ring()[static_cast<unsigned char>(in[41]) % 2];
    const std::string token = mint_playback_link(lid, rid, exp, key);
    const PlaybackLinkResult r = verify_playback_link(token, ring(), kNow);
    const PlaybackLinkError want = kNow >= exp ? PlaybackLinkError::Expired : PlaybackLinkError::None;
    FUZZ_CHECK(r.error == want);
    if (r.ok()) FUZZ_CHECK(r.claims.link_id == lid && r.claims.recording_id == rid && r.claims.exp == exp);
    check_verified(token, r);
    // One changed character: refused.
    std::string x = token;
    const std::size_t at = static_cast<unsigned char>(in[42]) % x.size();
    x[at] = x[at] == 'A' ? 'B' : 'A';
    FUZZ_CHECK(!verify_playback_link(x, ring(), 0).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    check_verified(in, verify_playback_link(in, ring(), kNow));
    check_mint_round_trip(in);
    return 0;
}
