// controller/clients/directory_profile.hpp: the Patient/Doctor Service
// contracts of docs/INTEGRATIONS.md. Which role goes where; lookup URLs
// (percent-encoding, FHIR ids, hostile ids); what every kind of answer
// means in each profile (404/410, 5xx, 3xx, wrong resource, wrong id,
// active:false, names and their bounds, oversized bodies); the status
// mapping and the status requests of both profiles; the pseudo-endpoint
// text; the cache (TTL, positive and negative, never unavailable, bounded,
// oldest out first). Helpers copy results into plain buffers (a failing
// CMocka assertion longjmps past destructors).
#include "controller/clients/directory_profile.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;
using namespace telemed::directory;

namespace {

char g_buf[4096];

const char* keep(const std::string& s) {
    std::snprintf(g_buf, sizeof g_buf, "%s", s.c_str());
    return g_buf;
}

const char* url_of(Profile p, Service s, const char* id) {
    std::optional<std::string> u = lookup_url(p, s, "http://svc.test/base", id);
    return u ? keep(*u) : "(none)";
}

// Verdict as a letter: K known, U unknown, X unavailable; then ":" and the name ("" none).
const char* answer(Profile p, Service s, const char* id, long status, const std::string& body) {
    Lookup l = interpret(p, s, id, status, body);
    std::string out = l.verdict == Verdict::Known ? "K" : l.verdict == Verdict::Unknown ? "U" : "X";
    out += ":";
    if (l.display_name) out += *l.display_name;
    return keep(out);
}

const char* status_req(Profile p, const char* ref, const char* topic) {
    std::optional<StatusRequest> r =
        status_request(p, "http://svc.test", ref, topic, "11111111-1111-4111-8111-111111111111",
                       "22222222-2222-4222-8222-222222222222", "2027-01-01T00:00:00.000000Z");
    if (!r) return "(none)";
    return keep(std::string(r->method) + " " + r->url + " " + r->content_type + " " + r->body);
}

void test_roles_and_profiles(void**) {
    assert_true(service_for(Role::Patient) == Service::Patient);
    assert_true(service_for(Role::Doctor) == Service::Doctor);
    assert_true(service_for(Role::Paramedic) == Service::Doctor);
    assert_false(service_for(Role::Observer).has_value());
    assert_true(parse_profile("off") == Profile::Off);
    assert_true(parse_profile("json") == Profile::Json);
    assert_true(parse_profile("fhir") == Profile::Fhir);
    assert_false(parse_profile("FHIR").has_value());
    assert_false(parse_profile("").has_value());
    assert_string_equal(to_string(Profile::Fhir), "fhir");
}

void test_lookup_urls(void**) {
    assert_string_equal(url_of(Profile::Json, Service::Patient, "p-42"), "http://svc.test/base/patients/p-42");
    assert_string_equal(url_of(Profile::Json, Service::Doctor, "d.1_~x"), "http://svc.test/base/practitioners/d.1_~x");
    // Everything outside the unreserved set is encoded: no path, query or fragment injection.
    assert_string_equal(url_of(Profile::Json, Service::Patient, "../admin?x=1#f"),
                        "http://svc.test/base/patients/..%2Fadmin%3Fx%3D1%23f");
    assert_string_equal(url_of(Profile::Json, Service::Patient, "a b/\xc3\xa9"),
                        "http://svc.test/base/patients/a%20b%2F%C3%A9");
    assert_string_equal(url_of(Profile::Json, Service::Patient, ".."), "(none)");
    assert_string_equal(url_of(Profile::Json, Service::Patient, ""), "(none)");
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, "pat-1.A"), "http://svc.test/base/Patient/pat-1.A");
    assert_string_equal(url_of(Profile::Fhir, Service::Doctor, "7"), "http://svc.test/base/Practitioner/7");
    // Not FHIR ids: no request at all.
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, "a/b"), "(none)");
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, "a_b"), "(none)");
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, "a%2F"), "(none)");
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, ".."), "(none)");
    assert_string_equal(url_of(Profile::Fhir, Service::Patient, std::string(65, 'a').c_str()), "(none)");
    assert_true(valid_fhir_id(std::string(64, 'a')));
    assert_string_equal(url_of(Profile::Off, Service::Patient, "x"), "(none)");
}

