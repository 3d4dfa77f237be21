#include "controller/db/sessions_repo.hpp"

#include <map>
#include <stdexcept>

#include "common/ids.hpp"
#include "common/timeutil.hpp"
#include "controller/db/audit.hpp"
#include "controller/db/lease.hpp"
#include "controller/db/outbox.hpp"
#include "controller/db/pg.hpp"
#include "controller/db/txn.hpp"

namespace telemed::db {

namespace {

// Column list shared by every query returning sessions; read by row_to_session.
#define SESSION_COLUMNS                                                                           \
    "s.id::text, s.kind, s.status, s.title, " TELEMED_SQL_MICROS("s.scheduled_at")                \
    ", s.recording_policy, s.external_ref, s.metadata::text, " TELEMED_SQL_MICROS("s.created_at") \
    ", " TELEMED_SQL_MICROS("s.updated_at") ", " TELEMED_SQL_MICROS("s.started_at")               \
    ", " TELEMED_SQL_MICROS("s.ended_at") ", " TELEMED_SQL_MICROS("s.cancelled_at")                \
    ", to_jsonb(s.authorized_viewers)::text"
constexpr int kSessionColumnCount = 14;

Session row_to_session(const PGresult* r, int i) {
    Session s;
    s.id = str(r, i, 0);
    auto kind = parse_session_kind(text(r, i, 1));
    auto status = parse_session_status(text(r, i, 2));
    auto policy = parse_recording_policy(text(r, i, 5));
    if (!kind || !status || !policy) throw std::runtime_error("sessions row holds an unknown enum value");
    s.kind = *kind;
    s.status = *status;
    s.title = opt_str(r, i, 3);
    s.scheduled_at = opt_int64(r, i, 4);
    s.recording_policy = *policy;
    s.external_ref = opt_str(r, i, 6);
    s.metadata = json(r, i, 7);
    if (!json_is_object(s.metadata.get())) s.metadata = Json(json_object());
    s.created_at = int64(r, i, 8);
    s.updated_at = int64(r, i, 9);
    s.started_at = opt_int64(r, i, 10);
    s.ended_at = opt_int64(r, i, 11);
    s.cancelled_at = opt_int64(r, i, 12);
    Json viewers = json(r, i, 13);
    std::size_t k;
    json_t* v;
    json_array_foreach(viewers.get(), k, v) {
        if (json_is_string(v)) s.authorized_viewers.emplace_back(json_string_value(v), json_string_length(v));
    }
    return s;
}

std::optional<Session> one_or_none(const ResultPtr& r) {
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return row_to_session(r.get(), 0);
}

}  // namespace

// The statement of create_sessions_recorded (and create_session_recorded,
// one row): the session, audit and outbox inserts over the rows of $1 (a
// JSON array of objects); `on_conflict` is "" or "ON CONFLICT (id) DO
// NOTHING" (two literals: exec() prepares each once).
#define CREATE_SESSIONS_SQL(on_conflict)                                                                      \
    "WITH v AS MATERIALIZED (SELECT * FROM jsonb_to_recordset($1::jsonb) AS v (id uuid, kind text, title text," \
    " scheduled_at int8, recording_policy text, external_ref text, metadata jsonb, viewers jsonb, actor text,"  \
    " action text, audit jsonb, event_id uuid, topic text, payload jsonb, event_session uuid)),"                \
    " s AS (INSERT INTO sessions AS s (id, kind, title, scheduled_at, recording_policy, external_ref,"          \
    " metadata, authorized_viewers) SELECT v.id, v.kind, v.title, " TELEMED_SQL_FROM_MICROS("v.scheduled_at")   \
    ", v.recording_policy, v.external_ref, v.metadata, ARRAY(SELECT e FROM jsonb_array_elements_text(v.viewers)" \
    " WITH ORDINALITY AS t (e, n) ORDER BY n) FROM v " on_conflict " RETURNING s.*),"                          \
    " a AS (INSERT INTO audit_log (session_id, actor, action, data, prev_hash, hash)"                           \
    " SELECT s.id, v.actor, v.action, v.audit, " TELEMED_SQL_AUDIT_HASH_PLACEHOLDER ", "                        \
    TELEMED_SQL_AUDIT_HASH_PLACEHOLDER " FROM s JOIN v ON v.id = s.id),"                                        \
    " o AS (INSERT INTO outbox (event_id, topic, payload, session_id)"                                          \
    " SELECT v.event_id, v.topic, " TELEMED_SQL_OUTBOX_PAYLOAD("v.payload") ", v.event_session"                 \
    " FROM s JOIN v ON v.id = s.id)"                                                                            \
    " SELECT " SESSION_COLUMNS " FROM s"

std::vector<std::optional<Session>> create_sessions_recorded(PGconn* c, const std::vector<const NewSession*>& rows,
                                                             bool if_absent) {
    Json array(json_array());
    for (const NewSession* row : rows) {
        const CreateSessionRequest& req = *row->req;
        const CreationRecords& rec = row->records;
        Json o(json_object());
        json_object_set_new(o.get(), "id", json_str(row->id));
        json_object_set_new(o.get(), "kind", json_str(to_string(req.kind)));
        json_object_set_new(o.get(), "title", req.title ? json_str(*req.title) : json_null());
        json_object_set_new(o.get(), "scheduled_at",
                            req.scheduled_at_micros ? json_integer(*req.scheduled_at_micros) : json_null());
        json_object_set_new(o.get(), "recording_policy", json_str(to_string(req.recording_policy)));
        json_object_set_new(o.get(), "external_ref", req.external_ref ? json_str(*req.external_ref) : json_null());
        json_object_set_new(o.get(), "metadata", req.metadata && json_is_object(req.metadata.get())
                                                     ? json_incref(req.metadata.get())
                                                     : json_object());
        Json viewers(json_array());
        for (const std::string& u : req.authorized_viewers) json_array_append_new(viewers.get(), json_str(u));
        json_object_set_new(o.get(), "viewers", viewers.release());
        json_object_set_new(o.get(), "actor", json_str(audit_actor(rec.actor)));
        json_object_set_new(o.get(), "action", json_str(rec.action));
        json_object_set_new(o.get(), "audit",
                            rec.audit ? json_incref(const_cast<json_t*>(rec.audit)) : json_object());
        OutboxRow event = outbox_row(rec.topic, rec.outbox);
        json_object_set_new(o.get(), "event_id", json_str(event.event_id));
        json_object_set_new(o.get(), "topic", json_str(rec.topic));
        json_object_set_new(o.get(), "payload", event.payload.release());
        json_object_set_new(o.get(), "event_session", event.session_id ? json_str(*event.session_id) : json_null());
        json_array_append_new(array.get(), o.release());
    }
    Params p;
    p.add_json(array.get());
    ResultPtr r = if_absent ? exec(c, CREATE_SESSIONS_SQL("ON CONFLICT (id) DO NOTHING"), p)
                            : exec(c, CREATE_SESSIONS_SQL(""), p);
    std::map<std::string, Session> made;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n; ++i) {
        Session s = row_to_session(r.get(), i);
        std::string id = s.id;
        made.emplace(std::move(id), std::move(s));
    }
    std::vector<std::optional<Session>> out;
    out.reserve(rows.size());
    for (const NewSession* row : rows) {
        auto it = made.find(row->id);
        if (it == made.end())
            out.emplace_back(std::nullopt);
        else
            out.emplace_back(std::move(it->second));
    }
    return out;
}

