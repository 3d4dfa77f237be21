// Typed request parsing: good bodies and every refusal class.
#include <string>

#include "common/json.hpp"
#include "common/requests.hpp"
#include "common/timeutil.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

// Errors as "field:message;..." ("" when there are none).
std::string joined(const FieldErrors& errors) {
    std::string out;
    for (const FieldError& e : errors) out += e.field + ":" + e.message + ";";
    return out;
}

Json parse(const std::string& text) {
    Json j = json_parse(text, nullptr);
    if (!j) fail_msg("test body is not valid JSON: %s", text.c_str());
    return j;
}

// Runs a parser on JSON text; returns the joined errors and checks that the
// result is present exactly when there are no errors.
template <class Parser>
std::string errors_of(Parser parser, const std::string& text) {
    Json body = parse(text);
    FieldErrors errors;
    const bool ok = parser(body.get(), errors).has_value();
    if (ok != errors.empty()) fail_msg("result/errors disagree for %s", text.c_str());
    return joined(errors);
}

std::string create_errors(const std::string& t) { return errors_of(parse_create_session, t); }
std::string add_errors(const std::string& t) { return errors_of(parse_add_participant, t); }
std::string update_errors(const std::string& t) { return errors_of(parse_update_participant, t); }
std::string remove_errors(const std::string& t) { return errors_of(parse_remove_participant, t); }

std::string list_errors(std::multimap<std::string, std::string> q) {
    FieldErrors errors;
    const bool ok = parse_list_sessions(q, errors).has_value();
    if (ok != errors.empty()) fail_msg("result/errors disagree");
    return joined(errors);
}

bool contains(const std::string& hay, const char* needle) { return hay.find(needle) != std::string::npos; }

