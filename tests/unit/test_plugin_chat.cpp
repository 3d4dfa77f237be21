// Chat in the plugin core (plugin/chat.cpp, plugin/chat_store.hpp) with a
// fake controller: ack only after the store answered, delivery to whom and
// only once, live permission checks, the lobby rules, the rate limit, a
// failing store (5030) and history.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/unit/plugin_fake_host.hpp"

using namespace plugin_test;

namespace {

// The controller, in memory: one row per (session, sender, client_id).
class FakeChatBackend final : public ChatBackend {
public:
    bool store(const chat::Batch& batch, std::vector<chat::ItemResult>* results) override {
        ++batches;
        if (fail) return false;
        if (lose_answer) {  // committed, but the answer never reaches the plugin
            std::vector<chat::ItemResult> lost;
            lose_answer = false;
            store(batch, &lost);
            --batches;
            return false;
        }
        for (const chat::Outgoing& m : batch.messages) {
            chat::ItemResult r;
            r.client_id = m.client_id;
            auto key = std::make_tuple(batch.session_id, m.sender, m.client_id);
            auto it = rows.find(key);
            if (it != rows.end()) {
                if (it->second.text != m.text || it->second.to != m.to) {
                    r.error_code = 4092;
                    r.error = "reused";
                } else {
                    r.id = it->second.id;
                    r.seq = it->second.seq;
                    r.created_at = it->second.created_at;
                    r.duplicate = true;
                }
            } else {
                chat::Message row;
                char id[64];
                std::snprintf(id, sizeof id, "99999999-9999-4999-8999-%012lld", static_cast<long long>(seq + 1) % 1000000);
                row.id = id;
                row.seq = ++seq;
                row.sender = m.sender;
                row.to = m.to;
                row.text = m.text;
                row.created_at = "2026-12-05T19:00:00.000Z";
                rows[key] = row;
                log.push_back(row);
                r.id = row.id;
                r.seq = row.seq;
                r.created_at = row.created_at;
            }
            results->push_back(std::move(r));
        }
        return true;
    }
    bool history(const std::string&, const std::string& pid, int64_t since, int limit,
                 chat::HistoryPage* page) override {
        if (fail) return false;
        for (const chat::Message& m : log) {
            if (m.seq <= since) continue;
            const bool visible = m.to.empty() || m.sender == pid ||
                                 std::find(m.to.begin(), m.to.end(), pid) != m.to.end();
            if (!visible) continue;
            if (static_cast<int>(page->items.size()) == limit) {
                page->next_since = page->items.back().seq;
                break;
            }
            page->items.push_back(m);
        }
        return true;
    }
    bool fail = false;
    bool lose_answer = false;
    int batches = 0;
    int64_t seq = 0;
    std::map<std::tuple<std::string, std::string, std::string>, chat::Message> rows;
    std::vector<chat::Message> log;
};

FakeChatBackend* g_backend = nullptr;

PluginConfig chat_config() {
    PluginConfig c = test_config(false);
    c.chat_rate_per_s = 1;
    c.chat_burst = 3;
    return c;
}

int setup(void** state) {
    g_backend = new FakeChatBackend;
    Fixture* f = make_fixture(chat_config());
    f->core->attach_chat_backend(*g_backend, 0);  // no threads: pump_chat()
    *state = f;
    return 0;
}

int teardown_chat(void** state) {
    teardown(state);  // the core (and its chat store) first
    delete g_backend;
    g_backend = nullptr;
    return 0;
}

// Sends a chat request on handle h with transaction txn (nothing stored yet).
void say(Fixture* f, int h, const char* txn, const char* client_id, const char* text, const char* to = nullptr) {
    std::string body = std::string("{\"request\":\"chat\",\"client_id\":\"") + client_id + "\",\"text\":\"" + text + "\"";
    if (to) body += std::string(",\"to\":[\"") + to + "\"]";
    body += "}";
    send(f, h, body.c_str(), txn);
}

// The store answers; its outcomes become events.
void store(Fixture* f) {
    f->core->pump_chat();
    f->core->drain();
}

int chat_events(Fixture* f, int h) {
    int n = 0;
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, h) && is_kind(c, "chat")) ++n;
    return n;
}

// The push answering txn on h, as JSON text ("" if none).
const char* answer(Fixture* f, int h, const char* txn) {
    for (const Call& c : f->host.calls)
        if (c.kind == Call::Push && c.h == H(f, h) && c.has_txn && c.txn == txn) return keep(f, c.json);
    return "";
}

