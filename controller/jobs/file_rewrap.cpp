// Master key rotation for stored files (controller/jobs/file_rewrap.hpp).
#include "controller/jobs/file_rewrap.hpp"

#include <string>
#include <vector>

#include "common/ids.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/txn.hpp"
#include "controller/log.hpp"
#include "controller/storage/segment_crypto.hpp"

namespace telemed {

RewrapResult rewrap_file_keys(db::Pool& pool, const ControllerConfig& cfg) {
    RewrapResult total;
    if (cfg.storage_master_keys.empty()) return total;
    const ControllerConfig::MasterKey& target = cfg.storage_master_keys.front();
    std::vector<std::string> skip;  // ids that failed: not retried in this run
    while (true) {
        RewrapResult batch;
        std::size_t seen = 0;
        db::transact(pool, [&](PGconn* c) {
            batch = RewrapResult{};
            std::string skip_list = "{";
            for (std::size_t i = 0; i < skip.size(); ++i) skip_list += (i ? "," : "") + skip[i];
            skip_list += "}";
            db::ResultPtr r = db::exec(c,
                                       "SELECT id::text, key_id, wrapped_key FROM files WHERE wrapped_key IS NOT NULL"
                                       " AND key_id <> $1 AND NOT (id = ANY ($2::uuid[])) ORDER BY id LIMIT 200"
                                       " FOR UPDATE SKIP LOCKED",
                                       db::Params().add(target.kid).add(skip_list));
            seen = static_cast<std::size_t>(PQntuples(r.get()));
            for (std::size_t i = 0; i < seen; ++i) {
                const int row = static_cast<int>(i);
                const std::string id = db::str(r.get(), row, 0);
                const std::string kid = db::str(r.get(), row, 1);
                const std::string wrapped = db::bytea(r.get(), row, 2);
                const ControllerConfig::MasterKey* old = nullptr;
                for (const auto& k : cfg.storage_master_keys)
                    if (k.kid == kid) old = &k;
                std::optional<std::string> key;
                if (old) key = segcrypt::unwrap_key(old->key, uuid_to_bytes(id), wrapped);
                std::optional<std::string> rewrapped;
                if (key) rewrapped = segcrypt::wrap_key(target.key, uuid_to_bytes(id), *key);
                if (!rewrapped) {
                    log_error("rewrap: file %s (key %s) %s", id.c_str(), kid.c_str(),
                              old ? "does not unwrap" : "names a master key that is not configured");
                    skip.push_back(id);
                    ++batch.failed;
                    continue;
                }
                db::exec(c, "UPDATE files SET key_id = $2, wrapped_key = $3::bytea WHERE id = $1::uuid",
                         db::Params().add(id).add(target.kid).add_bytea(*rewrapped));
                ++batch.rewrapped;
            }
            return db::TxnEnd::Commit;
        });
        total.rewrapped += batch.rewrapped;
        total.failed += batch.failed;
        if (seen == 0 || skip.size() > 10000) break;
    }
    return total;
}

}  // namespace telemed