std::string repeat(const char* s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

// The message of an unknown permission name: every valid name, in canonical order.
#define kUnknownPermission \
    "unknown permission, must be one of publish_audio, publish_video, publish_screen, subscribe, chat, " \
    "share_files, record, moderate, bypass_lobby;"

// ---- check_text ----

void text_rules(void**) {
    assert_null(check_text("a", 1));
    assert_null(check_text("Dr. Who \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 100));  // é, 日, 😀
    assert_null(check_text(" padded ", 8));
    assert_null(check_text("\xc2\xa0x", 2));  // NBSP is fine inside text
    // Empty after trimming (ASCII and Unicode spaces).
    assert_non_null(check_text("", 10));
    assert_non_null(check_text("   ", 10));
    assert_non_null(check_text("\xc2\xa0\xe3\x80\x80", 10));  // NBSP + ideographic space
    // Controls: C0 (tab, CR, LF, NUL), DEL, C1.
    assert_non_null(check_text("a\tb", 10));
    assert_non_null(check_text("a\nb", 10));
    assert_non_null(check_text("a\rb", 10));
    assert_non_null(check_text(std::string_view("a\0b", 3), 10));
    assert_non_null(check_text("a\x1f", 10));
    assert_non_null(check_text("a\x7f", 10));
    assert_non_null(check_text("a\xc2\x80", 10));  // U+0080
    assert_non_null(check_text("a\xc2\x85", 10));  // U+0085 NEL
    assert_non_null(check_text("a\xc2\x9f", 10));  // U+009F
    // Invalid UTF-8 (query strings do not go through Jansson).
    assert_non_null(check_text("\xff", 10));
    assert_non_null(check_text("\xc0\xaf", 10));      // overlong '/'
    assert_non_null(check_text("\xed\xa0\x80", 10));  // surrogate
    assert_non_null(check_text("\xe6\x97", 10));      // truncated
    assert_non_null(check_text("\xf4\x90\x80\x80", 10));  // > U+10FFFF
    // Length in code points, not bytes.
    assert_null(check_text("\xc3\xa9\xc3\xa9\xc3\xa9", 3));
    assert_non_null(check_text("\xc3\xa9\xc3\xa9\xc3\xa9", 2));
    assert_null(check_text("abc", 3));
    assert_non_null(check_text("abcd", 3));
}

// ---- POST /sessions ----

void create_good(void**) {
    Json body = parse(R"({"kind":"emergency","title":"Night call","scheduled_at":"2026-11-24T01:02:03.5+01:00",
        "recording_policy":"required","external_ref":"ext-1","metadata":{"ward":7,"tags":["a"]}})");
    FieldErrors errors;
    auto r = parse_create_session(body.get(), errors);
    assert_true(r.has_value());
    assert_int_equal(errors.size(), 0);
    assert_int_equal(r->kind, SessionKind::Emergency);
    assert_str_eq(r->title.value_or("?"), "Night call");
    assert_true(r->scheduled_at_micros.has_value());
    assert_int_equal(*r->scheduled_at_micros, parse_rfc3339_micros("2026-11-24T00:02:03.5Z").value());
    assert_int_equal(r->recording_policy, RecordingPolicy::Required);
    assert_str_eq(r->external_ref.value_or("?"), "ext-1");
    assert_str_eq(json_dump(r->metadata.get()), R"({"ward":7,"tags":["a"]})");
    // The metadata is a copy: changing the body later does not change it.
    json_object_set_new(json_object_get(body.get(), "metadata"), "ward", json_integer(8));
    assert_str_eq(json_dump(r->metadata.get()), R"({"ward":7,"tags":["a"]})");
}

void create_defaults_and_nulls(void**) {
    for (const char* text : {R"({"kind":"consultation"})",
                             R"({"kind":"consultation","title":null,"scheduled_at":null,"recording_policy":null,
                                 "external_ref":null,"metadata":null})"}) {
        Json body = parse(text);
        FieldErrors errors;
        auto r = parse_create_session(body.get(), errors);
        assert_true(r.has_value());
        assert_int_equal(r->kind, SessionKind::Consultation);
        assert_false(r->title.has_value());
        assert_false(r->scheduled_at_micros.has_value());
        assert_int_equal(r->recording_policy, RecordingPolicy::Optional);
        assert_false(r->external_ref.has_value());
        assert_non_null(r->metadata.get());
        assert_true(json_is_object(r->metadata.get()));
        assert_int_equal(json_object_size(r->metadata.get()), 0);
    }
    assert_str_eq(create_errors(R"({"kind":"follow_up"})"), "");
}

void create_refusals(void**) {
    assert_str_eq(create_errors("{}"), "kind:is required;");
    assert_str_eq(create_errors(R"({"kind":null})"), "kind:is required;");
    assert_str_eq(create_errors(R"({"kind":1})"), "kind:must be a string;");
    assert_str_eq(create_errors(R"({"kind":"SECRETVAL"})"), "kind:must be one of consultation, emergency, follow_up;");
    assert_str_eq(create_errors(R"({"kind":"consultation","foo":1})"), "foo:unknown field;");
    assert_str_eq(create_errors(R"({"kind":"consultation","Kind":"x"})"), "Kind:unknown field;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":5})"), "title:must be a string;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":""})"), "title:must not be empty;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":" \u3000 "})"), "title:must not be empty;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":"a\nb"})"),
                  "title:must not contain control characters;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":"a\tb"})"),
                  "title:must not contain control characters;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":"a\u007fb"})"),
                  "title:must not contain control characters;");
    assert_str_eq(create_errors(R"({"kind":"consultation","title":"a\u0085b"})"),
                  "title:must not contain control characters;");
    assert_str_eq(create_errors(R"({"kind":"consultation","scheduled_at":"tomorrow"})"),
                  "scheduled_at:must be an RFC 3339 date-time (years 1970..9999);");
    assert_str_eq(create_errors(R"({"kind":"consultation","scheduled_at":1700000000})"),
                  "scheduled_at:must be a string;");
    assert_str_eq(create_errors(R"({"kind":"consultation","recording_policy":"always"})"),
                  "recording_policy:must be one of disabled, optional, required;");
    assert_str_eq(create_errors(R"({"kind":"consultation","recording_policy":true})"),
                  "recording_policy:must be a string;");
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":[]})"), "metadata:must be an object;");
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":"x"})"), "metadata:must be an object;");
    // Numbers that jsonb would hand back as integers beyond int64 (unreadable).
    const char* const too_big = "metadata:has a number beyond the 64-bit integer range (at most 9.2e18 in magnitude);";
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":{"n":1e20}})"), too_big);
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":{"a":[1,{"b":-9.3e18}]}})"), too_big);
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":{"n":9.2233720368547758e18}})"), too_big);
    assert_str_eq(create_errors(R"({"kind":"consultation","metadata":{"n":9.2e18,"m":-9.2e18,"i":9223372036854775807,)"
                                R"("s":"1e99","f":1e-300,"z":0.1}})"),
                  "");
    // Several problems are reported together.
    assert_str_eq(create_errors(R"({"kind":2,"title":3,"zzz":4})"),
                  "zzz:unknown field;kind:must be a string;title:must be a string;");
}