void test_json_answers(void**) {
    const Profile J = Profile::Json;
    const Service P = Service::Patient;
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":"Ada Lovelace"})"), "K:Ada Lovelace");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1"})"), "K:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":null,"extra":[1]})"), "K:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","active":true})"), "K:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","active":false})"), "U:");
    assert_string_equal(answer(J, P, "p1", 404, ""), "U:");
    assert_string_equal(answer(J, P, "p1", 410, "gone"), "U:");
    // Not the resource asked for, or not JSON: unavailable (never "unknown").
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p2"})"), "X:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"display_name":"x"})"), "X:");
    assert_string_equal(answer(J, P, "p1", 200, R"([{"id":"p1"}])"), "X:");
    assert_string_equal(answer(J, P, "p1", 200, "not json"), "X:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","active":"no"})"), "X:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":7})"), "X:");
    for (long st : {0L, 201L, 301L, 302L, 400L, 401L, 403L, 429L, 500L, 502L, 503L})
        assert_string_equal(answer(J, P, "p1", st, R"({"id":"p1"})"), "X:");
    // Names: trimmed, cut at 100 characters on a character boundary, refused with control characters.
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":"  Grace  "})"), "K:Grace");
    std::string long_name(150, 'x');
    long_name[99] = ' ';  // a cut there leaves a trailing space, dropped too
    const char* got = answer(J, P, "p1", 200, R"({"id":"p1","display_name":")" + long_name + "\"}");
    assert_int_equal(std::strlen(got), 2 + 99);
    std::string accents;
    for (int i = 0; i < 120; ++i) accents += "\xc3\xa9";  // é, 2 bytes each
    got = answer(J, P, "p1", 200, R"({"id":"p1","display_name":")" + accents + "\"}");
    assert_int_equal(std::strlen(got), 2 + 200);
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":"a\u0007b"})"), "K:");
    assert_string_equal(answer(J, P, "p1", 200, R"({"id":"p1","display_name":"   "})"), "K:");
    // Oversized body: unavailable even when it would parse.
    std::string big = R"({"id":"p1","pad":")" + std::string(kMaxBodyBytes, 'a') + "\"}";
    assert_string_equal(answer(J, P, "p1", 200, big), "X:");
}

void test_fhir_answers(void**) {
    const Profile F = Profile::Fhir;
    assert_string_equal(
        answer(F, Service::Patient, "p1", 200,
               R"({"resourceType":"Patient","id":"p1","name":[{"text":"Ada King"},{"text":"Other"}]})"),
        "K:Ada King");
    assert_string_equal(
        answer(F, Service::Doctor, "d1", 200,
               R"({"resourceType":"Practitioner","id":"d1","name":[{"family":"House","given":["Gregory","M"]}]})"),
        "K:Gregory M House");
    assert_string_equal(answer(F, Service::Doctor, "d1", 200,
                               R"({"resourceType":"Practitioner","name":[{"family":"House"}]})"),
                        "K:House");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"Patient","id":"p1"})"), "K:");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"Patient","name":"x"})"), "K:");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"Patient","active":false})"), "U:");
    assert_string_equal(answer(F, Service::Patient, "p1", 404, R"({"resourceType":"OperationOutcome"})"), "U:");
    assert_string_equal(answer(F, Service::Patient, "p1", 410, ""), "U:");
    // A Practitioner where a Patient was asked for, an OperationOutcome, another id: unavailable.
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"Practitioner","id":"p1"})"),
                        "X:");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"OperationOutcome"})"), "X:");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"resourceType":"Patient","id":"p2"})"), "X:");
    assert_string_equal(answer(F, Service::Patient, "p1", 200, R"({"id":"p1"})"), "X:");
    assert_string_equal(answer(F, Service::Patient, "p1", 500, R"({"resourceType":"Patient","id":"p1"})"), "X:");
}

void test_status_mapping_and_requests(void**) {
    assert_string_equal(status_value(Profile::Json, "session.started"), "in-progress");
    assert_string_equal(status_value(Profile::Json, "session.ended"), "completed");
    assert_string_equal(status_value(Profile::Json, "session.cancelled"), "cancelled");
    assert_string_equal(status_value(Profile::Fhir, "session.started"), "in-progress");
    assert_string_equal(status_value(Profile::Fhir, "session.ended"), "finished");
    assert_string_equal(status_value(Profile::Fhir, "session.cancelled"), "cancelled");
    for (const char* t : {"session.created", "session.scheduled", "participant.added", "session.started.x", ""}) {
        assert_null(status_value(Profile::Json, t));
        assert_null(status_value(Profile::Fhir, t));
    }
    assert_null(status_value(Profile::Off, "session.started"));
    assert_int_equal(status_topics().size(), 3);

    assert_string_equal(status_req(Profile::Json, "appt/7?x", "session.started"),
                        "POST http://svc.test/appointments/appt%2F7%3Fx/status application/json "
                        "{\"status\":\"in-progress\",\"session_id\":\"11111111-1111-4111-8111-111111111111\","
                        "\"event_id\":\"22222222-2222-4222-8222-222222222222\","
                        "\"occurred_at\":\"2027-01-01T00:00:00.000000Z\"}");
    assert_string_equal(status_req(Profile::Fhir, "enc-7", "session.ended"),
                        "PATCH http://svc.test/Encounter/enc-7 application/json-patch+json "
                        "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"finished\"}]");
    assert_string_equal(status_req(Profile::Fhir, "enc/7", "session.ended"), "(none)");
    assert_string_equal(status_req(Profile::Fhir, "enc-7", "participant.added"), "(none)");
    assert_string_equal(status_req(Profile::Json, "", "session.started"), "(none)");
    assert_string_equal(status_req(Profile::Json, "..", "session.started"), "(none)");
}

