// Chat parsing (common/chat.hpp): the client requests `chat` and
// `chat_history`, the text rule on raw bytes, and the internal batch codec
// (POST /internal/v1/chat both ways, the history answer).
//
// Properties:
//  - check_text on the raw input agrees with a reference written here
//    (strict UTF-8 decoded independently, 1..4000 code points, no C0 but
//    newline and tab, no DEL, no C1);
//  - an accepted chat request respects every documented limit (text passes
//    check_text, client_id 1..64 of [A-Za-z0-9._:-], `to` 1..50 distinct
//    lower-case UUIDs, direct iff `to` given); a refusal is 4001 or 4003 and
//    its text never echoes the input;
//  - chat_history: since >= 0, limit 1..500, refusals 4001/4003;
//  - parse_batch: an accepted batch rebuilt by batch_json parses back equal;
//    parse_results / parse_history accept only well-formed answers, and
//    their output survives a round trip.
#include <string>
#include <string_view>
#include <vector>

#include "common/chat.hpp"
#include "common/json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace telemed;

namespace {

// Independent strict UTF-8 check of the text rule.
bool reference_text_ok(std::string_view s) {
    if (s.empty()) return false;
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        uint32_t cp;
        std::size_t n;
        if (c <= 0x7F) {
            cp = c, n = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            cp = c & 0x1F, n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            cp = c & 0x0F, n = 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            cp = c & 0x07, n = 4;
        } else {
            return false;
        }
        if (i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            const unsigned char d = static_cast<unsigned char>(s[i + k]);
            if (d < 0x80 || d > 0xBF) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return false;
        ++count;
        i += n;
    }
    return count >= 1 && count <= chat::kMaxTextChars;
}

bool lower_uuids(const std::vector<std::string>& ids, std::size_t min, std::size_t max) {
    if (ids.size() < min || ids.size() > max) return false;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!fuzz::uuid_shape(ids[i], true)) return false;
        for (std::size_t k = 0; k < i; ++k)
            if (ids[k] == ids[i]) return false;
    }
    return true;
}

bool client_id_ok(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-'))
            return false;
    return true;
}

void check_refusal(const PluginFailure& f, std::string_view input, const std::vector<std::string>& strings) {
    FUZZ_CHECK(f.code == PluginError::InvalidJson || f.code == PluginError::InvalidElement);
    FUZZ_CHECK(!fuzz::echoes(f.text, input, strings));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_view(data, size);
    if (size > 64 * 1024) return 0;

    // The text rule on raw bytes.
    FUZZ_CHECK((chat::check_text(input) == nullptr) == reference_text_ok(input));

    std::string error;
    Json body = json_parse(input, &error);
    if (!body) return 0;
    std::vector<std::string> strings;
    fuzz::distinctive_strings(body.get(), &strings);

    Parsed<chat::ChatRequest> c = chat::parse_chat(body.get());
    if (c.ok()) {
        FUZZ_CHECK(chat::check_text(c.value->text) == nullptr);
        FUZZ_CHECK(json_object_get(body.get(), "client_id") ? client_id_ok(c.value->client_id)
                                                            : c.value->client_id.empty());
        FUZZ_CHECK(c.value->direct == (json_object_get(body.get(), "to") != nullptr));
        FUZZ_CHECK(c.value->direct ? lower_uuids(c.value->to, 1, 50) : c.value->to.empty());
    } else {
        check_refusal(c.failure, input, strings);
    }

    Parsed<chat::ChatHistoryRequest> h = chat::parse_chat_history(body.get());
    if (h.ok()) {
        FUZZ_CHECK(h.value->since >= 0);
        FUZZ_CHECK(h.value->limit >= 1 && h.value->limit <= chat::kMaxHistoryLimit);
    } else {
        check_refusal(h.failure, input, strings);
    }

    std::optional<chat::Batch> b = chat::parse_batch(body.get(), &error);
    if (b) {
        FUZZ_CHECK(fuzz::uuid_shape(b->session_id, true));
        FUZZ_CHECK(!b->messages.empty() && b->messages.size() <= chat::kMaxBatch);
        for (const chat::Outgoing& m : b->messages) {
            FUZZ_CHECK(chat::check_text(m.text) == nullptr);
            FUZZ_CHECK(client_id_ok(m.client_id));
            FUZZ_CHECK(fuzz::uuid_shape(m.sender, true));
            FUZZ_CHECK(lower_uuids(m.to, 0, 50));
        }
        Json again = chat::batch_json(*b);
        std::optional<chat::Batch> back = chat::parse_batch(again.get(), &error);
        FUZZ_CHECK(back.has_value() && back->session_id == b->session_id && back->messages.size() == b->messages.size());
        for (std::size_t i = 0; i < b->messages.size(); ++i) {
            FUZZ_CHECK(back->messages[i].text == b->messages[i].text);
            FUZZ_CHECK(back->messages[i].to == b->messages[i].to);
            FUZZ_CHECK(back->messages[i].client_id == b->messages[i].client_id);
        }
        // Results for this batch: whatever the body says, either refused or one per message.
        auto r = chat::parse_results(body.get(), b->messages);
        if (r) FUZZ_CHECK(r->size() == b->messages.size());
    } else {
        FUZZ_CHECK(!fuzz::echoes(error, input, strings));
    }

    std::optional<chat::HistoryPage> page = chat::parse_history(body.get());
    if (page) {
        FUZZ_CHECK(page->items.size() <= static_cast<std::size_t>(chat::kMaxHistoryLimit));
        Json again = chat::history_json(*page);
        std::optional<chat::HistoryPage> back = chat::parse_history(again.get());
        FUZZ_CHECK(back.has_value() && back->items.size() == page->items.size() && back->next_since == page->next_since);
        for (const chat::Message& m : page->items) {
            FUZZ_CHECK(m.seq >= 1 && fuzz::uuid_shape(m.id, true) && fuzz::uuid_shape(m.sender, true));
            FUZZ_CHECK(lower_uuids(m.to, 0, 50));
        }
    }
    return 0;
}