void create_lengths(void**) {
    // Title: 200 code points, counted as characters not bytes.
    assert_str_eq(create_errors(R"({"kind":"emergency","title":")" + std::string(200, 't') + "\"}"), "");
    assert_str_eq(create_errors(R"({"kind":"emergency","title":")" + std::string(201, 't') + "\"}"),
                  "title:must be at most 200 characters;");
    assert_str_eq(create_errors(R"({"kind":"emergency","title":")" + repeat("\xc3\xa9", 200) + "\"}"), "");
    assert_str_eq(create_errors(R"({"kind":"emergency","title":")" + repeat("\xc3\xa9", 201) + "\"}"),
                  "title:must be at most 200 characters;");
    assert_str_eq(create_errors(R"({"kind":"emergency","external_ref":")" + std::string(256, 'r') + "\"}"), "");
    assert_str_eq(create_errors(R"({"kind":"emergency","external_ref":")" + std::string(257, 'r') + "\"}"),
                  "external_ref:must be at most 256 characters;");
    // Metadata: {"k":"<n>"} is n + 8 bytes compact; spaces in the input do not count.
    assert_str_eq(create_errors(R"({"kind":"emergency","metadata": { "k" : ")" + std::string(4088, 'm') + "\"}}"),
                  "");
    const std::string big = create_errors(R"({"kind":"emergency","metadata":{"k":")" + std::string(4089, 'm') + "\"}}");
    assert_true(contains(big, "metadata:is too large"));
    assert_false(contains(big, "mmm"));
}

void create_never_echoes(void**) {
    const std::string e = create_errors(
        R"({"kind":"SECRETVAL","title":"SECRETVAL\n","scheduled_at":"SECRETVAL","recording_policy":"SECRETVAL",)"
        R"("external_ref":")" + std::string(300, 'S') + R"(","metadata":"SECRETVAL"})");
    assert_false(e.empty());
    assert_false(contains(e, "SECRETVAL"));
    assert_false(contains(e, "SSSS"));
    // Not an object at all.
    Json arr = parse("[1]");
    FieldErrors errors;
    assert_false(parse_create_session(arr.get(), errors).has_value());
    assert_int_equal(errors.size(), 1);
    assert_false(parse_create_session(nullptr, errors).has_value());
}

void unknown_field_names(void**) {
    // A long or unprintable unknown key is not echoed verbatim.
    const std::string e = create_errors(R"({"kind":"emergency",")" + std::string(100, 'k') + "\":1}");
    assert_str_eq(e, "(invalid name):unknown field;");
    assert_str_eq(create_errors(R"({"kind":"emergency","a\nb":1})"), "(invalid name):unknown field;");
    // Many unknown keys: reported, but bounded.
    std::string text = R"({"kind":"emergency")";
    for (int i = 0; i < 500; ++i) text += ",\"u" + std::to_string(i) + "\":1";
    text += "}";
    Json body = parse(text);
    FieldErrors errors;
    assert_false(parse_create_session(body.get(), errors).has_value());
    assert_true(errors.size() >= 1 && errors.size() <= 20);
}

// ---- POST /sessions/<id>/participants ----

