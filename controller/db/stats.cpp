// db::sessions_by_status (pool.hpp): the session count per status for
// /metrics, every status present (zeros included).
#include <array>

#include "common/requests.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/pool.hpp"

namespace telemed::db {

std::vector<std::pair<std::string, long>> sessions_by_status(Pool& pool) {
    constexpr std::array<SessionStatus, 4> kAll = {SessionStatus::Scheduled, SessionStatus::Active,
                                                   SessionStatus::Ended, SessionStatus::Cancelled};
    std::vector<std::pair<std::string, long>> out;
    for (SessionStatus s : kAll) out.emplace_back(std::string(to_string(s)), 0L);
    run_read(pool, [&](PGconn* c) {
        for (auto& row : out) row.second = 0;
        ResultPtr r = exec(c, "SELECT status, count(*) FROM sessions GROUP BY status");
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            std::string_view status = text(r.get(), i, 0);
            for (auto& row : out)
                if (row.first == status) row.second = static_cast<long>(int64(r.get(), i, 1));
        }
    });
    return out;
}

}  // namespace telemed::db
