// Participant credential codec (common/credential.hpp).
//
// 1. The input is a credential text, verified with a fixed secret. An
//    accepted one is exactly kCredentialLength characters, its claims are
//    in range with lower-case UUIDs, and minting those claims gives back the
//    very same text (the encoding is canonical: one text per claim set). It
//    is refused under another secret. A refusal leaves the claims empty.
// 2. The first 48 bytes of the input (zero-padded) become a payload's
//    fields (ids from 16 bytes each, epoch and issued-at folded into
//    range): mint then verify gives the same claims back, and changing any
//    one character of the minted text makes it refused.
#include <cstring>
#include <string>
#include <string_view>

#include "common/credential.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

constexpr std::string_view kSecret = "fuzz-credential-secret-0123456789abcdef";
constexpr std::string_view kOther = "fuzz-credential-other-abcdefghijklmnopqrs";

bool same(const CredentialClaims& a, const CredentialClaims& b) {
    return a.session_id == b.session_id && a.participant_id == b.participant_id && a.epoch == b.epoch &&
           a.issued_at == b.issued_at;
}

void check_verify(std::string_view in) {
    const CredentialResult r = verify_credential(in, kSecret);
    if (!r.ok()) {
        FUZZ_CHECK(same(r.claims, CredentialClaims{}));
        return;
    }
    FUZZ_CHECK(in.size() == kCredentialLength);
    FUZZ_CHECK(in.substr(0, kCredentialPrefix.size()) == kCredentialPrefix);
    FUZZ_CHECK(fuzz::uuid_shape(r.claims.session_id, true) && fuzz::uuid_shape(r.claims.participant_id, true));
    FUZZ_CHECK(r.claims.epoch >= 0 && r.claims.epoch <= kMaxCredentialEpoch);
    FUZZ_CHECK(r.claims.issued_at >= 0 && r.claims.issued_at <= kMaxCredentialTime);
    FUZZ_CHECK(mint_credential(r.claims, kSecret) == in);
    FUZZ_CHECK(verify_credential(in, kOther).error == CredentialError::BadSignature);
}

std::string uuid_from(const unsigned char* b) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        s.push_back(kHex[b[i] >> 4]);
        s.push_back(kHex[b[i] & 0xF]);
    }
    return s;
}

uint64_t u64_from(const unsigned char* b) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
    return v;
}

void check_round_trip(const uint8_t* data, std::size_t size) {
    unsigned char f[48] = {0};
    std::memcpy(f, data, size < sizeof f ? size : sizeof f);
    CredentialClaims c;
    c.session_id = uuid_from(f);
    c.participant_id = uuid_from(f + 16);
    c.epoch = static_cast<int64_t>(u64_from(f + 32) % (static_cast<uint64_t>(kMaxCredentialEpoch) + 1));
    c.issued_at = static_cast<int64_t>(u64_from(f + 40) % (static_cast<uint64_t>(kMaxCredentialTime) + 1));
    const std::string t = mint_credential(c, kSecret);
    FUZZ_CHECK(t.size() == kCredentialLength);
    const CredentialResult r = verify_credential(t, kSecret);
    FUZZ_CHECK(r.ok() && same(r.claims, c));
    // One changed character (position and value from the input) is refused.
    const std::size_t pos = size > 48 ? data[48] % t.size() : size % t.size();
    std::string x = t;
    x[pos] = static_cast<char>(x[pos] ^ (size > 49 ? (data[49] | 1) : 1));
    FUZZ_CHECK(!verify_credential(x, kSecret).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check_verify(fuzz::as_view(data, size));
    check_round_trip(data, size);
    return 0;
}