void add_good(void**) {
    Json body = parse(R"({"user_id":"user-42","role":"paramedic","display_name":"Sam"})");
    FieldErrors errors;
    auto r = parse_add_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_str_eq(r->user_id, "user-42");
    assert_int_equal(r->role, Role::Paramedic);
    assert_str_eq(r->display_name.value_or("?"), "Sam");
    assert_false(r->permissions.has_value());

    body = parse(R"({"user_id":"u","role":"patient","permissions":["chat","subscribe"],"display_name":null})");
    r = parse_add_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_false(r->display_name.has_value());
    assert_true(r->permissions.has_value());
    assert_true(r->permissions->exact);
    assert_int_equal(r->permissions->exact_set, bit(Permission::Chat) | bit(Permission::Subscribe));
    // "Exactly these" resolves into overrides that produce exactly that set.
    const PermissionOverrides o = r->permissions->resolve(Role::Patient, SessionKind::Consultation);
    assert_int_equal(effective_permissions(Role::Patient, SessionKind::Consultation, o),
                     bit(Permission::Chat) | bit(Permission::Subscribe));

    body = parse(R"({"user_id":"u","role":"observer","permissions":{"record":true,"chat":false}})");
    r = parse_add_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_false(r->permissions->exact);
    assert_int_equal(r->permissions->overrides.grant, bit(Permission::Record));
    assert_int_equal(r->permissions->overrides.revoke, bit(Permission::Chat));
    const PermissionOverrides o2 = r->permissions->resolve(Role::Observer, SessionKind::Emergency);
    assert_int_equal(effective_permissions(Role::Observer, SessionKind::Emergency, o2),
                     bit(Permission::Subscribe) | bit(Permission::Record));

    body = parse(R"({"user_id":"u","role":"doctor","permissions":[]})");
    r = parse_add_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_true(r->permissions->exact);
    assert_int_equal(r->permissions->exact_set, 0);
    body = parse(R"({"user_id":"u","role":"doctor","permissions":{}})");
    r = parse_add_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_false(r->permissions->exact);
    assert_int_equal(r->permissions->overrides.grant | r->permissions->overrides.revoke, 0);
    assert_int_equal(errors.size(), 0);
}

void add_refusals(void**) {
    assert_str_eq(add_errors("{}"), "user_id:is required;role:is required;");
    assert_str_eq(add_errors(R"({"user_id":"","role":"doctor"})"), "user_id:must not be empty;");
    assert_str_eq(add_errors(R"({"user_id":"  ","role":"doctor"})"), "user_id:must not be empty;");
    assert_str_eq(add_errors(R"({"user_id":7,"role":"doctor"})"), "user_id:must be a string;");
    assert_str_eq(add_errors(R"({"user_id":")" + std::string(128, 'u') + R"(","role":"doctor"})"), "");
    assert_str_eq(add_errors(R"({"user_id":")" + std::string(129, 'u') + R"(","role":"doctor"})"),
                  "user_id:must be at most 128 characters;");
    assert_str_eq(add_errors(R"({"user_id":"a\u0001","role":"doctor"})"),
                  "user_id:must not contain control characters;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"admin"})"),
                  "role:must be one of doctor, patient, paramedic, observer;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":["doctor"]})"), "role:must be a string;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","display_name":")" + std::string(101, 'd') + "\"}"),
                  "display_name:must be at most 100 characters;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","display_name":"x\r"})"),
                  "display_name:must not contain control characters;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","email":"x"})"), "email:unknown field;");
    // Permissions, array form.
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":["chat","fly"]})"),
                  "permissions[1]:" kUnknownPermission);
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":["chat","chat"]})"),
                  "permissions[1]:duplicate permission;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":[true]})"),
                  "permissions[0]:must be a string;");
    assert_true(contains(add_errors(R"({"user_id":"u","role":"doctor","permissions":)"
                                    R"(["chat","chat","chat","chat","chat","chat","chat","chat","chat","chat"]})"),
                         "permissions:"));
    // Permissions, object form.
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":{"fly":true}})"),
                  "permissions.fly:" kUnknownPermission);
    // The valid names are listed; the message never echoes the offending
    // one (the field names the key, as for every object member).
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":{"publish_vidoe":true}})"),
                  "permissions.publish_vidoe:" kUnknownPermission);
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":{"chat":1}})"),
                  "permissions.chat:must be a boolean;");
    assert_str_eq(add_errors(R"({"user_id":"u","role":"doctor","permissions":{"chat":"true"}})"),
                  "permissions.chat:must be a boolean;");
    // Neither form.
    assert_true(contains(add_errors(R"({"user_id":"u","role":"doctor","permissions":"chat"})"), "permissions:"));
    assert_true(contains(add_errors(R"({"user_id":"u","role":"doctor","permissions":7})"), "permissions:"));
    // Values are never echoed.
    const std::string e = add_errors(R"({"user_id":"SECRETVAL\n","role":"SECRETVAL","display_name":"SECRETVAL\u0007"})");
    assert_false(e.empty());
    assert_false(contains(e, "SECRETVAL"));
}

