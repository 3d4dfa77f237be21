// Rows of `sessions` (sql/001_init.sql) and the queries on them. Every
// function runs on a connection the caller holds (inside db::transact for
// writes) and throws db::Error on database errors.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/permissions.hpp"
#include "common/requests.hpp"
#include "common/session_state.hpp"
#include "controller/db/group_commit.hpp"
#include "controller/db/keyset_cursor.hpp"
#include "controller/live/live_session.hpp"

namespace telemed::db {

class Pool;

struct Session {
    std::string id;
    SessionKind kind = SessionKind::Consultation;
    SessionStatus status = SessionStatus::Scheduled;
    std::optional<std::string> title;
    std::optional<int64_t> scheduled_at;  // Unix microseconds
    RecordingPolicy recording_policy = RecordingPolicy::Optional;
    std::optional<std::string> external_ref;
    Json metadata;  // object
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::optional<int64_t> started_at;
    std::optional<int64_t> ended_at;
    std::optional<int64_t> cancelled_at;
    std::vector<std::string> authorized_viewers;  // user ids (sql/008), in the order given
    long participant_count = 0;  // filled by list() only
};

// The records of a session's creation (db::record_change's, written by the
// same statement as the session): its audit row (actor, action, data
// `audit`: ids and enum values only, null = {}) and its outbox row (topic,
// payload `outbox` as db::outbox_enqueue stores it).
struct CreationRecords {
    std::string actor;
    const char* action = nullptr;
    const json_t* audit = nullptr;   // borrowed
    const char* topic = nullptr;
    const json_t* outbox = nullptr;  // borrowed
};

// Creates a new `scheduled` session with id `id` (a UUID) together with its
// audit and outbox rows, in ONE statement (a data-modifying WITH): one
// execution and one round trip instead of three, and on an autocommit
// connection (db::autocommit) its own transaction. The audit row goes
// through the chain trigger like any append (sql/001_init.sql). Returns the
// new row. `if_absent`: when a session with this id exists already, nothing
// is written and nullopt is returned (a retry whose earlier attempt may have
// committed); otherwise that is a unique violation (db::Error).
std::optional<Session> create_session_recorded(PGconn* c, const std::string& id, const CreateSessionRequest& req,
                                               const CreationRecords& records, bool if_absent = false);

// One session to create with its records (create_sessions_recorded).
struct NewSession {
    std::string id;
    const CreateSessionRequest* req = nullptr;  // borrowed
    CreationRecords records;
};

// create_session_recorded for several sessions in ONE statement (group
// commit, db::GroupCommit in routes/sessions.cpp): the rows travel as one
// JSON array (jsonb_to_recordset), each session gets its audit and outbox
// rows as create_session_recorded writes them, and on an autocommit
// connection the whole batch is one transaction (all or nothing). Returns
// one entry per row, in order: the new session, or nullopt when `if_absent`
// and a session with that id exists already.
std::vector<std::optional<Session>> create_sessions_recorded(PGconn* c, const std::vector<const NewSession*>& rows,
                                                             bool if_absent = false);

// Creations without an Idempotency-Key, grouped (db/group_commit.hpp):
// concurrent POST /sessions share one create_sessions_recorded statement,
// run on `pool` by db::autocommit (a lost connection is retried with
// if_absent and the rows an earlier attempt committed are read back). A
// batch of more than one row that fails with a database error that is not
// unavailability or a timeout (e.g. one row violating a constraint) sends
// every row back to be written alone (Result::alone), so one bad row fails
// only its own request. Unavailable and timed-out errors go to every row of
// the batch (503 for each, as without batching).
inline constexpr std::size_t kMaxCreateBatch = 32;
class SessionCreates : public GroupCommit<NewSession, Session> {
public:
    explicit SessionCreates(Pool& pool, std::size_t max_batch = kMaxCreateBatch);
};

// SELECT by id; nullopt when absent. `id` must be a UUID (callers check).
std::optional<Session> find_session(PGconn* c, const std::string& id);
// Same, with SELECT ... FOR UPDATE: the row stays locked until the
// transaction ends. Every mutation of a session or its participants starts here.
std::optional<Session> lock_session(PGconn* c, const std::string& id);

// Sets status and the timestamp of the transition (started_at, ended_at,
// cancelled_at) to now(), updated_at = now(). Returns the new row.
Session set_session_status(PGconn* c, const std::string& id, SessionStatus to);

// Keyset pagination position: the last item of the previous page.
using SessionCursor = KeysetCursor;
// Opaque cursor text: base64url("v1:<micros>:<uuid>").
std::string encode_cursor(const SessionCursor& c);
std::optional<SessionCursor> decode_cursor(std::string_view text);

struct SessionPage {
    std::vector<Session> items;  // participant_count filled
    std::optional<SessionCursor> next;  // set when more items may follow
};
// Newest first, (created_at DESC, id DESC); filters: status; user_id = the
// user is an active participant. `after`: items strictly after it.
SessionPage list_sessions(PGconn* c, const ListSessionsQuery& q, const std::optional<SessionCursor>& after);

// For RedisTracker::set_loader: every scheduled/active session with its
// active participants, read fresh from Postgres (run_read, retried on a
// stale connection). Throws on database errors.
std::vector<LiveSession> load_live_sessions(Pool& pool);

}  // namespace telemed::db
