// Janus Admin API replies, as the controller reads them (common/admin_api.hpp,
// admin_api::parse_message_plugin_reply and parse_ping_reply): the input is the
// HTTP body of a reply to message_plugin and to ping, for the transaction below.
//
// Properties of parse_message_plugin_reply:
//  - exactly one outcome: ok (response object, no plugin error), a plugin
//    error (code 1..1000000, the {"telemed":"error"} object kept, not ok,
//    reachable) or unreachable (no response, no plugin error, not ok);
//  - anything but a JSON object naming no or our transaction is unreachable;
//  - the error text is set unless ok and never echoes the body.
// parse_ping_reply is true only for an object with "janus":"pong" and no
// or our transaction. parse_rooms_reply (an ok response read as a
// list_rooms answer) accepts only what its builder reads back equal.
#include <string>
#include <string_view>
#include <vector>

#include "common/admin_api.hpp"
#include "common/json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

constexpr std::string_view kTransaction = "0f1e2d3c4b5a6978";

std::string_view str_field(const json_t* obj, const char* key) {
    const json_t* v = json_object_get(obj, key);
    if (!json_is_string(v)) return {};
    return std::string_view(json_string_value(v), json_string_length(v));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);

    // Our own reading of the body, for the cross-checks.
    json_error_t jerr;
    const Json reply(json_loadb(in.data(), in.size(), JSON_REJECT_DUPLICATES, &jerr));
    const bool object = reply && json_is_object(reply.get());
    const json_t* tx = object ? json_object_get(reply.get(), "transaction") : nullptr;
    const bool our_tx = object && (tx == nullptr || (json_is_string(tx) && str_field(reply.get(), "transaction") ==
                                                                                kTransaction));
    std::vector<std::string> strings;
    fuzz::distinctive_strings(reply.get(), &strings);

    const admin_api::Reply r = admin_api::parse_message_plugin_reply(in, kTransaction);
    const int outcomes = (r.ok ? 1 : 0) + (r.plugin_error != 0 ? 1 : 0) + (r.unreachable ? 1 : 0);
    FUZZ_CHECK(outcomes == 1);
    if (r.ok) {
        FUZZ_CHECK(r.response && json_is_object(r.response.get()));
        FUZZ_CHECK(str_field(r.response.get(), "telemed") != "error");
        FUZZ_CHECK(object && our_tx && str_field(reply.get(), "janus") == "success");
    } else if (r.plugin_error != 0) {
        FUZZ_CHECK(r.plugin_error > 0 && r.plugin_error <= 1000000);
        FUZZ_CHECK(r.response && str_field(r.response.get(), "telemed") == "error");
        FUZZ_CHECK(object && our_tx);
    } else {
        FUZZ_CHECK(!r.response);
    }
    if (!object || !our_tx) FUZZ_CHECK(r.unreachable);
    if (!r.ok) FUZZ_CHECK(!r.error.empty());
    FUZZ_CHECK(!fuzz::echoes(r.error, in, strings));

    const bool pong = admin_api::parse_ping_reply(in, kTransaction);
    FUZZ_CHECK(pong == (object && our_tx && str_field(reply.get(), "janus") == "pong"));

    // The list_rooms answer (the lifecycle job's presence), read from the
    // response as the controller does: whatever it accepts reads back the
    // same through its builder, ids lower-case UUIDs.
    if (r.ok) {
        if (auto rooms = admin_api::parse_rooms_reply(r.response.get())) {
            FUZZ_CHECK(rooms->size() <= admin_api::kMaxSnapshotRooms);
            for (const admin_api::RoomSummary& rs : *rooms) {
                FUZZ_CHECK(rs.room.size() == 36);
                for (char ch : rs.room) FUZZ_CHECK(!(ch >= 'A' && ch <= 'Z'));
            }
            const Json again = admin_api::rooms_reply(*rooms);
            auto back = admin_api::parse_rooms_reply(again.get());
            FUZZ_CHECK(back && *back == *rooms);
        }
    }
    return 0;
}
