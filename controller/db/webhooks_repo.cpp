// webhook_deliveries (controller/db/webhooks_repo.hpp, sql/010_webhooks.sql).
#include "controller/db/webhooks_repo.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/crypto.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {
namespace {

// A text[] literal of the configured URLs (printable ASCII without spaces:
// config.cpp), quoted element by element.
std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char ch : items[i]) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    return out + "}";
}

// "telemed webhook fan-out": the advisory lock key (any constant unique in
// this database's use of advisory locks).
constexpr const char* kFanOutLock = "7301554811520917";

#define DELIVERY_COLUMNS                                                                                  \
    "d.id, o.event_id::text, o.topic, d.session_id::text, d.endpoint, d.state, d.attempts, d.last_status," \
    " d.last_error, " TELEMED_SQL_MICROS("d.created_at") ","                                               \
    " CASE WHEN d.state = 'pending' THEN " TELEMED_SQL_MICROS("d.next_attempt_at") " END,"                 \
    " " TELEMED_SQL_MICROS("d.delivered_at") ", " TELEMED_SQL_MICROS("d.dead_at")

DeliveryRow delivery_row(const PGresult* r, int i) {
    DeliveryRow d;
    d.id = int64(r, i, 0);
    d.event_id = str(r, i, 1);
    d.topic = str(r, i, 2);
    d.session_id = opt_str(r, i, 3);
    d.endpoint = str(r, i, 4);
    d.state = str(r, i, 5);
    d.attempts = static_cast<int>(int64(r, i, 6));
    d.last_status = opt_int64(r, i, 7);
    d.last_error = opt_str(r, i, 8);
    d.created_at = int64(r, i, 9);
    d.next_attempt_at = opt_int64(r, i, 10);
    d.delivered_at = opt_int64(r, i, 11);
    d.dead_at = opt_int64(r, i, 12);
    return d;
}

}  // namespace

std::size_t fan_out(PGconn* c, const std::vector<std::string>& endpoints, int limit, const StatusRoute* status) {
    ResultPtr lock = exec(c, "SELECT pg_try_advisory_xact_lock($1::int8)", Params().add(kFanOutLock));
    if (!boolean(lock.get(), 0, 0)) return 0;
    std::optional<std::string> status_endpoint;
    std::string status_topics = "{}";
    if (status) {
        status_endpoint = status->endpoint;
        status_topics = text_array(status->topics);
    }
    ResultPtr r = exec(c,
                       "WITH batch AS ("
                       "  SELECT id, session_id, topic FROM outbox WHERE fanned_out_at IS NULL ORDER BY id"
                       "  LIMIT $2::int FOR UPDATE),"
                       " made AS ("
                       "  INSERT INTO webhook_deliveries (outbox_id, endpoint, session_id)"
                       "  SELECT x.id, x.e, x.session_id FROM ("
                       "    SELECT b.id, u.e, b.session_id FROM batch b CROSS JOIN unnest($1::text[]) AS u(e)"
                       "    UNION ALL"
                       // The status updates: only session status events of sessions with an external_ref.
                       "    SELECT b.id, $3::text, b.session_id FROM batch b JOIN sessions s ON s.id = b.session_id"
                       "     WHERE $3::text IS NOT NULL AND b.topic = ANY ($4::text[])"
                       "       AND s.external_ref IS NOT NULL) AS x"
                       "  ORDER BY x.id"
                       "  ON CONFLICT (outbox_id, endpoint) DO NOTHING"
                       "  RETURNING outbox_id)"
                       " UPDATE outbox o SET fanned_out_at = now(),"
                       "  delivered_at = CASE WHEN cardinality($1::text[]) = 0"
                       "   AND NOT EXISTS (SELECT 1 FROM made m WHERE m.outbox_id = o.id) THEN now()"
                       "   ELSE o.delivered_at END"
                       " FROM batch WHERE o.id = batch.id",
                       Params().add(text_array(endpoints)).add(limit).add(status_endpoint).add(status_topics));
    return static_cast<std::size_t>(std::strtoull(PQcmdTuples(r.get()), nullptr, 10));
}

