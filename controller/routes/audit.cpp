// The audit endpoint (ARCHITECTURE.md "REST API"; shapes in docs/openapi.yaml).
//
//   GET /sessions/{id}/audit?limit=&cursor=
//       200 {"items":[AuditEntry],"next_cursor":string|null,
//            "chain":{"valid":bool,"checked":int,"first_broken":int|null}}
//       AuditEntry = {"id":int,"created_at":RFC 3339 with microseconds,
//                     "actor":string,"action":string,"data":object,
//                     "prev_hash":hex,"hash":hex}
//       items in chain order (id ascending), keyset pagination on id
//       (limit 1..100, default 20; next_cursor null on the last page).
//       "chain" recomputes the session's whole chain, not only the page
//       (sql/004_audit_read.sql audit_chain_check): "checked" rows were
//       examined, "first_broken" is the id of the first row that does not
//       verify (null when valid). The chain is checked after the page is
//       read, so it covers at least every row of the page.
//   404 not-found (unknown or non-UUID id), 422 validation-error (limit,
//   cursor, unknown query parameters), 503 database-unavailable.
#include <optional>
#include <string>

#include "common/ids.hpp"
#include "common/requests.hpp"
#include "common/timeutil.hpp"
#include "controller/app.hpp"
#include "controller/db/audit.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/sessions_repo.hpp"
#include "controller/http/problem.hpp"
#include "controller/http/router.hpp"
#include "controller/routes/support.hpp"

namespace telemed {
namespace {

Json audit_entry_view(const db::AuditRow& row) {
    Json j(json_object());
    json_object_set_new(j.get(), "id", json_integer(row.id));
    json_object_set_new(j.get(), "created_at", json_str(format_rfc3339_micros(row.created_at)));
    json_object_set_new(j.get(), "actor", json_str(row.actor));
    json_object_set_new(j.get(), "action", json_str(row.action));
    json_object_set(j.get(), "data", row.data.get());
    json_object_set_new(j.get(), "prev_hash", json_str(row.prev_hash));
    json_object_set_new(j.get(), "hash", json_str(row.hash));
    return j;
}

Json chain_view(const db::ChainCheck& c) {
    Json j(json_object());
    json_object_set_new(j.get(), "valid", json_boolean(!c.first_broken));
    json_object_set_new(j.get(), "checked", json_integer(c.checked));
    json_object_set_new(j.get(), "first_broken", c.first_broken ? json_integer(*c.first_broken) : json_null());
    return j;
}

// GET /sessions/{id}/audit
Response list_audit(const Request& req, AppContext& app) {
    const std::string& raw = req.params.at(0);
    if (!is_uuid(raw)) return not_found("No session with this id.");
    const std::string id = normalize_uuid(raw);
    FieldErrors errors;
    std::optional<ListAuditQuery> q = parse_list_audit(req.query, errors);
    if (!q) return validation_problem(errors);
    std::optional<int64_t> after;
    if (q->cursor) {
        after = db::decode_audit_cursor(*q->cursor);
        if (!after) return validation_problem({{"cursor", "is not a cursor returned by this API"}});
    }
    return guarded("GET /sessions/{id}/audit", [&]() -> Response {
        bool found = false;
        db::AuditPage page;
        db::ChainCheck chain;
        db::run_read(app.db, [&](PGconn* c) {
            found = db::find_session(c, id).has_value();
            if (!found) return;
            page = db::list_audit(c, id, after, q->limit);
            chain = db::audit_chain_check(c, id);
        });
        if (!found) return not_found("No session with this id.");
        Json out(json_object());
        json_t* items = json_array();
        for (const db::AuditRow& row : page.items) json_array_append_new(items, audit_entry_view(row).release());
        json_object_set_new(out.get(), "items", items);
        json_object_set_new(out.get(), "next_cursor",
                            page.next_after ? json_str(db::encode_audit_cursor(*page.next_after)) : json_null());
        json_object_set_new(out.get(), "chain", chain_view(chain).release());
        return Response::json(200, out.get());
    });
}

}  // namespace

void register_audit_routes(Router& r) { r.add("GET", "/sessions/{id}/audit", true, Lane::Db, list_audit); }

}  // namespace telemed
