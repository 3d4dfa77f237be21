// controller/routes/recording_input.hpp: the recording bodies parsed once,
// strictly and within bounds; the Admin API `record` request and reply as
// the controller sends and reads them (common/admin_api.hpp) and its reading
// of refusals (common/admin_recording.hpp). Helpers do the C++ work and return
// plain values (a failing CMocka assertion longjmps past destructors).
#include <string>

#include "common/admin_api.hpp"
#include "common/admin_recording.hpp"
#include "common/json.hpp"
#include "controller/routes/recording_input.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using namespace telemed;

namespace {

constexpr const char* kSid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kPid = "22222222-2222-4222-8222-222222222222";
constexpr const char* kRid = "33333333-3333-4333-8333-333333333333";
constexpr const char* kKid = "44444444-4444-4444-8444-444444444444";

// "" when the body parses, else the first error's field.
std::string consent_error(const std::string& text) {
    std::string err;
    Json j = json_parse(text, &err);
    FieldErrors errors;
    auto c = recording_input::parse_consent(j.get(), errors);
    if (c) return errors.empty() ? "" : "errors with a value";
    return errors.empty() ? "no error named" : errors.front().field;
}

std::string event_error(const std::string& text, std::size_t* tracks = nullptr) {
    std::string err;
    Json j = json_parse(text, &err);
    FieldErrors errors;
    auto e = recording_input::parse_event(j.get(), errors);
    if (e) {
        if (tracks) *tracks = e->tracks.size();
        return errors.empty() ? "" : "errors with a value";
    }
    return errors.empty() ? "no error named" : errors.front().field;
}

std::string ev(const std::string& extra) {
    return std::string("{\"session_id\":\"") + kSid + "\",\"recording_id\":\"" + kRid +
           "\",\"at\":\"2026-12-05T19:00:00Z\"" + extra + "}";
}

std::string tr(const std::string& file, const std::string& extra = "") {
    return std::string("{\"file\":\"") + file + "\",\"participant\":\"" + kPid +
           "\",\"source\":\"audio\",\"codec\":\"opus\",\"consent_id\":\"" + kKid +
           "\",\"started_at\":\"2026-12-05T19:00:00Z\",\"stopped_at\":null" + extra + "}";
}

void test_consent(void**) {
    const std::string ok = std::string("{\"session_id\":\"") + kSid + "\",\"participant_id\":\"" + kPid + "\",";
    assert_string_equal(consent_error(ok + "\"recording\":true}").c_str(), "");
    assert_string_equal(consent_error(ok + "\"recording\":false}").c_str(), "");
    assert_string_equal(consent_error(ok + "\"recording\":1}").c_str(), "recording");
    assert_string_equal(consent_error(ok + "\"recording\":null}").c_str(), "recording");
    assert_string_equal(consent_error(ok + "\"recording\":true,\"name\":\"x\"}").c_str(), "name");
    assert_string_equal(consent_error("{\"session_id\":\"x\",\"participant_id\":\"" + std::string(kPid) +
                                      "\",\"recording\":true}").c_str(),
                        "session_id");
    assert_string_equal(consent_error("[]").c_str(), "");  // not an object: field ""
}

void test_event_fault(void**) {
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"fault\":\"write_failed\"")).c_str(), "");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"fault\":null")).c_str(), "");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"fault\":\"disk_full\"")).c_str(), "fault");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"fault\":1")).c_str(), "fault");
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"fault\":\"write_failed\"")).c_str(), "fault");
    std::string err;
    Json j = json_parse(ev(",\"event\":\"stopped\",\"fault\":\"write_failed\""), &err);
    FieldErrors errors;
    auto e = recording_input::parse_event(j.get(), errors);
    assert_true(e && e->fault && *e->fault == "write_failed");
    Json k = json_parse(ev(",\"event\":\"stopped\""), &err);
    auto f = recording_input::parse_event(k.get(), errors);
    assert_true(f && !f->fault);
}

void test_event_started_and_stopped(void**) {
    std::size_t n = 99;
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"by\":null"), &n).c_str(), "");
    assert_int_equal(n, 0);
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"by\":\"" + std::string(kPid) + "\"")).c_str(), "");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + tr("a-audio-0.mjr") + "," +
                                       tr("a-video-0.mjr") + "]"),
                                    &n)
                            .c_str(),
                        "");
    assert_int_equal(n, 2);
    assert_string_equal(event_error(ev(",\"event\":\"paused\"")).c_str(), "event");
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"by\":\"doc\"")).c_str(), "by");
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"room\":\"x\"")).c_str(), "room");
    assert_string_equal(event_error(ev(",\"event\":\"started\",\"tracks\":[" + tr("a.mjr") + "]")).c_str(), "tracks");
}

