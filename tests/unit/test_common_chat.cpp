// common/chat: the chat request parser, the text rule, the internal batch
// codec both ways and the token bucket.
#include <cstdio>
#include <string>

#include "common/chat.hpp"

// Last: cmocka.h defines macros (fail, ...) that clash with C++ headers.
#include "tests/unit/test_common_support.hpp"

using namespace telemed;

namespace {

const char* kA = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

// 0 when `json` parses as a chat request, else its error code.
int chat_code(const std::string& json) {
    std::string err;
    Json body = json_parse(json, &err);
    Parsed<chat::ChatRequest> p = chat::parse_chat(body.get());
    return p.ok() ? 0 : to_int(p.failure.code);
}

int history_code(const std::string& json, int64_t* since = nullptr, int* limit = nullptr) {
    std::string err;
    Json body = json_parse(json, &err);
    Parsed<chat::ChatHistoryRequest> p = chat::parse_chat_history(body.get());
    if (!p.ok()) return to_int(p.failure.code);
    if (since) *since = p.value->since;
    if (limit) *limit = p.value->limit;
    return 0;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

std::string chat_with_text(const std::string& text_json) {
    return "{\"request\":\"chat\",\"client_id\":\"c-1\",\"text\":" + text_json + "}";
}

void accepts_valid_requests(void**) {
    assert_int_equal(chat_code(chat_with_text("\"hello\"")), 0);
    assert_int_equal(chat_code(chat_with_text("\"line one\\nline two\\twith tab\"")), 0);
    assert_int_equal(chat_code(chat_with_text("\"caf\\u00e9 \\ud83d\\ude00\"")), 0);
    assert_int_equal(chat_code(std::string("{\"request\":\"chat\",\"client_id\":\"Ab09._:-\",\"text\":\"x\",\"to\":[\"") +
                               kA + "\"]}"),
                     0);
    // exactly 4000 code points, 4-byte ones too
    assert_int_equal(chat_code(chat_with_text("\"" + repeat("a", 4000) + "\"")), 0);
    assert_int_equal(chat_code(chat_with_text("\"" + repeat("\\ud83d\\ude00", 4000) + "\"")), 0);
}

void refuses_bad_text(void**) {
    assert_int_equal(chat_code(chat_with_text("\"\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"" + repeat("a", 4001) + "\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"" + repeat("\\ud83d\\ude00", 4001) + "\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"bell\\u0007\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"cr\\r\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"del\\u007f\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("\"c1\\u0085\"")), 4003);
    assert_int_equal(chat_code(chat_with_text("42")), 4003);
}

void check_text_is_strict_utf8(void**) {
    assert_null(chat::check_text("ok"));
    assert_non_null(chat::check_text(std::string("\xC0\xAF", 2)));          // overlong
    assert_non_null(chat::check_text(std::string("\xED\xA0\x80", 3)));      // surrogate
    assert_non_null(chat::check_text(std::string("\xF4\x90\x80\x80", 4)));  // > U+10FFFF
    assert_non_null(chat::check_text(std::string("\xE2\x82", 2)));          // truncated
    assert_non_null(chat::check_text(std::string("a\0b", 3)));              // NUL
    assert_null(chat::check_text("\xE2\x82\xAC"));                          // euro sign
}

void refuses_bad_fields(void**) {
    assert_int_equal(chat_code("{\"request\":\"chat\",\"text\":\"x\"}"), 0);  // no client_id: the plugin picks one
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":null,\"text\":\"x\"}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\"}"), 4003);                 // no text
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"\",\"text\":\"x\"}"), 4003);   // empty id
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"a b\",\"text\":\"x\"}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"" + repeat("c", 65) + "\",\"text\":\"x\"}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"" + repeat("c", 64) + "\",\"text\":\"x\"}"), 0);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"extra\":1}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"to\":[]}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"to\":[\"nope\"]}"), 4003);
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"to\":\"x\"}"), 4003);
    assert_int_equal(chat_code(std::string("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"to\":[\"") + kA +
                               "\",\"" + kA + "\"]}"),
                     4003);  // duplicate recipient
    std::string many = "[";
    for (int i = 0; i < 51; ++i) {
        char id[40];
        std::snprintf(id, sizeof id, "aaaaaaaa-aaaa-4aaa-8aaa-%012d", i);
        many += std::string(i ? "," : "") + "\"" + id + "\"";
    }
    assert_int_equal(chat_code("{\"request\":\"chat\",\"client_id\":\"c\",\"text\":\"x\",\"to\":" + many + "]}"), 4003);
    assert_int_equal(chat_code("[1]"), 4001);
}