bool contains(const char* hay, const char* needle) { return std::strstr(hay, needle) != nullptr; }

// Doctor (h0) and patient (h1) admitted in an active room; observer (h2) waiting.
void three_in_room(Fixture* f) {
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    assert_int_equal(join(f, 1, patient_token(f)), 0);
    assert_int_equal(moderate(f, 0, "admit", kPat), 0);
    assert_int_equal(join(f, 2, observer_token(f)), 0);
}

void broadcast_is_acked_after_store_and_delivered_once(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    say(f, 0, "c1", "m-1", "hello");
    assert_int_equal(reply(f, 0, "c1"), -1);  // not stored yet: no ack
    assert_int_equal(chat_events(f, 1), 0);
    store(f);
    assert_int_equal(reply(f, 0, "c1"), 0);
    assert_true(contains(answer(f, 0, "c1"), "\"telemed\":\"chat_sent\""));
    assert_true(contains(answer(f, 0, "c1"), "\"duplicate\":false"));
    assert_true(contains(answer(f, 0, "c1"), "\"seq\":1"));
    assert_int_equal(chat_events(f, 1), 1);
    assert_int_equal(chat_events(f, 0), 0);  // not to the sender
    assert_int_equal(chat_events(f, 2), 0);  // not to the lobby

    // A retry with the same client_id: acked as a duplicate, delivered to nobody.
    say(f, 0, "c2", "m-1", "hello");
    store(f);
    assert_true(contains(answer(f, 0, "c2"), "\"duplicate\":true"));
    assert_true(contains(answer(f, 0, "c2"), "\"seq\":1"));
    assert_int_equal(chat_events(f, 1), 1);
    // The same client_id for another text: 4092.
    say(f, 0, "c3", "m-1", "something else");
    store(f);
    assert_int_equal(reply(f, 0, "c3"), 4092);
}

void direct_messages_reach_only_their_recipients(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    // patient -> doctor
    say(f, 1, "d1", "dm-1", "private", kDoc);
    store(f);
    assert_int_equal(reply(f, 1, "d1"), 0);
    assert_int_equal(chat_events(f, 0), 1);
    assert_int_equal(chat_events(f, 2), 0);
    // unknown recipient, oneself
    say(f, 1, "d2", "dm-2", "x", kDoc2);
    assert_int_equal(reply(f, 1, "d2"), 4041);
    say(f, 1, "d3", "dm-3", "x", kPat);
    assert_int_equal(reply(f, 1, "d3"), 4046);
    // the patient cannot write to the waiting observer (no moderate)
    say(f, 1, "d4", "dm-4", "x", kObs);
    assert_int_equal(reply(f, 1, "d4"), 4043);
    assert_int_equal(g_backend->batches, 1);
}

void waiting_cannot_send_but_gets_a_moderators_dm(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    say(f, 2, "w1", "w-1", "let me in");
    assert_int_equal(reply(f, 2, "w1"), 4032);
    say(f, 0, "w2", "late-1", "running 5 minutes late", kObs);
    store(f);
    assert_int_equal(reply(f, 0, "w2"), 0);
    assert_int_equal(chat_events(f, 2), 1);
    assert_int_equal(chat_events(f, 1), 0);
    // history is allowed in the lobby, with the visibility rule
    const char* txn = "h1";
    send(f, 2, "{\"request\":\"chat_history\",\"since\":0}", txn);
    store(f);
    assert_true(contains(answer(f, 2, txn), "\"telemed\":\"chat_history\""));
    assert_true(contains(answer(f, 2, txn), "running 5 minutes late"));
    assert_true(contains(answer(f, 2, txn), "\"next_since\":null"));
}

void revoked_chat_is_refused_at_once(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    say(f, 1, "r1", "r-1", "ok");
    store(f);
    assert_int_equal(reply(f, 1, "r1"), 0);
    assert_int_equal(set_permissions(f, kPat, "[\"publish_audio\",\"subscribe\"]"), 0);
    say(f, 1, "r2", "r-2", "not ok");
    assert_int_equal(reply(f, 1, "r2"), 4043);
    // a doctor without moderate cannot reach the lobby any more
    assert_int_equal(set_permissions(f, kDoc, "[\"chat\",\"subscribe\"]"), 0);
    say(f, 0, "r3", "r-3", "x", kObs);
    assert_int_equal(reply(f, 0, "r3"), 4043);
}

