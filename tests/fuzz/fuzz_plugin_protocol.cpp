// Plugin request parsing: the client "message" body (plugin/protocol.hpp,
// parse_client_request) and the Admin API "request" object (the contract in
// common/admin_api.hpp, admin_api::parse_request).
//
// The input goes through json_parse (nullptr when it is not JSON) and then
// through both parsers. Neither may throw or crash. Properties:
//  - a refusal is 4001 (not an object), 4002 (request missing/unknown) or
//    4003 (element), with a non-empty text that echoes nothing of the input;
//  - an accepted request respects the limits of docs/PROTOCOL.md: compact
//    size within the bound, ids as lower-case UUIDs, token 1..4096 bytes,
//    known permission bits, at most 1000 revoked ids and grants, a precheck
//    exactly as its body says, ...;
//  - an accepted admin request, built again by admin_api::build_request (the
//    controller's side), parses back to an equal request.
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/admin_api.hpp"
#include "common/json.hpp"
#include "common/token.hpp"
#include "plugin/protocol.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;
using namespace telemed::plugin;

namespace {

bool lower_uuid(const std::string& s) { return fuzz::uuid_shape(s, true); }

template <class T>
void check_failure(const Parsed<T>& p, const json_t* body, std::string_view input,
                   const std::vector<std::string>& strings) {
    FUZZ_CHECK(!p.value.has_value());
    const ErrorCode c = p.failure.code;
    FUZZ_CHECK(c == ErrorCode::InvalidJson || c == ErrorCode::InvalidRequest || c == ErrorCode::InvalidElement);
    FUZZ_CHECK((c == ErrorCode::InvalidJson) == !json_is_object(body));
    FUZZ_CHECK(!p.failure.text.empty());
    FUZZ_CHECK(!fuzz::echoes(p.failure.text, input, strings));
}

bool within(const json_t* body, std::size_t limit) {
    return json_dumpb(body, nullptr, 0, JSON_COMPACT) <= limit;
}

void check_client(const json_t* body, std::string_view input, const std::vector<std::string>& strings) {
    const Parsed<ClientRequest> p = parse_client_request(body);
    if (!p.ok()) {
        check_failure(p, body, input, strings);
        return;
    }
    // A chat body has its own, larger bound (common/chat.hpp); its values
    // are checked by fuzz_chat.
    const bool is_chat = std::holds_alternative<ChatRequest>(*p.value);
    FUZZ_CHECK(json_is_object(body) && within(body, is_chat ? chat::kMaxChatBodyBytes : kMaxMessageBytes));
    if (const auto* j = std::get_if<JoinRequest>(&*p.value)) {
        FUZZ_CHECK(!j->token.empty() && j->token.size() <= kMaxTokenLength);
        FUZZ_CHECK(!j->session_id || lower_uuid(*j->session_id));
    }
    if (const auto* c = std::get_if<ConsentRequest>(&*p.value)) {
        // Exactly the body's boolean, nothing else accepted.
        json_t* v = json_object_get(body, "recording");
        FUZZ_CHECK(json_is_boolean(v) && json_is_true(v) == c->recording && json_object_size(body) == 2);
    }
    if (const auto* r = std::get_if<RecordRequest>(&*p.value)) {
        const char* a = json_string_value(json_object_get(body, "action"));
        FUZZ_CHECK(a && std::string_view(a) == (r->action == recording::Action::Start ? "start" : "stop"));
    }
    if (const auto* pc = std::get_if<PrecheckRequest>(&*p.value)) {
        // result is one of the three names, written exactly so; camera and
        // microphone are set iff the body has them, as the body's booleans.
        const char* result = json_string_value(json_object_get(body, "result"));
        FUZZ_CHECK(result && to_string(pc->precheck.result) == result &&
                   parse_precheck_result(result) == pc->precheck.result);
        for (const auto& [name, flag] : {std::pair{"camera", pc->precheck.camera},
                                         std::pair{"microphone", pc->precheck.microphone}}) {
            const json_t* v = json_object_get(body, name);
            FUZZ_CHECK(flag.has_value() == (v != nullptr));
            FUZZ_CHECK(!v || (json_is_boolean(v) && *flag == json_is_true(v)));
        }
    }
}

void check_admin(const json_t* body, std::string_view input, const std::vector<std::string>& strings) {
    const Parsed<AdminRequest> p = admin_api::parse_request(body);
    if (!p.ok()) {
        check_failure(p, body, input, strings);
        return;
    }
    FUZZ_CHECK(json_is_object(body) && within(body, admin_api::kMaxRequestBytes));
    std::visit(
        [](const auto& r) {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, CreateRoomRequest>) {
                FUZZ_CHECK(lower_uuid(r.room));
                FUZZ_CHECK(static_cast<std::size_t>(r.kind) < static_cast<std::size_t>(SessionKind::Count_));
                FUZZ_CHECK(r.state == SessionStatus::Scheduled || r.state == SessionStatus::Active);
                FUZZ_CHECK(!r.recording_policy || *r.recording_policy <= RecordingPolicy::Required);
                FUZZ_CHECK(r.revoked.size() <= admin_api::kMaxRevokedInRequest);
                for (const std::string& id : r.revoked) FUZZ_CHECK(lower_uuid(id));
                FUZZ_CHECK(r.grants.size() <= admin_api::kMaxGrantsInRequest);
                for (const auto& g : r.grants) {
                    FUZZ_CHECK(lower_uuid(g.participant_id));
                    FUZZ_CHECK((g.permissions & ~kAllPermissions) == 0);
                    FUZZ_CHECK(static_cast<std::size_t>(g.role) < kRoleCount);
                    FUZZ_CHECK(!g.display_name ||
                               check_text(*g.display_name, admin_api::kMaxGrantDisplayNameChars) == nullptr);
                }
            } else if constexpr (std::is_same_v<R, DestroyRoomRequest> || std::is_same_v<R, RoomInfoRequest>) {
                FUZZ_CHECK(lower_uuid(r.room));
            } else if constexpr (std::is_same_v<R, SetPermissionsRequest>) {
                FUZZ_CHECK(lower_uuid(r.room) && lower_uuid(r.participant_id));
                FUZZ_CHECK((r.permissions & ~kAllPermissions) == 0);
                FUZZ_CHECK(!r.role || static_cast<std::size_t>(*r.role) < kRoleCount);
            } else if constexpr (std::is_same_v<R, KickRequest>) {
                FUZZ_CHECK(lower_uuid(r.room) && lower_uuid(r.participant_id));
                FUZZ_CHECK(!r.reason || check_text(*r.reason, admin_api::kMaxReasonChars) == nullptr);
            } else if constexpr (std::is_same_v<R, admin_api::AdminRecordRequest>) {
                // A recording id only with start, always a lower-case UUID.
                FUZZ_CHECK(lower_uuid(r.room));
                FUZZ_CHECK(!r.recording_id || (r.start && lower_uuid(*r.recording_id)));
            }
        },
        *p.value);
    // The controller's builder of the same request: parses back to it (the
    // builder always sends "grants", so a body at the size bound may grow
    // past it and is then refused as too large).
    const Json again = admin_api::build_request(*p.value);
    const Parsed<AdminRequest> back = admin_api::parse_request(again.get());
    if (within(again.get(), admin_api::kMaxRequestBytes))
        FUZZ_CHECK(back.ok() && *back.value == *p.value);
    else
        FUZZ_CHECK(!back.ok() && back.failure.code == ErrorCode::InvalidElement);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_view(data, size);
    const Json body = json_parse(in, nullptr);
    std::vector<std::string> strings;
    fuzz::distinctive_strings(body.get(), &strings);
    check_client(body.get(), in, strings);
    check_admin(body.get(), in, strings);
    return 0;
}