void test_event_tracks_bounded_and_strict(void**) {
    std::string many;
    for (int i = 0; i < 65; ++i) many += (i ? "," : "") + tr("t-" + std::to_string(i) + ".mjr");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + many + "]")).c_str(), "tracks");
    std::string max;
    for (int i = 0; i < 64; ++i) max += (i ? "," : "") + tr("t-" + std::to_string(i) + ".mjr");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + max + "]")).c_str(), "");
    for (const char* bad : {"../x.mjr", "a/b.mjr", ".hidden", "", "a b.mjr"})
        assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + tr(bad) + "]")).c_str(),
                            "tracks[0].file");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + tr(std::string(129, 'a')) + "]")).c_str(),
                        "tracks[0].file");
    assert_string_equal(
        event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + tr("a.mjr") + "," + tr("a.mjr") + "]")).c_str(),
        "tracks[1].file");
    assert_string_equal(event_error(ev(",\"event\":\"stopped\",\"tracks\":[" + tr("a.mjr", ",\"x\":1") + "]")).c_str(),
                        "tracks[0]");
}

std::string start_body(const char* text) {
    std::string err;
    Json j = text ? json_parse(text, &err) : nullptr;
    FieldErrors errors;
    if (recording_input::parse_start(j.get(), errors)) return "";
    return errors.empty() ? "?" : errors.front().field;
}

void test_start_body(void**) {
    assert_string_equal(start_body(nullptr).c_str(), "");
    assert_string_equal(start_body("{}").c_str(), "");
    assert_string_equal(start_body("{\"recording_id\":\"x\"}").c_str(), "recording_id");
}

std::string record_wire(bool start, const char* id) {
    Json j = admin_api::build_request(
        admin_api::AdminRecordRequest{kSid, start, id ? std::optional<std::string>(id) : std::nullopt});
    return json_dump(j.get());
}

void test_record_request(void**) {
    assert_string_equal(record_wire(true, kRid).c_str(),
                        "{\"request\":\"record\",\"room\":\"11111111-1111-4111-8111-111111111111\",\"action\":\"start\","
                        "\"recording_id\":\"33333333-3333-4333-8333-333333333333\"}");
    assert_string_equal(record_wire(false, nullptr).c_str(),
                        "{\"request\":\"record\",\"room\":\"11111111-1111-4111-8111-111111111111\",\"action\":\"stop\"}");
}

// 1: on with kRid; 0: off; -1: refused by the reader.
int reply(const std::string& text) {
    std::string err;
    Json j = json_parse(text, &err);
    auto r = admin_api::parse_recording_reply(j.get());
    if (!r) return -1;
    if (r->on) return r->recording_id == std::string(kRid) && r->recorded.size() == 1 ? 1 : -2;
    return 0;
}

void test_record_reply(void**) {
    const std::string room = std::string("\"room\":\"") + kSid + "\",";
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room + "\"state\":\"on\",\"recording_id\":\"" + kRid +
                           "\",\"policy\":\"optional\",\"recorded\":[\"" + kPid + "\"],\"extra\":1}"),
                     1);
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room +
                           "\"state\":\"off\",\"recording_id\":null,\"policy\":\"required\",\"recorded\":[]}"),
                     0);
    // on without an id, off with one, bad policy, bad ids, another kind
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room +
                           "\"state\":\"on\",\"recording_id\":null,\"policy\":\"optional\",\"recorded\":[]}"),
                     -1);
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room + "\"state\":\"off\",\"recording_id\":\"" + kRid +
                           "\",\"policy\":\"optional\",\"recorded\":[]}"),
                     -1);
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room +
                           "\"state\":\"off\",\"recording_id\":null,\"policy\":\"always\",\"recorded\":[]}"),
                     -1);
    assert_int_equal(reply("{\"telemed\":\"recording\"," + room +
                           "\"state\":\"off\",\"recording_id\":null,\"policy\":\"optional\",\"recorded\":[\"p\"]}"),
                     -1);
    assert_int_equal(reply("{\"telemed\":\"room\"," + room + "\"state\":\"off\"}"), -1);
    assert_int_equal(reply("[]"), -1);
}

void test_record_refusals(void**) {
    using admin_api::RecordRefusal;
    assert_true(admin_api::classify_record_refusal(4040) == RecordRefusal::NoRoom);
    assert_true(admin_api::classify_record_refusal(4060) == RecordRefusal::NotAllowed);
    assert_true(admin_api::classify_record_refusal(4062) == RecordRefusal::Busy);
    assert_true(admin_api::classify_record_refusal(5032) == RecordRefusal::Unavailable);
    assert_true(admin_api::classify_record_refusal(4002) == RecordRefusal::Other);
    assert_true(admin_api::classify_record_refusal(5000) == RecordRefusal::Other);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_event_started_and_stopped),
        cmocka_unit_test(test_event_fault),
        cmocka_unit_test(test_event_tracks_bounded_and_strict),
        cmocka_unit_test(test_start_body),
        cmocka_unit_test(test_record_request),
        cmocka_unit_test(test_record_reply),
        cmocka_unit_test(test_record_refusals),
    };
    return cmocka_run_group_tests_name("controller_recording_input", tests, nullptr, nullptr);
}