void parses_history(void**) {
    int64_t since = -1;
    int limit = -1;
    assert_int_equal(history_code("{\"request\":\"chat_history\"}", &since, &limit), 0);
    assert_int_equal(since, 0);
    assert_int_equal(limit, 100);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"since\":7,\"limit\":500}", &since, &limit), 0);
    assert_int_equal(since, 7);
    assert_int_equal(limit, 500);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"limit\":501}"), 4003);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"limit\":0}"), 4003);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"since\":-1}"), 4003);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"since\":\"1\"}"), 4003);
    assert_int_equal(history_code("{\"request\":\"chat_history\",\"x\":1}"), 4003);
}

void batch_round_trip(void**) {
    chat::Batch b;
    b.session_id = kA;
    b.messages.push_back({"c1", kA, {}, "hi\nthere"});
    b.messages.push_back({"c2", kA, {"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}, "dm"});
    Json j = chat::batch_json(b);
    std::string err;
    std::optional<chat::Batch> back = chat::parse_batch(j.get(), &err);
    assert_true(back.has_value());
    assert_int_equal(back->messages.size(), 2);
    assert_str_eq(back->messages[0].text, "hi\nthere");
    assert_int_equal(back->messages[1].to.size(), 1);

    std::vector<chat::ItemResult> results(2);
    results[0].client_id = "c1";
    results[0].id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    results[0].seq = 1;
    results[0].created_at = "2026-12-05T19:00:00.123Z";
    results[1].client_id = "c2";
    results[1].error_code = 4092;
    results[1].error = "client_id reused";
    Json rj = chat::results_json(results);
    auto parsed = chat::parse_results(rj.get(), b.messages);
    assert_true(parsed.has_value());
    assert_int_equal((*parsed)[0].seq, 1);
    assert_false((*parsed)[0].duplicate);
    assert_int_equal((*parsed)[1].error_code, 4092);
    // results for other client_ids, or too few, are not accepted
    std::vector<chat::Outgoing> other = b.messages;
    other[1].client_id = "zz";
    assert_false(chat::parse_results(rj.get(), other).has_value());
    other.pop_back();
    assert_false(chat::parse_results(rj.get(), other).has_value());
    // a bad timestamp is not accepted
    results[0].created_at = "yesterday";
    Json bad = chat::results_json(results);
    assert_false(chat::parse_results(bad.get(), b.messages).has_value());
}

void batch_refuses_bad_values(void**) {
    std::string err;
    const char* bad[] = {
        "{}",
        "{\"session_id\":\"x\",\"messages\":[]}",
        "{\"session_id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\",\"messages\":[]}",
        "{\"session_id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\",\"messages\":[{\"client_id\":\"c\","
        "\"sender\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\",\"to\":[],\"text\":\"\"}]}",
        "{\"session_id\":\"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa\",\"messages\":[{\"client_id\":\"c\","
        "\"sender\":\"nope\",\"to\":[],\"text\":\"x\"}]}",
    };
    for (const char* text : bad) {
        Json j = json_parse(text, &err);
        assert_false(chat::parse_batch(j.get(), &err).has_value());
    }
}

void history_round_trip(void**) {
    chat::HistoryPage page;
    chat::Message m;
    m.id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
    m.seq = 3;
    m.sender = kA;
    m.text = "hello";
    m.created_at = "2026-12-05T19:00:00.000Z";
    page.items.push_back(m);
    page.next_since = 3;
    Json j = chat::history_json(page);
    auto back = chat::parse_history(j.get());
    assert_true(back.has_value());
    assert_int_equal(back->items.size(), 1);
    assert_int_equal(*back->next_since, 3);
    assert_str_eq(back->items[0].text, "hello");
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j.get(), "items"), 0), "to")), 0);
}

void token_bucket(void**) {
    chat::TokenBucket b;
    int64_t retry = 0;
    const int64_t t0 = 1'000'000'000;
    for (int i = 0; i < 40; ++i) assert_true(b.take(t0, 20, 40, &retry));
    assert_false(b.take(t0, 20, 40, &retry));
    assert_int_equal(retry, 50);  // one token per 50 ms at 20/s
    assert_true(b.take(t0 + 50'000, 20, 40, &retry));
    assert_false(b.take(t0 + 50'000, 20, 40, &retry));
    // refills up to the burst only
    for (int i = 0; i < 40; ++i) assert_true(b.take(t0 + 100'000'000, 20, 40, &retry));
    assert_false(b.take(t0 + 100'000'000, 20, 40, &retry));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_requests), cmocka_unit_test(refuses_bad_text),
        cmocka_unit_test(check_text_is_strict_utf8), cmocka_unit_test(refuses_bad_fields),
        cmocka_unit_test(parses_history), cmocka_unit_test(batch_round_trip),
        cmocka_unit_test(batch_refuses_bad_values), cmocka_unit_test(history_round_trip),
        cmocka_unit_test(token_bucket),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