void test_status_endpoint(void**) {
    assert_string_equal(keep(status_endpoint(Profile::Fhir, "http://fhir.test/r4")), "directory:fhir:http://fhir.test/r4");
    std::optional<StatusEndpoint> e = parse_status_endpoint("directory:json:https://svc.test/x");
    assert_true(e.has_value());
    assert_true(e->profile == Profile::Json);
    assert_string_equal(keep(e->base), "https://svc.test/x");
    for (const char* bad : {"http://hooks.test/a", "directory:off:http://x", "directory:xml:http://x",
                            "directory:json:", "directory:json:ftp://x", "directory:", "Directory:json:http://x"})
        assert_false(parse_status_endpoint(bad).has_value());
}

Lookup known_as(const char* name) {
    Lookup l;
    l.verdict = Verdict::Known;
    if (name) l.display_name = name;
    return l;
}

// 'K' / 'U' / '-' (not cached) for one cache read.
char cached(LookupCache& c, Service s, const char* id, int64_t now) {
    std::optional<Lookup> l = c.get(s, id, now);
    if (!l) return '-';
    return l->verdict == Verdict::Known ? 'K' : l->verdict == Verdict::Unknown ? 'U' : 'X';
}

int setup_cache(void** state) {
    *state = new LookupCache(3, 1000);
    return 0;
}
int teardown_cache(void** state) {
    delete static_cast<LookupCache*>(*state);
    return 0;
}

void test_cache(void** state) {
    LookupCache& c = *static_cast<LookupCache*>(*state);
    Lookup unknown;
    unknown.verdict = Verdict::Unknown;
    Lookup unavailable;
    c.put(Service::Patient, "a", known_as("Ada"), 0);
    c.put(Service::Patient, "b", unknown, 0);
    c.put(Service::Patient, "c", unavailable, 0);  // never stored
    assert_int_equal(c.size(), 2);
    assert_int_equal(cached(c, Service::Patient, "a", 999), 'K');
    assert_int_equal(cached(c, Service::Patient, "b", 999), 'U');
    assert_int_equal(cached(c, Service::Patient, "c", 0), '-');
    // One id, two services: two entries.
    assert_int_equal(cached(c, Service::Doctor, "a", 0), '-');
    // TTL: gone at expiry (and dropped).
    assert_int_equal(cached(c, Service::Patient, "a", 1000), '-');
    assert_int_equal(c.size(), 1);
    // Bounded: the oldest inserted goes first.
    c.put(Service::Patient, "x", known_as(nullptr), 10);
    c.put(Service::Patient, "y", known_as(nullptr), 20);
    c.put(Service::Patient, "z", known_as(nullptr), 30);
    assert_int_equal(c.size(), 3);
    assert_int_equal(cached(c, Service::Patient, "b", 40), '-');
    assert_int_equal(cached(c, Service::Patient, "x", 40), 'K');
    // Re-put refreshes the entry (new expiry, now the newest).
    c.put(Service::Patient, "x", unknown, 900);
    c.put(Service::Patient, "w", known_as(nullptr), 900);
    assert_int_equal(cached(c, Service::Patient, "y", 900), '-');
    assert_int_equal(cached(c, Service::Patient, "x", 1500), 'U');
    std::optional<Lookup> l = c.get(Service::Patient, "w", 901);
    assert_true(l.has_value() && !l->display_name.has_value());
}

void test_cache_off(void**) {
    LookupCache* off = new LookupCache(100, 0);  // directory_cache_s = 0
    off->put(Service::Patient, "a", known_as("Ada"), 0);
    const std::size_t n = off->size();
    const bool hit = off->get(Service::Patient, "a", 0).has_value();
    delete off;
    assert_int_equal(n, 0);
    assert_false(hit);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_and_profiles),
        cmocka_unit_test(test_lookup_urls),
        cmocka_unit_test(test_json_answers),
        cmocka_unit_test(test_fhir_answers),
        cmocka_unit_test(test_status_mapping_and_requests),
        cmocka_unit_test(test_status_endpoint),
        cmocka_unit_test_setup_teardown(test_cache, setup_cache, teardown_cache),
        cmocka_unit_test(test_cache_off),
    };
    return cmocka_run_group_tests_name("controller_directory", tests, nullptr, nullptr);
}
