// controller/routes/janus_step.hpp.
#include "controller/routes/janus_step.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/deadline.hpp"
#include "controller/http/problem.hpp"
#include "controller/live/room_reconciler.hpp"
#include "controller/live/session_locks.hpp"
#include "controller/log.hpp"
#include "controller/routes/support.hpp"

namespace telemed {

JanusBudget::JanusBudget() {
    const SteadyTime now = std::chrono::steady_clock::now();
    deadline_ = now + std::chrono::milliseconds(kJanusBudgetMs);
    if (std::optional<SteadyTime> d = thread_deadline()) {
        // Leave step 3 its reserve: Janus must not apply what Postgres then
        // has no time to write. Past already: the budget is spent (503 at once).
        deadline_ = std::min(deadline_, *d - std::chrono::milliseconds(kJanusWriteReserveMs));
    }
}

unsigned JanusBudget::next_call_ms(unsigned janus_timeout_ms) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now()).count();
    if (left < static_cast<long long>(kJanusMinCallMs)) return 0;
    const unsigned cap = janus_timeout_ms == 0 ? kJanusBudgetMs : janus_timeout_ms;
    return static_cast<unsigned>(std::min<long long>(left, cap));
}

JanusAdmin::Result JanusBudget::call(AppContext& app, const json_t* request) const {
    const unsigned ms = next_call_ms(app.config.janus_timeout_ms);
    if (ms == 0) {
        JanusAdmin::Result r;
        r.unreachable = true;
        r.error = "request deadline reached";
        return r;
    }
    return app.janus.message_plugin(request, ms);
}

std::string session_fingerprint(PGconn* c, const std::string& session_id) {
    db::ResultPtr r = db::exec(c,
                               "SELECT md5(s.status || '|' || s.updated_at::text || '|' || coalesce("
                               "(SELECT string_agg(p.id::text || ':' || p.status || ':' || p.updated_at::text, ',' "
                               "ORDER BY p.id) FROM participants p WHERE p.session_id = s.id), '')) "
                               "FROM sessions s WHERE s.id = $1",
                               db::Params().add(session_id));
    if (PQntuples(r.get()) == 0) return "";
    return db::str(r.get(), 0, 0);
}

std::optional<Response> run_janus_step(AppContext& app, const std::string& session_id,
                                       const std::function<std::optional<Response>(PGconn*, JanusPlan&)>& read,
                                       const std::function<db::TxnEnd(PGconn*, const db::Session&)>& write,
                                       JanusStepLock lock) {
    // Shared with the session's other changes, exclusive for a transition
    // and the reconciler's restore (controller/live/session_locks.hpp).
    // Taken before the budget starts: a wait does not eat the Janus time.
    std::shared_mutex& m = session_locks().of(session_id);
    std::shared_lock<std::shared_mutex> shared(m, std::defer_lock);
    std::unique_lock<std::shared_mutex> exclusive(m, std::defer_lock);
    if (lock == JanusStepLock::Exclusive)
        exclusive.lock();
    else
        shared.lock();
    const JanusBudget budget;
    for (int attempt = 1; attempt <= kMaxJanusStepAttempts; ++attempt) {
        // 1. read, no lock. The fingerprint first: a change committed after
        // it makes step 3 start again rather than go unnoticed.
        std::optional<Response> early;
        JanusPlan plan;
        std::string fingerprint;
        db::run_read(app.db, [&](PGconn* c) {
            plan = JanusPlan{};
            fingerprint = session_fingerprint(c, session_id);
            early = read(c, plan);
        });
        if (early) return early;
        if (fingerprint.empty()) return not_found("No session with this id.");

        // 2. Janus, no transaction open.
        if (plan.request) {
            JanusAdmin::Result r = budget.call(app, plan.request.get());
            if (!janus_accepted(r, plan.tolerate_missing_room, plan.op, session_id)) {
                // A timed-out request may still be applied by Janus later:
                // the reconciler puts the media path back in line with Postgres.
                if (r.unreachable && app.rooms) app.rooms->request_resync(session_id);
                return janus_unavailable();
            }
        }

        // 3. lock, compare, write.
        bool changed = false;
        bool gone = false;
        try {
            db::transact(app.db, [&](PGconn* c) {
                changed = gone = false;
                std::optional<db::Session> s = db::lock_session(c, session_id);
                if (!s) {
                    gone = true;
                    return db::TxnEnd::Rollback;
                }
                if (session_fingerprint(c, session_id) != fingerprint) {
                    changed = true;
                    return db::TxnEnd::Rollback;
                }
                return write(c, *s);
            });
        } catch (...) {
            // Janus applied the change, Postgres did not take it (timeout,
            // lock timeout, commit failure): the reconciler re-sends the
            // session's permission sets from Postgres.
            if (plan.request && app.rooms) app.rooms->request_resync(session_id);
            throw;
        }
        if (gone) return not_found("No session with this id.");
        if (!changed) return std::nullopt;
        log_info("session %s: changed during the Janus %s call (attempt %d); again", session_id.c_str(), plan.op,
                 attempt);
        // The last attempt's Janus request was applied and is not written:
        // the media path goes back in line with Postgres.
        if (attempt == kMaxJanusStepAttempts && plan.request && app.rooms) app.rooms->request_resync(session_id);
    }
    Response r = problem(409, "concurrent-change", "Concurrent change",
                         "The session changed several times while this request was applied; retry.");
    return r;
}

}  // namespace telemed