void rate_limited_with_retry_after(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    say(f, 1, "a1", "a-1", "1");
    say(f, 1, "a2", "a-2", "2");
    say(f, 1, "a3", "a-3", "3");
    say(f, 1, "a4", "a-4", "4");  // burst 3
    assert_int_equal(reply(f, 1, "a4"), 4290);
    assert_true(contains(answer(f, 1, "a4"), "\"retry_after_ms\":"));
    store(f);
    assert_int_equal(g_backend->batches, 1);  // three messages, one batch
    assert_int_equal(chat_events(f, 0), 3);
    f->host.mono_us += 1'000'000;  // one token back
    say(f, 1, "a5", "a-5", "5");
    store(f);
    assert_int_equal(reply(f, 1, "a5"), 0);
}

void store_failure_is_a_retryable_error(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    g_backend->fail = true;
    say(f, 0, "f1", "f-1", "lost?");
    store(f);
    assert_int_equal(reply(f, 0, "f1"), 5030);
    assert_true(contains(answer(f, 0, "f1"), "\"retryable\":true"));
    assert_int_equal(chat_events(f, 1), 0);
    g_backend->fail = false;
    say(f, 0, "f2", "f-1", "lost?");  // the retry
    store(f);
    assert_int_equal(reply(f, 0, "f2"), 0);
    assert_int_equal(chat_events(f, 1), 1);
}

void a_lost_answer_is_delivered_once_on_retry(void** state) {
    Fixture* f = F(state);
    three_in_room(f);
    g_backend->lose_answer = true;
    say(f, 0, "l1", "lost-1", "stored but unanswered");
    store(f);
    assert_int_equal(reply(f, 0, "l1"), 5030);
    assert_int_equal(chat_events(f, 1), 0);
    assert_int_equal(static_cast<int>(g_backend->log.size()), 1);  // it was stored
    say(f, 0, "l2", "lost-1", "stored but unanswered");
    store(f);
    assert_true(contains(answer(f, 0, "l2"), "\"duplicate\":true"));
    assert_int_equal(chat_events(f, 1), 1);  // delivered now, late
    say(f, 0, "l3", "lost-1", "stored but unanswered");
    store(f);
    assert_true(contains(answer(f, 0, "l3"), "\"duplicate\":true"));
    assert_int_equal(chat_events(f, 1), 1);  // and only once
}

// The ChatStore alone, with its threads: per room, outcomes come back in
// submission order, each once, one batch in flight per room; a full room
// FIFO refuses; stop() joins.
struct SlowBackend final : public ChatBackend {
    std::mutex mu;
    std::map<std::string, int> in_flight;
    bool overlap = false;
    std::atomic<int> calls{0};
    bool store(const chat::Batch& b, std::vector<chat::ItemResult>* results) override {
        {
            std::lock_guard lk(mu);
            if (++in_flight[b.session_id] > 1) overlap = true;
        }
        ++calls;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
        for (const chat::Outgoing& m : b.messages) {
            chat::ItemResult r;
            r.client_id = m.client_id;
            r.id = "99999999-9999-4999-8999-999999999999";
            r.seq = 1;
            r.created_at = "2026-12-05T19:00:00.000Z";
            results->push_back(r);
        }
        std::lock_guard lk(mu);
        --in_flight[b.session_id];
        return true;
    }
    bool history(const std::string&, const std::string&, int64_t, int, chat::HistoryPage*) override { return true; }
};