std::optional<Session> create_session_recorded(PGconn* c, const std::string& id, const CreateSessionRequest& req,
                                               const CreationRecords& records, bool if_absent) {
    const NewSession row{id, &req, records};
    return std::move(create_sessions_recorded(c, {&row}, if_absent).front());
}

SessionCreates::SessionCreates(Pool& pool, std::size_t max_batch)
    : GroupCommit(max_batch, [&pool](const std::vector<const NewSession*>& rows) {
        std::vector<SessionCreates::Result> out(rows.size());
        try {
            autocommit(pool, [&](PGconn* c, int attempt) {
                // A later attempt follows a lost connection: the earlier
                // statement may have committed (then its rows are the answer).
                std::vector<std::optional<Session>> made = create_sessions_recorded(c, rows, attempt > 1);
                for (std::size_t i = 0; i < rows.size(); ++i) {
                    if (!made[i]) made[i] = find_session(c, rows[i]->id);
                    if (!made[i]) throw std::runtime_error("created session not found");
                }
                for (std::size_t i = 0; i < rows.size(); ++i) out[i].value = std::move(made[i]);
            });
        } catch (const Error& e) {
            if (rows.size() < 2 || e.unavailable() || e.timed_out()) throw;
            for (SessionCreates::Result& r : out) r = SessionCreates::Result{std::nullopt, nullptr, true};
        }
        return out;
    }) {}

std::optional<Session> find_session(PGconn* c, const std::string& id) {
    return one_or_none(exec(c, "SELECT " SESSION_COLUMNS " FROM sessions s WHERE s.id = $1::uuid", Params().add(id)));
}

