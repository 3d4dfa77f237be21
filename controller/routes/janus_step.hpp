// The Janus step of a REST mutation, without a row lock held across the call
// (issue 11 item 3). A Janus call may take up to janus_timeout_ms (a hung
// Janus); with the session row locked meanwhile, every other write to the
// session would wait behind it. So a mutation that needs Janus runs as:
//
//   1. read   (db::run_read, no lock): validate, plan the change and the
//             Janus request; the session's fingerprint (status, updated_at,
//             every participant's id, status and updated_at) is taken first;
//   2. Janus  (no transaction open): the request, idempotent (create_room is
//             an upsert, kick and set_permissions are idempotent), within
//             the request's Janus budget (JanusBudget);
//   3. write  (db::transact): lock the session row, compare the
//             fingerprint; unchanged -> apply the planned change and commit;
//             changed -> roll back and start again from 1 (the new Janus
//             request then carries the current state, which also repairs
//             what the earlier one set), at most kMaxJanusStepAttempts
//             times, then 409 concurrent-change.
//
// Janus refused, unreachable or out of budget: 503 janus-unavailable +
// Retry-After, and nothing was written to Postgres (step 3 never ran).
// Janus accepted but nothing was written (step 3 threw: timeout, lock
// timeout, commit failure; or 409 concurrent-change after the last
// attempt), or the Janus call failed in transport: the session is queued
// for the room reconciler's resync (RoomReconciler::request_resync), which
// re-sends the permission sets from Postgres (it does not lift a ban that
// Janus applied: docs/OPERATIONS.md "Janus restart").
#pragma once
#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "controller/app.hpp"
#include "controller/clients/janus_admin.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/http/types.hpp"

namespace telemed {

// Whole-request bound on Janus work: every Janus call of one request, all
// attempts included, ends within kJanusBudgetMs of the request's start, so
// a hung Janus is answered 503 within 5 s (with the database steps around).
inline constexpr unsigned kJanusBudgetMs = 4000;
// ... and at least kJanusWriteReserveMs before the thread's deadline (the
// lane's db_request_budget_ms, counted from the hand-off, queue wait
// included: controller/deadline.hpp), so step 3 has time to write what
// Janus applied.
inline constexpr unsigned kJanusWriteReserveMs = 500;
// A call is not started with less than this left (503 at once instead).
inline constexpr unsigned kJanusMinCallMs = 250;
inline constexpr int kMaxJanusStepAttempts = 3;

class JanusBudget {
public:
    // Ends at min(now + kJanusBudgetMs, thread_deadline() - kJanusWriteReserveMs).
    JanusBudget();
    // min(janus_timeout_ms, what is left); 0 when less than kJanusMinCallMs is left.
    unsigned next_call_ms(unsigned janus_timeout_ms) const;
    // message_plugin within the budget; unreachable ("deadline") when spent.
    JanusAdmin::Result call(AppContext& app, const json_t* request) const;
private:
    std::chrono::steady_clock::time_point deadline_;
};

// Status, updated_at and every participant's (id, status, updated_at) of the
// session, hashed: equal fingerprints read at two times mean nothing the
// Janus side depends on changed in between. "" for an unknown session.
std::string session_fingerprint(PGconn* c, const std::string& session_id);

struct JanusPlan {
    Json request;                        // the Admin API body; null: no Janus call needed
    bool tolerate_missing_room = false;  // 4040 counts as accepted
    const char* op = "";                 // for logs
};

// How a step holds its session's lock (controller/live/session_locks.hpp):
// Shared for changes that may run side by side (participants), Exclusive for
// a session transition, whose destroy_room (end, cancel) or create_room
// (start) no concurrent step may undo.
enum class JanusStepLock { Shared, Exclusive };

// The three steps above for session `session_id`.
//  read(c, plan): returns a response to answer at once (404, 409, ...) or
//    nullopt with `plan` filled; it must reset what it captures (run again
//    on each attempt).
//  write(c, s): under the session lock (s = the locked row), the
//    fingerprint unchanged: writes; returns Commit (or Rollback with a
//    response of its own captured by the caller).
// Returns nullopt when write committed, else the response to send (404 if
// the session vanished, 503 janus-unavailable, 409 concurrent-change,
// whatever read answered). Database errors are thrown (callers run this
// inside guarded()).
std::optional<Response> run_janus_step(AppContext& app, const std::string& session_id,
                                       const std::function<std::optional<Response>(PGconn*, JanusPlan&)>& read,
                                       const std::function<db::TxnEnd(PGconn*, const db::Session&)>& write,
                                       JanusStepLock lock = JanusStepLock::Shared);

}  // namespace telemed
