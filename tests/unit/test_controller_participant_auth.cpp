// Unit tests for controller/http/participant_auth.cpp: every outcome of
// authenticate_participant() with a fake lookup, the order of the checks,
// and the problem each failure answers.
#include <optional>
#include <string>

#include "common/credential.hpp"
#include "controller/http/participant_auth.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;

namespace {

const char* const kSecret = "credential-secret-0123456789abcdef0123";
const char* const kSid = "11111111-1111-4111-8111-111111111111";
const char* const kPid = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
constexpr int64_t kIssued = 1900000000;

CredentialPolicy policy() {
    CredentialPolicy p;
    p.secret = kSecret;
    p.grace_s = 3600;
    p.max_ttl_s = 86400;
    return p;
}

std::string header(int64_t epoch = 2, const char* secret = kSecret) {
    CredentialClaims c;
    c.session_id = kSid;
    c.participant_id = kPid;
    c.epoch = epoch;
    c.issued_at = kIssued;
    return "Bearer " + mint_credential(c, secret);
}

// The fake database: one participant, state set per test.
ParticipantCredentialState g_state;
bool g_exists = true;
int g_lookups = 0;

std::optional<ParticipantCredentialState> lookup(const std::string& sid, const std::string& pid) {
    ++g_lookups;
    if (!g_exists || sid != kSid || pid != kPid) return std::nullopt;
    return g_state;
}

int reset(void**) {
    g_state = ParticipantCredentialState{};
    g_state.active = true;
    g_state.epoch = 2;
    g_state.session_status = SessionStatus::Active;
    g_exists = true;
    g_lookups = 0;
    return 0;
}

ParticipantAuthError run(const std::string& h, int64_t now = kIssued + 60,
                         std::optional<std::string_view> route = std::nullopt) {
    return authenticate_participant(h, policy(), now, lookup, route).error;
}

void test_valid(void**) {
    ParticipantAuth a = authenticate_participant(header(), policy(), kIssued + 60, lookup);
    assert_true(a.ok());
    assert_string_equal(a.principal.session_id.c_str(), kSid);
    assert_string_equal(a.principal.participant_id.c_str(), kPid);
    assert_int_equal(a.principal.epoch, 2);
    assert_int_equal(a.principal.expires_at, kIssued + 86400);
    assert_string_equal(a.principal.actor().c_str(), (std::string("participant:") + kPid).c_str());
    g_state.session_status = SessionStatus::Scheduled;
    assert_int_equal(run(header()), ParticipantAuthError::None);
    assert_int_equal(run("bearer   " + header().substr(7) + "  "), ParticipantAuthError::None);
}

void test_missing_and_invalid_before_any_lookup(void**) {
    assert_int_equal(run(""), ParticipantAuthError::Missing);
    assert_int_equal(run("Bearer "), ParticipantAuthError::Missing);
    assert_int_equal(run("Basic " + header().substr(7)), ParticipantAuthError::Missing);
    assert_int_equal(run("Bearer garbage"), ParticipantAuthError::Invalid);
    assert_int_equal(run(header(2, "another-secret-0123456789abcdef01234567")), ParticipantAuthError::Invalid);
    std::string tampered = header();
    tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
    assert_int_equal(run(tampered), ParticipantAuthError::Invalid);
    assert_int_equal(g_lookups, 0);
}

void test_unknown_revoked_expired(void**) {
    g_exists = false;
    assert_int_equal(run(header()), ParticipantAuthError::Invalid);
    g_exists = true;
    g_state.epoch = 3;  // revoked since
    assert_int_equal(run(header()), ParticipantAuthError::Invalid);
    g_state.epoch = 2;
    assert_int_equal(run(header(), kIssued + 86399), ParticipantAuthError::None);
    assert_int_equal(run(header(), kIssued + 86400), ParticipantAuthError::Invalid);
}

void test_removed(void**) {
    g_state.active = false;
    assert_int_equal(run(header()), ParticipantAuthError::Removed);
    g_state.session_status = SessionStatus::Ended;  // removed wins over closed
    g_state.closed_at_s = kIssued;
    assert_int_equal(run(header()), ParticipantAuthError::Removed);
}

void test_closed_session_grace(void**) {
    g_state.session_status = SessionStatus::Ended;
    g_state.closed_at_s = kIssued + 100;
    assert_int_equal(run(header(), kIssued + 100), ParticipantAuthError::SessionClosed);
    assert_int_equal(run(header(), kIssued + 100 + 3599), ParticipantAuthError::SessionClosed);
    assert_int_equal(run(header(), kIssued + 100 + 3600), ParticipantAuthError::ClosedExpired);
    g_state.session_status = SessionStatus::Cancelled;
    assert_int_equal(run(header(), kIssued + 200), ParticipantAuthError::SessionClosed);
    g_state.closed_at_s.reset();  // no timestamp: no grace
    assert_int_equal(run(header(), kIssued + 200), ParticipantAuthError::ClosedExpired);
}

void test_route_session(void**) {
    assert_int_equal(run(header(), kIssued + 60, std::string_view(kSid)), ParticipantAuthError::None);
    assert_int_equal(run(header(), kIssued + 60, std::string_view("22222222-2222-4222-8222-222222222222")),
                     ParticipantAuthError::WrongSession);
    assert_int_equal(g_lookups, 1);
}

void test_problems(void**) {
    ParticipantAuth a;
    for (ParticipantAuthError e : {ParticipantAuthError::Missing, ParticipantAuthError::Invalid,
                                   ParticipantAuthError::Removed, ParticipantAuthError::ClosedExpired}) {
        a.error = e;
        Response r = participant_auth_problem(a);
        assert_int_equal(r.status, 401);
        assert_string_equal(r.content_type.c_str(), "application/problem+json");
        assert_true(r.body.find("/problems/unauthorized") != std::string::npos);
        bool www = false;
        for (const auto& [k, v] : r.headers) www = www || (k == "WWW-Authenticate" && v == "Bearer");
        assert_true(www);
    }
    a.error = ParticipantAuthError::SessionClosed;
    a.status = SessionStatus::Ended;
    Response r = participant_auth_problem(a);
    assert_int_equal(r.status, 409);
    assert_true(r.body.find("/problems/session-closed") != std::string::npos);
    assert_true(r.body.find("ended") != std::string::npos);
    a.error = ParticipantAuthError::WrongSession;
    assert_int_equal(participant_auth_problem(a).status, 403);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid, reset),
        cmocka_unit_test_setup(test_missing_and_invalid_before_any_lookup, reset),
        cmocka_unit_test_setup(test_unknown_revoked_expired, reset),
        cmocka_unit_test_setup(test_removed, reset),
        cmocka_unit_test_setup(test_closed_session_grace, reset),
        cmocka_unit_test_setup(test_route_session, reset),
        cmocka_unit_test_setup(test_problems, reset),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