// ---- PATCH /sessions/<id>/participants/<pid> ----

void update(void**) {
    Json body = parse(R"({"role":"doctor"})");
    FieldErrors errors;
    auto r = parse_update_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_int_equal(r->role.value(), Role::Doctor);
    assert_false(r->permissions.has_value());
    body = parse(R"({"permissions":{"chat":false}})");
    r = parse_update_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_false(r->role.has_value());
    assert_int_equal(r->permissions->overrides.revoke, bit(Permission::Chat));
    assert_str_eq(update_errors(R"({"role":"observer","permissions":["subscribe"]})"), "");

    assert_str_eq(update_errors("{}"), ":nothing to update: give role and/or permissions;");
    assert_str_eq(update_errors(R"({"role":null,"permissions":null})"),
                  ":nothing to update: give role and/or permissions;");
    assert_str_eq(update_errors(R"({"role":"king"})"), "role:must be one of doctor, patient, paramedic, observer;");
    assert_str_eq(update_errors(R"({"user_id":"u"})"), "user_id:unknown field;");
    assert_str_eq(update_errors(R"({"permissions":["fly"]})"), "permissions[0]:" kUnknownPermission);
}

// ---- DELETE /sessions/<id>/participants ----

void remove(void**) {
    Json body = parse(R"({"participant_id":"123e4567-e89b-42d3-a456-426614174000"})");
    FieldErrors errors;
    auto r = parse_remove_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_str_eq(r->participant_id.value_or("?"), "123e4567-e89b-42d3-a456-426614174000");
    assert_false(r->user_id.has_value());
    body = parse(R"({"user_id":"user-1"})");
    r = parse_remove_participant(body.get(), errors);
    assert_true(r.has_value());
    assert_str_eq(r->user_id.value_or("?"), "user-1");
    assert_false(r->participant_id.has_value());

    assert_str_eq(remove_errors("{}"), ":give exactly one of participant_id or user_id;");
    assert_str_eq(remove_errors(R"({"participant_id":"123e4567-e89b-42d3-a456-426614174000","user_id":"u"})"),
                  ":give exactly one of participant_id or user_id;");
    assert_str_eq(remove_errors(R"({"participant_id":"SECRETVAL"})"), "participant_id:must be a UUID;");
    assert_str_eq(remove_errors(R"({"participant_id":5})"), "participant_id:must be a string;");
    assert_str_eq(remove_errors(R"({"user_id":""})"), "user_id:must not be empty;");
    assert_str_eq(remove_errors(R"({"user_id":false})"), "user_id:must be a string;");
    assert_true(contains(remove_errors(R"({"user_id":"u","reason":"x"})"), "reason:unknown field;"));
}

// ---- GET /sessions ----

