// controller/storage/segment_crypto: the at-rest format of stored files.
#include "controller/storage/segment_crypto.hpp"

#include "common/crypto.hpp"
#include "tests/unit/test_common_support.hpp"

namespace sc = telemed::segcrypt;

namespace {

const std::string kKey(32, '\x11');
const std::string kOtherKey(32, '\x22');
const std::string kFile("0123456789abcdef", 16);

std::string seal_all(const std::string& plain, std::size_t chunk) {
    sc::Sealer s(kKey, kFile);
    std::string out;
    for (std::size_t i = 0; i < plain.size(); i += chunk)
        assert_true(s.update(reinterpret_cast<const uint8_t*>(plain.data() + i), std::min(chunk, plain.size() - i), &out));
    assert_true(s.finish(&out));
    return out;
}

// Opens every segment of `blob` for a file of `plain_size` bytes; nullopt when one fails.
std::optional<std::string> open_all(const std::string& blob, uint64_t plain_size, const std::string& key = kKey,
                                    const std::string& file = kFile) {
    if (blob.size() != sc::sealed_size(plain_size)) return std::nullopt;
    if (!sc::header_ok(std::string_view(blob).substr(0, sc::kHeaderBytes))) return std::nullopt;
    std::string out;
    const uint64_t n = sc::segment_count(plain_size);
    for (uint64_t i = 0; i < n; ++i) {
        const std::size_t len = sc::segment_plain_bytes(plain_size, i) + sc::kTagBytes;
        auto p = sc::open_segment(key, file, i, i + 1 == n, std::string_view(blob).substr(sc::segment_offset(i), len));
        if (!p) return std::nullopt;
        out += *p;
    }
    return out;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
    return s;
}

void round_trip(void**) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, sc::kSegmentBytes - 1, sc::kSegmentBytes,
                             sc::kSegmentBytes + 1, 3 * sc::kSegmentBytes + 17}) {
        const std::string plain = pattern(size);
        for (std::size_t chunk : {std::size_t{1000}, std::size_t{65536}, std::size_t{100000}}) {
            const std::string blob = seal_all(plain, chunk);
            assert_int_equal(blob.size(), sc::sealed_size(size));
            assert_true(blob.compare(0, sc::kHeaderBytes, sc::header()) == 0);
            auto back = open_all(blob, size);
            assert_true(back.has_value());
            assert_true(*back == plain);
        }
    }
}

void no_plaintext_at_rest(void**) {
    std::string plain;
    for (int i = 0; i < 5000; ++i) plain += "MARKER-PLAINTEXT ";
    const std::string blob = seal_all(plain, 4096);
    assert_true(blob.find("MARKER-PLAINTEXT") == std::string::npos);
}

void tamper_detected(void**) {
    const std::string plain = pattern(2 * sc::kSegmentBytes + 5);
    const std::string blob = seal_all(plain, 65536);
    for (std::size_t at : {sc::kHeaderBytes, sc::kHeaderBytes + 100, blob.size() - 1, std::size_t{3}}) {
        std::string bad = blob;
        bad[at] = static_cast<char>(bad[at] ^ 0x01);
        assert_false(open_all(bad, plain.size()).has_value());
    }
}

void truncation_detected(void**) {
    const std::string plain = pattern(2 * sc::kSegmentBytes);
    const std::string blob = seal_all(plain, 65536);
    // Dropping the last segment: the first one is not marked last.
    const std::size_t first_len = sc::kSegmentBytes + sc::kTagBytes;
    assert_false(sc::open_segment(kKey, kFile, 0, true, std::string_view(blob).substr(sc::segment_offset(0), first_len))
                     .has_value());
    // Cutting bytes off the end.
    assert_false(open_all(blob.substr(0, blob.size() - 1), plain.size()).has_value());
    assert_false(open_all(blob.substr(0, blob.size() - 10), plain.size() - 10).has_value());
}

void reorder_detected(void**) {
    const std::string plain = pattern(2 * sc::kSegmentBytes + 10);
    const std::string blob = seal_all(plain, 65536);
    const std::size_t seg = sc::kSegmentBytes + sc::kTagBytes;
    std::string swapped = blob.substr(0, sc::kHeaderBytes) + blob.substr(sc::kHeaderBytes + seg, seg) +
                          blob.substr(sc::kHeaderBytes, seg) + blob.substr(sc::kHeaderBytes + 2 * seg);
    assert_int_equal(swapped.size(), blob.size());
    assert_false(open_all(swapped, plain.size()).has_value());
}

void wrong_key_or_file(void**) {
    const std::string plain = pattern(1000);
    const std::string blob = seal_all(plain, 1000);
    assert_false(open_all(blob, plain.size(), kOtherKey).has_value());
    assert_false(open_all(blob, plain.size(), kKey, std::string("fedcba9876543210", 16)).has_value());
}

void key_wrap(void**) {
    const std::string master(32, '\x33');
    const std::string data = telemed::random_bytes(32);
    auto w = sc::wrap_key(master, kFile, data);
    assert_true(w.has_value());
    assert_int_equal(w->size(), sc::kWrappedKeyBytes);
    assert_true(w->find(data) == std::string::npos);
    auto u = sc::unwrap_key(master, kFile, *w);
    assert_true(u.has_value());
    assert_true(*u == data);
    assert_false(sc::unwrap_key(std::string(32, '\x34'), kFile, *w).has_value());
    assert_false(sc::unwrap_key(master, std::string("fedcba9876543210", 16), *w).has_value());
    std::string bad = *w;
    bad[20] = static_cast<char>(bad[20] ^ 1);
    assert_false(sc::unwrap_key(master, kFile, bad).has_value());
    assert_false(sc::wrap_key(master.substr(0, 31), kFile, data).has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),          cmocka_unit_test(no_plaintext_at_rest),
        cmocka_unit_test(tamper_detected),     cmocka_unit_test(truncation_detected),
        cmocka_unit_test(reorder_detected),    cmocka_unit_test(wrong_key_or_file),
        cmocka_unit_test(key_wrap),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
