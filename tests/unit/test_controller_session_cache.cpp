// Unit tests for controller/live/session_cache.cpp (GET /sessions/{id} read
// cache): hit/miss, bypass until the listener is connected and after it is
// lost (with a flush each way), disabled mode (0 entries), the size bound,
// invalidate, flush_all, the fill race (a ticket taken before an
// invalidation never stores), oversized bodies, and a multi-threaded
// writer/readers run checking that no reader ever sees a version older than
// the last invalidation that finished before its lookup.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "controller/live/session_cache.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using telemed::SessionCache;

namespace {

const std::string kA = "0b7e7a4e-4a57-4c1e-9a55-6d0d8c2c1f01";
const std::string kB = "6f1d2a8c-2b0e-4f7b-8d1a-3c9e5b7a4d02";

std::string id_n(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
    return buf;
}

// Fixtures: the cache lives in CMocka state so a failing assertion (longjmp)
// skips no destructor that matters.
int setup_connected(void** state) {
    auto* c = new SessionCache(100);
    c->set_connected(true);
    *state = c;
    return 0;
}
int setup_disconnected(void** state) {
    *state = new SessionCache(100);
    return 0;
}
int setup_small(void** state) {
    auto* c = new SessionCache(32);
    c->set_connected(true);
    *state = c;
    return 0;
}
int setup_one(void** state) {
    auto* c = new SessionCache(1);
    c->set_connected(true);
    *state = c;
    return 0;
}
int setup_disabled(void** state) {
    auto* c = new SessionCache(0);
    c->set_connected(true);
    *state = c;
    return 0;
}
int teardown(void** state) {
    delete static_cast<SessionCache*>(*state);
    return 0;
}
SessionCache& C(void** state) { return *static_cast<SessionCache*>(*state); }

// begin_fill + fill in one go (nothing in between).
bool put(SessionCache& c, const std::string& id, const std::string& body) {
    SessionCache::Ticket t = c.begin_fill(id);
    return c.fill(id, t, body);
}

// "" = miss.
std::string get(SessionCache& c, const std::string& id) {
    SessionCache::Body b = c.lookup(id);
    return b ? b->body : std::string();
}

void test_miss_then_hit(void** state) {
    SessionCache& c = C(state);
    assert_true(c.in_service());
    assert_string_equal(get(c, kA).c_str(), "");
    assert_true(put(c, kA, "{\"id\":\"a\"}"));
    assert_string_equal(get(c, kA).c_str(), "{\"id\":\"a\"}");
    assert_string_equal(get(c, kB).c_str(), "");  // other ids unaffected
    assert_int_equal(c.size(), 1);
    assert_int_equal(c.hits(), 1);
    assert_int_equal(c.misses(), 2);
    // A newer fill replaces the body, without growing the count.
    assert_true(put(c, kA, "{\"id\":\"a2\"}"));
    assert_string_equal(get(c, kA).c_str(), "{\"id\":\"a2\"}");
    assert_int_equal(c.size(), 1);
}

// An entry comes back with its presence slots; a newer fill replaces both.
void test_entry_keeps_slots(void** state) {
    SessionCache& c = C(state);
    SessionCache::Entry e{"{\"participants\":[{\"id\":\"p1\"},{\"id\":\"p2\"}]}", {{"p1", 27}, {"p2", 39}}};
    SessionCache::Ticket t = c.begin_fill(kA);
    assert_true(c.fill(kA, t, e));
    SessionCache::Body b = c.lookup(kA);
    assert_non_null(b.get());
    assert_string_equal(b->body.c_str(), e.body.c_str());
    assert_int_equal(b->slots.size(), 2);
    assert_string_equal(b->slots[0].participant_id.c_str(), "p1");
    assert_int_equal(b->slots[0].at, 27);
    assert_int_equal(b->body[b->slots[0].at], '}');
    assert_string_equal(b->slots[1].participant_id.c_str(), "p2");
    assert_int_equal(b->body[b->slots[1].at], '}');
    assert_true(put(c, kA, "{\"participants\":[]}"));
    b = c.lookup(kA);
    assert_non_null(b.get());
    assert_int_equal(b->slots.size(), 0);
}

void test_invalidate_drops_only_that_id(void** state) {
    SessionCache& c = C(state);
    assert_true(put(c, kA, "A"));
    assert_true(put(c, kB, "B"));
    c.invalidate(kA);
    assert_string_equal(get(c, kA).c_str(), "");
    assert_string_equal(get(c, kB).c_str(), "B");
    assert_int_equal(c.size(), 1);
    c.invalidate(kA);  // absent: harmless
    assert_int_equal(c.size(), 1);
    assert_int_equal(c.invalidations(), 2);
}

void test_fill_race_invalidation_wins(void** state) {
    SessionCache& c = C(state);
    // Reader: ticket, then (reads the database: old data), then a writer
    // commits and invalidates, then the reader tries to store the old data.
    SessionCache::Ticket t = c.begin_fill(kA);
    assert_true(t.valid);
    c.invalidate(kA);
    assert_false(c.fill(kA, t, "old"));
    assert_string_equal(get(c, kA).c_str(), "");
    assert_int_equal(c.size(), 0);
    // A ticket taken after the invalidation stores.
    SessionCache::Ticket t2 = c.begin_fill(kA);
    assert_true(c.fill(kA, t2, "new"));
    assert_string_equal(get(c, kA).c_str(), "new");
    // An old ticket never overwrites a newer entry after an invalidation.
    SessionCache::Ticket t3 = c.begin_fill(kA);
    c.invalidate(kA);
    assert_true(put(c, kA, "newest"));
    assert_false(c.fill(kA, t3, "stale"));
    assert_string_equal(get(c, kA).c_str(), "newest");
}

void test_flush_all_drops_everything_and_voids_tickets(void** state) {
    SessionCache& c = C(state);
    for (int i = 0; i < 50; ++i) assert_true(put(c, id_n(i), "x" + std::to_string(i)));
    assert_int_equal(c.size(), 50);
    SessionCache::Ticket t = c.begin_fill(id_n(7));
    c.flush_all();
    assert_int_equal(c.size(), 0);
    for (int i = 0; i < 50; ++i) assert_string_equal(get(c, id_n(i)).c_str(), "");
    assert_false(c.fill(id_n(7), t, "old"));
    assert_true(put(c, id_n(7), "fresh"));
    assert_string_equal(get(c, id_n(7)).c_str(), "fresh");
}

void test_bypassed_until_connected(void** state) {
    SessionCache& c = C(state);  // never connected yet
    assert_false(c.in_service());
    SessionCache::Ticket t = c.begin_fill(kA);
    assert_false(t.valid);
    assert_false(c.fill(kA, t, "A"));
    assert_null(c.lookup(kA).get());
    assert_int_equal(c.misses(), 0);  // bypass is not a miss
    // A ticket taken while connected, filled after the connection was lost
    // (notifications may be missed from then on), does not store.
    c.set_connected(true);
    SessionCache::Ticket t2 = c.begin_fill(kA);
    assert_true(t2.valid);
    c.set_connected(false);
    assert_false(c.fill(kA, t2, "A"));
    // Entries stored before a loss are gone after it, and after reconnecting.
    c.set_connected(true);
    assert_true(put(c, kA, "A"));
    assert_true(put(c, kB, "B"));
    c.set_connected(false);
    assert_null(c.lookup(kA).get());
    assert_int_equal(c.size(), 0);
    c.set_connected(true);
    assert_null(c.lookup(kA).get());
    assert_null(c.lookup(kB).get());
    // And a ticket from before the reconnect's flush is void.
    SessionCache::Ticket t3 = c.begin_fill(kA);
    c.set_connected(true);  // a reconnect flushes again
    assert_false(c.fill(kA, t3, "A"));
}

void test_disabled_stores_nothing(void** state) {
    SessionCache& c = C(state);
    assert_false(c.in_service());
    assert_false(put(c, kA, "A"));
    assert_null(c.lookup(kA).get());
    assert_int_equal(c.size(), 0);
    c.invalidate(kA);
    c.flush_all();
    assert_int_equal(c.hits() + c.misses(), 0);
}

void test_size_is_bounded(void** state) {
    SessionCache& c = C(state);  // 32 entries
    int stored = 0;
    for (int i = 0; i < 2000; ++i) {
        if (put(c, id_n(i), "body" + std::to_string(i))) ++stored;
        assert_true(c.size() <= 32);
    }
    assert_true(stored > 1000);  // full shards evict instead of refusing
    int present = 0;
    for (int i = 0; i < 2000; ++i) {
        std::string b = get(c, id_n(i));
        if (!b.empty()) {
            ++present;
            assert_string_equal(b.c_str(), ("body" + std::to_string(i)).c_str());
        }
    }
    assert_true(present >= 1);
    assert_true(present <= 32);
    assert_int_equal(static_cast<int>(c.size()), present);
}

void test_size_one(void** state) {
    SessionCache& c = C(state);
    for (int i = 0; i < 100; ++i) {
        put(c, id_n(i), "b");
        assert_true(c.size() <= 1);
    }
    int present = 0;
    for (int i = 0; i < 100; ++i) present += get(c, id_n(i)).empty() ? 0 : 1;
    assert_int_equal(present, static_cast<int>(c.size()));
    assert_true(present <= 1);
}

void test_oversized_body_not_cached(void** state) {
    SessionCache& c = C(state);
    assert_false(put(c, kA, std::string(SessionCache::kMaxBodyBytes + 1, 'x')));
    assert_null(c.lookup(kA).get());
    assert_true(put(c, kA, std::string(SessionCache::kMaxBodyBytes, 'x')));
    assert_int_equal(get(c, kA).size(), SessionCache::kMaxBodyBytes);
}

void test_metrics_text(void** state) {
    SessionCache& c = C(state);
    put(c, kA, "A");
    get(c, kA);
    get(c, kB);
    c.invalidate(kB);
    std::string m = c.render_metrics();
    assert_true(m.find("\ntelemed_session_cache_hits_total 1\n") != std::string::npos);
    assert_true(m.find("\ntelemed_session_cache_misses_total 1\n") != std::string::npos);
    assert_true(m.find("\ntelemed_session_cache_invalidations_total 1\n") != std::string::npos);
    assert_true(m.find("\ntelemed_session_cache_entries 1\n") != std::string::npos);
    assert_true(m.find("\ntelemed_session_cache_in_service 1\n") != std::string::npos);
    assert_true(m.find("# TYPE telemed_session_cache_hits_total counter\n") != std::string::npos);
}

// peek() finds what lookup() finds without counting; count_hit() counts the
// peeked body that was the answer, so a first try handed on to lookup()
// counts once.
void test_peek_counts_nothing(void** state) {
    SessionCache& c = C(state);
    put(c, kA, "A");
    assert_non_null(c.peek(kA).get());
    assert_string_equal(c.peek(kA)->body.c_str(), "A");
    assert_null(c.peek(kB).get());
    std::string m = c.render_metrics();
    assert_true(m.find("\ntelemed_session_cache_hits_total 0\n") != std::string::npos);
    assert_true(m.find("\ntelemed_session_cache_misses_total 0\n") != std::string::npos);
    c.count_hit();
    m = c.render_metrics();
    assert_true(m.find("\ntelemed_session_cache_hits_total 1\n") != std::string::npos);
}

// One writer bumps a version ("commit") then invalidates; readers follow
// the route's protocol (lookup; on miss: ticket, read the version, fill).
// A reader whose lookup starts after an invalidation finished must never
// see an older version. Returns the number of violations.
long run_writer_readers(SessionCache& c, int writes, int readers) {
    std::atomic<long> db_version{0};     // the "database"
    std::atomic<long> invalidated{0};    // highest version whose invalidate() returned
    std::atomic<bool> done{false};
    std::atomic<long> violations{0};
    std::atomic<long> hits{0};
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < readers; ++r) {
        threads.emplace_back([&] {
            started.fetch_add(1);
            while (!done.load()) {
                const long floor = invalidated.load();
                SessionCache::Body b = c.lookup(kA);
                long seen;
                if (b) {
                    seen = std::stol(b->body);
                    hits.fetch_add(1);
                } else {
                    SessionCache::Ticket t = c.begin_fill(kA);
                    seen = db_version.load();
                    std::this_thread::yield();  // widen the race window
                    c.fill(kA, t, std::to_string(seen));
                }
                if (seen < floor) violations.fetch_add(1);
            }
        });
    }
    // On a loaded machine the writer could finish before a reader runs, or
    // invalidate between every fill and lookup: hits would then depend on the
    // scheduler. So the writes start once every reader runs, and halfway
    // through the writer waits until a reader had a hit (bounded: a cache
    // that never hits fails below, it does not hang).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto wait_for = [&](auto ready) {
        while (!ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    };
    wait_for([&] { return started.load() == readers; });
    for (long v = 1; v <= writes; ++v) {
        db_version.store(v);
        c.invalidate(kA);
        invalidated.store(v);
        if (v % 64 == 0) std::this_thread::yield();
        if (v == writes / 2) wait_for([&] { return hits.load() > 0; });
    }
    done.store(true);
    for (auto& t : threads) t.join();
    // After the last invalidation, the cache holds the last version or nothing.
    SessionCache::Body last = c.lookup(kA);
    if (last && std::stol(last->body) != writes) violations.fetch_add(1000000);
    if (hits.load() == 0) violations.fetch_add(1000000000);  // the run must exercise hits too
    return violations.load();
}

void test_concurrent_writer_and_readers(void** state) {
    assert_int_equal(run_writer_readers(C(state), 200000, 3), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_miss_then_hit, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_entry_keeps_slots, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_invalidate_drops_only_that_id, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_fill_race_invalidation_wins, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_flush_all_drops_everything_and_voids_tickets, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_bypassed_until_connected, setup_disconnected, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_stores_nothing, setup_disabled, teardown),
        cmocka_unit_test_setup_teardown(test_size_is_bounded, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_size_one, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_body_not_cached, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_text, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_peek_counts_nothing, setup_connected, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writer_and_readers, setup_connected, teardown),
    };
    return cmocka_run_group_tests_name("controller_session_cache", tests, nullptr, nullptr);
}