void list(void**) {
    FieldErrors errors;
    auto q = parse_list_sessions({}, errors);
    assert_true(q.has_value());
    assert_int_equal(q->limit, kDefaultPageSize);
    assert_false(q->status.has_value());
    assert_false(q->user_id.has_value());
    assert_false(q->cursor.has_value());

    q = parse_list_sessions({{"status", "active"}, {"limit", "50"}, {"user_id", "u-1"}, {"cursor", "abc=="}}, errors);
    assert_true(q.has_value());
    assert_int_equal(q->status.value(), SessionStatus::Active);
    assert_int_equal(q->limit, 50);
    assert_str_eq(q->user_id.value_or("?"), "u-1");
    assert_str_eq(q->cursor.value_or("?"), "abc==");
    assert_int_equal(errors.size(), 0);

    assert_str_eq(list_errors({{"limit", "1"}}), "");
    assert_str_eq(list_errors({{"limit", "100"}}), "");
    for (const char* bad : {"0", "101", "-1", "+5", "5 ", " 5", "1e2", "abc", "", "0100", "99999999999999999999"})
        assert_str_eq(list_errors({{"limit", bad}}), "limit:must be an integer between 1 and 100;");
    assert_str_eq(list_errors({{"status", "SECRETVAL"}}), "status:must be one of scheduled, active, ended, cancelled;");
    assert_str_eq(list_errors({{"limit", "5"}, {"limit", "6"}}), "limit:must not be repeated;");
    assert_str_eq(list_errors({{"status", "active"}, {"status", "active"}}), "status:must not be repeated;");
    assert_str_eq(list_errors({{"sort", "asc"}}), "sort:unknown field;");
    assert_str_eq(list_errors({{"\xff", "x"}}), "(invalid name):unknown field;");
    assert_str_eq(list_errors({{"user_id", "a\nb"}}), "user_id:must not contain control characters;");
    assert_str_eq(list_errors({{"user_id", ""}}), "user_id:must not be empty;");
    assert_str_eq(list_errors({{"user_id", "\xc3\x28"}}), "user_id:must be valid UTF-8;");
    assert_str_eq(list_errors({{"cursor", std::string(200, 'c')}}), "");
    assert_str_eq(list_errors({{"cursor", std::string(201, 'c')}}), "cursor:must be at most 200 characters;");
}

// ---- GET /sessions/<id>/audit ----

std::string audit_errors(std::multimap<std::string, std::string> q) {
    FieldErrors errors;
    const bool ok = parse_list_audit(q, errors).has_value();
    if (ok != errors.empty()) fail_msg("result/errors disagree");
    return joined(errors);
}

void list_audit(void**) {
    FieldErrors errors;
    auto q = parse_list_audit({}, errors);
    assert_true(q.has_value());
    assert_int_equal(q->limit, kDefaultPageSize);
    assert_false(q->cursor.has_value());
    q = parse_list_audit({{"limit", "7"}, {"cursor", "YTE6NQ"}}, errors);
    assert_true(q.has_value());
    assert_int_equal(q->limit, 7);
    assert_str_eq(q->cursor.value_or("?"), "YTE6NQ");
    assert_int_equal(errors.size(), 0);
    for (const char* bad : {"0", "101", "-1", "abc", ""})
        assert_str_eq(audit_errors({{"limit", bad}}), "limit:must be an integer between 1 and 100;");
    assert_str_eq(audit_errors({{"limit", "5"}, {"limit", "6"}}), "limit:must not be repeated;");
    // The filters of GET /sessions are not filters of the audit list.
    assert_str_eq(audit_errors({{"status", "active"}}), "status:unknown field;");
    assert_str_eq(audit_errors({{"cursor", std::string(201, 'c')}}), "cursor:must be at most 200 characters;");
}

void enum_names(void**) {
    for (const char* s : {"disabled", "optional", "required"}) {
        const auto p = parse_recording_policy(s);
        assert_true(p.has_value());
        assert_str_eq(to_string(*p), s);
    }
    for (const char* s : {"scheduled", "active", "ended", "cancelled"}) {
        const auto p = parse_session_status(s);
        assert_true(p.has_value());
        assert_str_eq(to_string(*p), s);
    }
    assert_false(parse_recording_policy("Optional").has_value());
    assert_false(parse_session_status("canceled").has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_rules),         cmocka_unit_test(create_good),
        cmocka_unit_test(create_defaults_and_nulls), cmocka_unit_test(create_refusals),
        cmocka_unit_test(create_lengths),     cmocka_unit_test(create_never_echoes),
        cmocka_unit_test(unknown_field_names), cmocka_unit_test(add_good),
        cmocka_unit_test(add_refusals),       cmocka_unit_test(update),
        cmocka_unit_test(remove),             cmocka_unit_test(list),
        cmocka_unit_test(enum_names),         cmocka_unit_test(list_audit),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