std::vector<ClaimedDelivery> claim_deliveries(PGconn* c, const std::vector<std::string>& endpoints, int limit,
                                              unsigned lease_s) {
    // FOR UPDATE SKIP LOCKED: concurrent claimers (threads, controllers) take
    // disjoint rows; a row another claimer leased and committed is re-checked
    // by Postgres after the lock and then fails the lease condition.
    ResultPtr r = exec(c,
                       "WITH due AS ("
                       "  SELECT d.id FROM webhook_deliveries d"
                       "   WHERE d.state = 'pending' AND d.next_attempt_at <= now()"
                       "     AND (d.lease_until IS NULL OR d.lease_until <= now())"
                       "     AND d.endpoint = ANY ($1::text[])"
                       "     AND (d.session_id IS NULL OR NOT EXISTS ("
                       "          SELECT 1 FROM webhook_deliveries e"
                       "           WHERE e.endpoint = d.endpoint AND e.session_id = d.session_id"
                       "             AND e.state = 'pending' AND e.outbox_id < d.outbox_id))"
                       "   ORDER BY d.next_attempt_at, d.id LIMIT $2::int"
                       "   FOR UPDATE OF d SKIP LOCKED)"
                       " UPDATE webhook_deliveries w"
                       "    SET attempts = w.attempts + 1, lease_until = now() + $3::int * interval '1 second'"
                       "   FROM due CROSS JOIN outbox o LEFT JOIN sessions s ON s.id = o.session_id"
                       "   LEFT JOIN participants p ON o.topic = 'participant.added'"
                       "        AND p.id = CASE WHEN o.topic = 'participant.added'"
                       "                        THEN (o.payload->>'participant_id')::uuid END"
                       "        AND p.session_id = o.session_id AND p.status = 'active'"
                       "        AND s.status IN ('scheduled', 'active')"
                       "  WHERE w.id = due.id AND o.id = w.outbox_id"
                       " RETURNING w.id, w.attempts, w.endpoint, o.event_id::text, o.topic, o.payload::text,"
                       "  coalesce(o.payload->>'occurred_at', ''), " TELEMED_SQL_MICROS("o.created_at") ", w.outbox_id,"
                       "  coalesce(o.session_id::text, ''), coalesce(s.external_ref, ''),"
                       "  p.id::text, p.credential_epoch::int8, floor(extract(epoch from p.credential_issued_at))::int8",
                       Params().add(text_array(endpoints)).add(limit).add(static_cast<int64_t>(lease_s)));
    std::vector<std::pair<int64_t, ClaimedDelivery>> rows;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n; ++i) {
        ClaimedDelivery d;
        d.id = int64(r.get(), i, 0);
        d.attempt = static_cast<int>(int64(r.get(), i, 1));
        d.endpoint = str(r.get(), i, 2);
        d.event_id = str(r.get(), i, 3);
        d.topic = str(r.get(), i, 4);
        d.payload = json(r.get(), i, 5);
        d.occurred_at = str(r.get(), i, 6);
        d.event_created_at = int64(r.get(), i, 7);
        d.session_id = str(r.get(), i, 9);
        d.external_ref = str(r.get(), i, 10);
        if (!PQgetisnull(r.get(), i, 11)) {
            CredentialClaims k;
            k.session_id = d.session_id;
            k.participant_id = str(r.get(), i, 11);
            k.epoch = int64(r.get(), i, 12);
            k.issued_at = int64(r.get(), i, 13);
            d.invite = std::move(k);
        }
        rows.emplace_back(int64(r.get(), i, 8), std::move(d));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ClaimedDelivery> out;
    out.reserve(rows.size());
    for (auto& [oid, d] : rows) out.push_back(std::move(d));
    return out;
}

std::size_t finish_delivered(PGconn* c, const std::vector<Delivered>& done) {
    if (done.empty()) return 0;
    std::string ids = "{", attempts = "{", statuses = "{";
    for (std::size_t i = 0; i < done.size(); ++i) {
        const char* sep = i ? "," : "";
        ids += sep + std::to_string(done[i].id);
        attempts += sep + std::to_string(done[i].attempt);
        statuses += sep + std::to_string(done[i].status);
    }
    ids += "}";
    attempts += "}";
    statuses += "}";
    ResultPtr r = exec(c,
                       "UPDATE webhook_deliveries w SET state = 'delivered', delivered_at = now(), lease_until = NULL,"
                       " last_status = u.status, last_error = NULL"
                       " FROM unnest($1::int8[], $2::int[], $3::int[]) AS u(id, attempt, status)"
                       " WHERE w.id = u.id AND w.attempts = u.attempt AND w.state = 'pending'"
                       " RETURNING w.outbox_id",
                       Params().add(ids).add(attempts).add(statuses));
    const int n = PQntuples(r.get());
    if (n == 0) return 0;
    std::string outbox_ids = "{";
    for (int i = 0; i < n; ++i) outbox_ids += (i ? "," : "") + str(r.get(), i, 0);
    outbox_ids += "}";
    // Two senders finishing the two endpoints' deliveries of one event at
    // once would each see the other's as not delivered yet (uncommitted) and
    // neither would set delivered_at. Locking the outbox rows first (in id
    // order: no deadlock) serialises them, and the next statement's fresh
    // snapshot sees the other's committed delivery.
    exec(c, "SELECT id FROM outbox WHERE id = ANY ($1::int8[]) ORDER BY id FOR UPDATE", Params().add(outbox_ids));
    exec(c,
         "UPDATE outbox o SET delivered_at = now() WHERE o.id = ANY ($1::int8[]) AND o.delivered_at IS NULL"
         " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = o.id AND d.state <> 'delivered')",
         Params().add(outbox_ids));
    return static_cast<std::size_t>(n);
}

