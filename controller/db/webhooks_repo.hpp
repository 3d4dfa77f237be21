// webhook_deliveries and the outbox's fan-out (sql/010_webhooks.sql): what
// the webhook dispatcher (controller/jobs/webhook_dispatcher.hpp) and the
// /outbox routes (controller/routes/outbox.cpp) read and write.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/credential.hpp"
#include "common/json.hpp"

namespace telemed::db {

// Makes one pending delivery per endpoint for up to `limit` outbox rows not
// fanned out yet, oldest first, and marks them fanned out. One fan-out at a
// time across every controller on the database (a transaction-level
// advisory lock; the others return 0 at once), so deliveries of one session
// are created in outbox order. Returns the outbox rows fanned out.
//
// `status` (null = none): the Patient/Doctor Service status updates
// (docs/INTEGRATIONS.md): one more delivery, to status->endpoint, for each
// of those rows whose topic is one of status->topics and whose session has
// an external_ref. With no `endpoints`, a row that got no delivery is
// delivered (outbox.delivered_at) at once: nothing is left to send.
struct StatusRoute {
    std::string endpoint;  // "directory:<profile>:<url>"
    std::vector<std::string> topics;
};
std::size_t fan_out(PGconn* c, const std::vector<std::string>& endpoints, int limit,
                    const StatusRoute* status = nullptr);

// One claimed delivery with what its request needs.
struct ClaimedDelivery {
    int64_t id = 0;
    int attempt = 0;  // attempts after this claim: the claim's token in finish_*()
    std::string endpoint;
    std::string event_id;
    std::string topic;
    std::string occurred_at;   // the payload's RFC 3339 occurred_at
    Json payload;              // object
    int64_t event_created_at = 0;  // outbox.created_at, Unix µs (delivery lag)
    std::string session_id;    // outbox.session_id; "" = none
    std::string external_ref;  // the session's external_ref (status updates); "" = none
    // participant.added of a participant still active in an open session:
    // what its current credential is minted from (the webhook's invite_url,
    // made at send time: the outbox never holds a credential).
    std::optional<CredentialClaims> invite;
};

// Claims up to `limit` due pending deliveries to `endpoints` (FOR UPDATE
// SKIP LOCKED): next_attempt_at passed, no lease or a lease that ran out,
// and no earlier (lower outbox id) pending delivery of the same session to
// the same endpoint (leased or not: the head of a session's queue blocks the
// rest). Each gets attempts + 1 and lease_until = now + lease_s. Ordered by
// outbox id.
std::vector<ClaimedDelivery> claim_deliveries(PGconn* c, const std::vector<std::string>& endpoints, int limit,
                                              unsigned lease_s);

// 2xx answers: delivered, and each outbox row's delivered_at once all its
// deliveries are. Claims no longer ours (`attempt` moved on) are left
// alone. Two statements for the whole batch. Returns the rows updated.
struct Delivered {
    int64_t id = 0;
    int attempt = 0;
    int status = 0;
};
std::size_t finish_delivered(PGconn* c, const std::vector<Delivered>& done);

// A failed attempt: pending again at now + retry_ms, or dead when attempts
// reached max_attempts or the delivery is older than max_age_s (from its
// creation or its last redeliver). `status` 0 = no HTTP answer; `error`
// (ours, <= 500 chars) goes to last_error. Returns true when it went dead.
bool finish_failed(PGconn* c, int64_t id, int attempt, int status, const std::string& error, int64_t retry_ms,
                   unsigned max_attempts, unsigned max_age_s);

// Gives unsent claims back (shutdown, or a lease too short for another
// POST): lease cleared, the attempt not counted.
void release_claim(PGconn* c, int64_t id, int attempt);

// GET /outbox
struct DeliveryRow {
    int64_t id = 0;
    std::string event_id;
    std::string topic;
    std::optional<std::string> session_id;
    std::string endpoint;
    std::string state;
    int attempts = 0;
    std::optional<int64_t> last_status;
    std::optional<std::string> last_error;
    int64_t created_at = 0;  // Unix µs
    std::optional<int64_t> next_attempt_at, delivered_at, dead_at;  // next_attempt_at only while pending
};
struct DeliveryPage {
    std::vector<DeliveryRow> items;     // newest (highest id) first
    std::optional<int64_t> next_before;  // id to continue below; none on the last page
};
DeliveryPage list_deliveries(PGconn* c, const std::optional<std::string>& state, std::optional<int64_t> before,
                             int limit);
std::optional<DeliveryRow> find_delivery(PGconn* c, int64_t id, bool for_update);
// dead -> pending now, attempts 0, age counted from now. Caller checked it is dead (row locked).
void redeliver(PGconn* c, int64_t id);

// Opaque cursor of GET /outbox: base64url("w1:<id>").
std::string encode_delivery_cursor(int64_t before);
std::optional<int64_t> decode_delivery_cursor(std::string_view text);

// /metrics gauges: deliveries pending and dead, outbox rows not fanned out.
struct WebhookCounts {
    int64_t pending = 0, dead = 0, waiting = 0;
};
WebhookCounts webhook_counts(PGconn* c);

}  // namespace telemed::db
