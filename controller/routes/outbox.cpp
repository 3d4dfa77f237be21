// The webhook deliveries: dead letters visible and re-drivable (docs/API.md
// "Webhooks"; shapes in docs/openapi.yaml). API key, like every backend route.
//
//   GET /outbox?status=pending|delivered|dead&limit=&cursor=
//       200 {"items":[Delivery],"next_cursor":string|null}
//       one item per (event, endpoint) delivery, newest (highest id) first,
//       keyset pagination on id (limit 1..100, default 20; next_cursor null
//       on the last page); no status: every state.
//       Delivery = {"id":int,"event_id":uuid,"type":topic,"session_id":uuid|null,
//                   "endpoint":url,"state":"pending"|"delivered"|"dead",
//                   "attempts":int,"last_status":int|null,"last_error":string|null,
//                   "created_at":RFC 3339,"next_attempt_at":RFC 3339|null (pending only),
//                   "delivered_at":RFC 3339|null,"dead_at":RFC 3339|null}
//       422 validation-error (status, limit, cursor, unknown or repeated
//       query parameters), 503 database-unavailable.
//   POST /outbox/{id}/redeliver
//       200 Delivery: a dead delivery is pending again now, attempts 0,
//       webhook_max_age_s counted from now; audit row webhook.redelivered
//       (ids only) in its session's log when it has a session.
//       404 not-found (unknown id, or not a positive integer), 409
//       delivery-not-dead (pending or delivered), 503 database-unavailable.
#include <optional>
#include <string>

#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/audit.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/db/txn.hpp"
#include "controller/db/webhooks_repo.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/log.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

constexpr int64_t kDefaultLimit = 20;
constexpr int64_t kMaxLimit = 100;

json_t* opt_time(const std::optional<int64_t>& micros) {
    return micros ? json_str(format_rfc3339_micros(*micros)) : json_null();
}

Json delivery_view(const db::DeliveryRow& d) {
    Json j(json_object());
    json_object_set_new(j.get(), "id", json_integer(d.id));
    json_object_set_new(j.get(), "event_id", json_str(d.event_id));
    json_object_set_new(j.get(), "type", json_str(d.topic));
    json_object_set_new(j.get(), "session_id", d.session_id ? json_str(*d.session_id) : json_null());
    json_object_set_new(j.get(), "endpoint", json_str(d.endpoint));
    json_object_set_new(j.get(), "state", json_str(d.state));
    json_object_set_new(j.get(), "attempts", json_integer(d.attempts));
    json_object_set_new(j.get(), "last_status", d.last_status ? json_integer(*d.last_status) : json_null());
    json_object_set_new(j.get(), "last_error", d.last_error ? json_str(*d.last_error) : json_null());
    json_object_set_new(j.get(), "created_at", json_str(format_rfc3339_micros(d.created_at)));
    json_object_set_new(j.get(), "next_attempt_at", opt_time(d.next_attempt_at));
    json_object_set_new(j.get(), "delivered_at", opt_time(d.delivered_at));
    json_object_set_new(j.get(), "dead_at", opt_time(d.dead_at));
    return j;
}

// A delivery id: 1..18 digits, no sign or leading zero.
std::optional<int64_t> delivery_id(const std::string& raw) {
    if (raw.empty() || raw.size() > 18 || raw[0] == '0') return std::nullopt;
    int64_t v = 0;
    for (char ch : raw) {
        if (ch < '0' || ch > '9') return std::nullopt;
        v = v * 10 + (ch - '0');
    }
    return v;
}

// GET /outbox
Response list_outbox(const Request& req, AppContext& app) {
    std::optional<std::string> state;
    int64_t limit = kDefaultLimit;
    std::optional<int64_t> before;
    FieldErrors errors;
    for (const auto& [k, v] : req.query) {
        if (req.query.count(k) > 1) {
            errors.push_back({k, "must not be repeated"});
        } else if (k == "status") {
            if (v == "pending" || v == "delivered" || v == "dead") {
                state = v;
            } else {
                errors.push_back({"status", "must be one of pending, delivered, dead"});
            }
        } else if (k == "limit") {
            if (!parse_query_int(v, 1, kMaxLimit, &limit)) errors.push_back({"limit", "must be an integer in 1..100"});
        } else if (k == "cursor") {
            before = db::decode_delivery_cursor(v);
            if (!before) errors.push_back({"cursor", "is not a cursor returned by this API"});
        } else {
            errors.push_back({k, "unknown query parameter"});
        }
    }
    if (!errors.empty()) return validation_problem(errors);
    return guarded("GET /outbox", [&]() -> Response {
        db::DeliveryPage page;
        db::run_read(app.db, [&](PGconn* c) { page = db::list_deliveries(c, state, before, static_cast<int>(limit)); });
        Json out(json_object());
        json_t* items = json_array();
        for (const db::DeliveryRow& d : page.items) json_array_append_new(items, delivery_view(d).release());
        json_object_set_new(out.get(), "items", items);
        json_object_set_new(out.get(), "next_cursor",
                            page.next_before ? json_str(db::encode_delivery_cursor(*page.next_before)) : json_null());
        return Response::json(200, out.get());
    });
}

// POST /outbox/{id}/redeliver
Response redeliver(const Request& req, AppContext& app) {
    std::optional<int64_t> id = delivery_id(req.params.at(0));
    if (!id) return not_found("No delivery with this id.");
    if (!req.query.empty()) return validation_problem({{req.query.begin()->first, "unknown query parameter"}});
    const std::string actor = actor_of(req);
    return guarded("POST /outbox/{id}/redeliver", [&]() -> Response {
        std::optional<db::DeliveryRow> row;
        std::optional<Response> early;
        db::transact(app.db, [&](PGconn* c) {
            early.reset();
            row = db::find_delivery(c, *id, false);
            if (!row) {
                early = not_found("No delivery with this id.");
                return db::TxnEnd::Rollback;
            }
            // The session row first (the audit chain's lock), then the delivery.
            if (row->session_id && !db::lock_session(c, *row->session_id)) row->session_id.reset();
            row = db::find_delivery(c, *id, true);
            if (!row || row->state != "dead") {
                early = row ? problem(409, "delivery-not-dead", "Delivery not dead",
                                      "Only a dead delivery can be redelivered; this one is " + row->state + ".")
                            : not_found("No delivery with this id.");
                return db::TxnEnd::Rollback;
            }
            db::redeliver(c, *id);
            if (row->session_id) {
                Json audit(json_object());
                json_object_set_new(audit.get(), "delivery_id", json_integer(*id));
                json_object_set_new(audit.get(), "event_id", json_str(row->event_id));
                json_object_set_new(audit.get(), "type", json_str(row->topic));
                db::audit_append(c, *row->session_id, actor, "webhook.redelivered", audit.get());
            }
            row = db::find_delivery(c, *id, false);
            return db::TxnEnd::Commit;
        });
        if (early) return *early;
        log_info("webhook delivery %lld redelivered by %s", static_cast<long long>(*id), actor.c_str());
        return Response::json(200, delivery_view(*row).get());
    });
}

}  // namespace

void register_outbox_routes(Router& r) {
    r.add("GET", "/outbox", true, Lane::Db, list_outbox);
    r.add("POST", "/outbox/{id}/redeliver", true, Lane::Db, redeliver);
}

}  // namespace telemed