// 0 when every check holds, else the number of the failed one.
int run_store_threads() {
    SlowBackend backend;
    std::mutex mu;
    std::map<std::string, std::vector<int>> seen;
    std::atomic<int> outcomes{0};
    ChatStore store(
        backend, 2, 1000,
        [&](ChatBatchDone d) {
            std::lock_guard lk(mu);
            for (const PendingChat& m : d.messages) seen[d.room_id].push_back(std::stoi(m.message.client_id));
            outcomes += static_cast<int>(d.messages.size());
        },
        [](ChatHistoryDone) {});
    store.start();
    const char* rooms[] = {kRoom, kRoom2, kRoom3};
    std::vector<std::thread> producers;
    for (const char* room : rooms) {
        producers.emplace_back([&store, room] {
            for (int i = 0; i < 300; ++i) {
                PendingChat m;
                m.room_id = room;
                m.message.client_id = std::to_string(i);
                m.message.sender = kDoc;
                m.message.text = "x";
                while (!store.submit(m)) std::this_thread::yield();
            }
        });
    }
    for (std::thread& t : producers) t.join();
    for (int i = 0; i < 2000 && outcomes.load() < 900; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    store.stop();
    if (outcomes.load() != 900) return 1;
    for (const char* room : rooms) {
        const std::vector<int>& v = seen[room];
        if (v.size() != 300) return 2;
        for (int i = 0; i < 300; ++i)
            if (v[static_cast<std::size_t>(i)] != i) return 3;
    }
    if (backend.overlap) return 4;
    if (backend.calls.load() >= 900) return 5;  // batched
    // A full FIFO refuses; a stopped store refuses.
    ChatStore tiny(backend, 0, 2, [](ChatBatchDone) {}, [](ChatHistoryDone) {});
    PendingChat m;
    m.room_id = kRoom;
    m.message.client_id = "a";
    if (!tiny.submit(m) || !tiny.submit(m) || tiny.submit(m)) return 6;
    tiny.stop();
    if (tiny.submit(m)) return 7;
    return 0;
}

void store_threads_keep_room_order(void**) { assert_int_equal(run_store_threads(), 0); }

// The whole path with real threads: the worker and two store threads.
// Returns the number of acks (chat_sent) the sender got, and *delivered
// the chat events of the other member.
int run_threaded_core(int* delivered) {
    FakeChatBackend backend;
    PluginConfig config = chat_config();
    config.chat_rate_per_s = 1000;
    config.chat_burst = 1000;
    Fixture* f = make_fixture(std::move(config));
    void* st = f;
    f->core->attach_chat_backend(backend, 2);
    create_room(f, kRoom);
    join(f, 0, doctor_token(f));
    join(f, 1, patient_token(f));
    moderate(f, 0, "admit", kPat);
    start_worker(f);
    for (int i = 0; i < 200; ++i) {
        std::string body = "{\"request\":\"chat\",\"client_id\":\"t" + std::to_string(i) + "\",\"text\":\"x\"}";
        json_error_t err;
        Json msg(json_loads(body.c_str(), 0, &err));
        while (f->core->enqueue_message(H(f, 0), "tx" + std::to_string(i), std::move(msg), nullptr) !=
               PluginCore::Enqueued::Ok)
            std::this_thread::yield();
    }
    int acks = 0;
    for (int round = 0; round < 1000 && acks < 200; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard lk(f->host.mu);
        acks = 0;
        *delivered = 0;
        for (const Call& c : f->host.calls) {
            if (c.kind == Call::Push && c.h == H(f, 0) && is_kind(c, "chat_sent")) ++acks;
            if (c.kind == Call::Push && c.h == H(f, 1) && is_kind(c, "chat")) ++*delivered;
        }
    }
    teardown(&st);  // stops the store threads and the worker
    return acks;
}

void threaded_core_acks_and_delivers_everything(void**) {
    int delivered = 0;
    assert_int_equal(run_threaded_core(&delivered), 200);
    assert_int_equal(delivered, 200);
}

void not_joined_and_bad_requests(void** state) {
    Fixture* f = F(state);
    assert_int_equal(create_room(f, kRoom), 0);
    say(f, 3, "n1", "n-1", "x");
    assert_int_equal(reply(f, 3, "n1"), 4031);
    assert_int_equal(request(f, 3, "{\"request\":\"chat\",\"client_id\":\"x\",\"text\":\"\"}"), 4003);
    assert_int_equal(request(f, 3, "{\"request\":\"chat_history\",\"limit\":9999}"), 4003);
    assert_int_equal(request(f, 3, "{\"request\":\"chat_history\"}"), 4031);
}

void without_a_store_chat_answers_5030(void**) {
    Fixture* f = make_fixture(chat_config());
    void* st = f;
    assert_int_equal(create_room(f, kRoom), 0);
    assert_int_equal(join(f, 0, doctor_token(f)), 0);
    int code = request(f, 0, "{\"request\":\"chat\",\"client_id\":\"x\",\"text\":\"hi\"}");
    teardown(&st);
    assert_int_equal(code, 5030);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(broadcast_is_acked_after_store_and_delivered_once, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(direct_messages_reach_only_their_recipients, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(waiting_cannot_send_but_gets_a_moderators_dm, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(revoked_chat_is_refused_at_once, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(rate_limited_with_retry_after, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(store_failure_is_a_retryable_error, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(a_lost_answer_is_delivered_once_on_retry, setup, teardown_chat),
        cmocka_unit_test_setup_teardown(not_joined_and_bad_requests, setup, teardown_chat),
        cmocka_unit_test(without_a_store_chat_answers_5030),
        cmocka_unit_test(store_threads_keep_room_order),
        cmocka_unit_test(threaded_core_acks_and_delivers_everything),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