std::optional<Session> lock_session(PGconn* c, const std::string& id) {
    return one_or_none(
        exec(c, "SELECT " SESSION_COLUMNS " FROM sessions s WHERE s.id = $1::uuid FOR UPDATE", Params().add(id)));
}

Session set_session_status(PGconn* c, const std::string& id, SessionStatus to) {
    ResultPtr r = exec(c,
                       "UPDATE sessions AS s SET status = $2::text, updated_at = now(),"
                       " started_at = CASE WHEN $2::text = 'active' THEN now() ELSE s.started_at END,"
                       " ended_at = CASE WHEN $2::text = 'ended' THEN now() ELSE s.ended_at END,"
                       " cancelled_at = CASE WHEN $2::text = 'cancelled' THEN now() ELSE s.cancelled_at END"
                       " WHERE s.id = $1::uuid RETURNING " SESSION_COLUMNS,
                       Params().add(id).add(to_string(to)));
    if (PQntuples(r.get()) != 1) throw std::runtime_error("set_session_status: session vanished");
    return row_to_session(r.get(), 0);
}

std::string encode_cursor(const SessionCursor& c) { return encode_keyset_cursor("v1", c); }

std::optional<SessionCursor> decode_cursor(std::string_view text) { return decode_keyset_cursor("v1", text); }

SessionPage list_sessions(PGconn* c, const ListSessionsQuery& q, const std::optional<SessionCursor>& after) {
    Params p;
    if (q.status)
        p.add(to_string(*q.status));
    else
        p.add_null();
    p.add(q.user_id);
    if (after)
        p.add(after->created_at).add(after->id);
    else
        p.add_null().add_null();
    int limit = q.limit < 1 ? 1 : (q.limit > kMaxPageSize ? kMaxPageSize : q.limit);
    p.add(limit + 1);  // one more tells whether a next page exists
    ResultPtr r = exec(c,
                       "SELECT " SESSION_COLUMNS ","
                       " (SELECT count(*) FROM participants p WHERE p.session_id = s.id AND p.status = 'active')"
                       " FROM sessions s"
                       " WHERE ($1::text IS NULL OR s.status = $1::text)"
                       " AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM participants p WHERE p.session_id = s.id"
                       "      AND p.user_id = $2::text AND p.status = 'active'))"
                       " AND ($3::int8 IS NULL OR (s.created_at, s.id) < (" TELEMED_SQL_FROM_MICROS("$3") ", $4::uuid))"
                       " ORDER BY s.created_at DESC, s.id DESC LIMIT $5::int",
                       p);
    SessionPage page;
    int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) {
        Session s = row_to_session(r.get(), i);
        s.participant_count = static_cast<long>(int64(r.get(), i, kSessionColumnCount));
        page.items.push_back(std::move(s));
    }
    if (n > limit && !page.items.empty()) page.next = SessionCursor{page.items.back().created_at, page.items.back().id};
    return page;
}

std::vector<LiveSession> load_live_sessions(Pool& pool) {
    std::vector<LiveSession> out;
    run_read(pool, [&](PGconn* c) {
        out.clear();
        // One snapshot for both queries.
        exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        ResultPtr rs = exec(c,
                            "SELECT s.id::text, s.status, s.kind, " TELEMED_SQL_MICROS("s.updated_at")
                            " FROM sessions s WHERE s.status IN ('scheduled', 'active') ORDER BY s.created_at, s.id");
        ResultPtr rp = exec(c,
                            "SELECT p.session_id::text, p.id::text, p.user_id, p.role FROM participants p"
                            " JOIN sessions s ON s.id = p.session_id"
                            " WHERE p.status = 'active' AND s.status IN ('scheduled', 'active')"
                            " ORDER BY p.session_id, p.created_at, p.id");
        exec(c, "COMMIT");
        std::map<std::string, std::size_t> index;
        for (int i = 0; i < PQntuples(rs.get()); ++i) {
            LiveSession s;
            s.id = str(rs.get(), i, 0);
            s.status = str(rs.get(), i, 1);
            s.kind = str(rs.get(), i, 2);
            s.updated_at = format_rfc3339_micros(int64(rs.get(), i, 3));
            index[s.id] = out.size();
            out.push_back(std::move(s));
        }
        for (int i = 0; i < PQntuples(rp.get()); ++i) {
            auto it = index.find(str(rp.get(), i, 0));
            if (it == index.end()) continue;
            out[it->second].participants.push_back(
                LiveParticipant{str(rp.get(), i, 1), str(rp.get(), i, 2), str(rp.get(), i, 3)});
        }
    });
    return out;
}

}  // namespace telemed::db