bool finish_failed(PGconn* c, int64_t id, int attempt, int status, const std::string& error, int64_t retry_ms,
                   unsigned max_attempts, unsigned max_age_s) {
    ResultPtr r = exec(c,
                       "UPDATE webhook_deliveries SET lease_until = NULL,"
                       " last_status = NULLIF($3::int, 0), last_error = left($4, 500),"
                       " state = CASE WHEN attempts >= $6::int"
                       "   OR coalesce(redelivered_at, created_at) < now() - $7::int * interval '1 second'"
                       "   THEN 'dead' ELSE 'pending' END,"
                       " dead_at = CASE WHEN attempts >= $6::int"
                       "   OR coalesce(redelivered_at, created_at) < now() - $7::int * interval '1 second'"
                       "   THEN now() END,"
                       " next_attempt_at = now() + $5::int8 * interval '1 millisecond'"
                       " WHERE id = $1::int8 AND attempts = $2::int AND state = 'pending' RETURNING state",
                       Params()
                           .add(id)
                           .add(attempt)
                           .add(status)
                           .add(error)
                           .add(retry_ms)
                           .add(static_cast<int64_t>(max_attempts))
                           .add(static_cast<int64_t>(max_age_s)));
    return PQntuples(r.get()) == 1 && text(r.get(), 0, 0) == "dead";
}

void release_claim(PGconn* c, int64_t id, int attempt) {
    exec(c,
         "UPDATE webhook_deliveries SET lease_until = NULL, attempts = attempts - 1"
         " WHERE id = $1::int8 AND attempts = $2::int AND state = 'pending'",
         Params().add(id).add(attempt));
}

DeliveryPage list_deliveries(PGconn* c, const std::optional<std::string>& state, std::optional<int64_t> before,
                             int limit) {
    // One row more than asked tells whether another page follows. Two
    // statements so that each uses its index (state, id DESC) / primary key.
    ResultPtr r = state ? exec(c,
                               "SELECT " DELIVERY_COLUMNS
                               " FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id"
                               " WHERE d.state = $1 AND ($2::int8 IS NULL OR d.id < $2::int8)"
                               " ORDER BY d.id DESC LIMIT $3::int",
                               Params().add(*state).add(before).add(limit + 1))
                        : exec(c,
                               "SELECT " DELIVERY_COLUMNS
                               " FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id"
                               " WHERE ($1::int8 IS NULL OR d.id < $1::int8)"
                               " ORDER BY d.id DESC LIMIT $2::int",
                               Params().add(before).add(limit + 1));
    DeliveryPage page;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) page.items.push_back(delivery_row(r.get(), i));
    if (n > limit && !page.items.empty()) page.next_before = page.items.back().id;
    return page;
}

std::optional<DeliveryRow> find_delivery(PGconn* c, int64_t id, bool for_update) {
    ResultPtr r = for_update ? exec(c,
                                    "SELECT " DELIVERY_COLUMNS
                                    " FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id"
                                    " WHERE d.id = $1::int8 FOR UPDATE OF d",
                                    Params().add(id))
                             : exec(c,
                                    "SELECT " DELIVERY_COLUMNS
                                    " FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id"
                                    " WHERE d.id = $1::int8",
                                    Params().add(id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return delivery_row(r.get(), 0);
}

void redeliver(PGconn* c, int64_t id) {
    exec(c,
         "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(),"
         " lease_until = NULL, dead_at = NULL, redelivered_at = now() WHERE id = $1::int8 AND state = 'dead'",
         Params().add(id));
}

std::string encode_delivery_cursor(int64_t before) { return base64url_encode("w1:" + std::to_string(before)); }

std::optional<int64_t> decode_delivery_cursor(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    std::optional<std::string> raw = base64url_decode(text);
    if (!raw || raw->size() < 4 || raw->size() > 3 + 18 || raw->compare(0, 3, "w1:") != 0) return std::nullopt;
    int64_t v = 0;
    for (char ch : std::string_view(*raw).substr(3)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        v = v * 10 + (ch - '0');
    }
    if (v <= 0) return std::nullopt;
    return v;
}

WebhookCounts webhook_counts(PGconn* c) {
    ResultPtr r = exec(c,
                       "SELECT (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),"
                       " (SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'),"
                       " (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL)");
    WebhookCounts w;
    w.pending = int64(r.get(), 0, 0);
    w.dead = int64(r.get(), 0, 1);
    w.waiting = int64(r.get(), 0, 2);
    return w;
}

}  // namespace telemed::db
