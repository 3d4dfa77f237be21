// Recording playback (sql/008_recording_outputs.sql): reads of
// `recording_outputs` for playback, the `playback_links` rows, and the
// viewer rule of POST /recordings/{id}/playback-links. Run on a connection
// the caller holds (inside db::transact; writes after lock_session() on the
// recording's session, which the audit chain relies on); throw db::Error on
// database errors. The outputs are written by the recording processor
// (controller/jobs/recording_*): this file only reads them.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "controller/db/recordings_repo.hpp"  // OutputRow, find_output

namespace telemed::db {

// May `user_id` watch the recordings of session `session_id`: it is (or
// was: removed participants too) a participant's user_id, or listed in the
// session's authorized_viewers.
bool viewer_authorized(PGconn* c, const std::string& session_id, const std::string& user_id);

struct PlaybackLinkRow {
    std::string id;
    std::string recording_id;
    std::string output_id;
    std::string user_id;
    int64_t issued_at = 0;   // Unix microseconds
    int64_t expires_at = 0;  // Unix microseconds, a whole second
    std::optional<int64_t> revoked_at;
};

// INSERT a link issued now, expiring `ttl_s` seconds after the current
// second began (so at most ttl_s after issued_at, and a whole second:
// the token carries it in seconds).
PlaybackLinkRow insert_playback_link(PGconn* c, const std::string& id, const std::string& recording_id,
                                     const std::string& output_id, const std::string& user_id, int64_t ttl_s);
std::optional<PlaybackLinkRow> find_playback_link(PGconn* c, const std::string& id);
// Sets revoked_at = now() when not revoked yet; true when it did.
bool revoke_playback_link(PGconn* c, const std::string& id);
// True while the link row is not expired by the database's clock.
bool playback_link_live(PGconn* c, const std::string& id);

}  // namespace telemed::db
