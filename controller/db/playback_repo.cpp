// Recording playback rows (controller/db/playback_repo.hpp).
#include "controller/db/playback_repo.hpp"

#include <stdexcept>

#include "controller/db/pg.hpp"

namespace telemed::db {
namespace {

#define LINK_COLUMNS                                                                                        \
    "l.id::text, l.recording_id::text, l.output_id::text, l.user_id, " TELEMED_SQL_MICROS("l.issued_at") \
    ", " TELEMED_SQL_MICROS("l.expires_at") ", " TELEMED_SQL_MICROS("l.revoked_at")

PlaybackLinkRow link_of(const PGresult* r, int i) {
    PlaybackLinkRow l;
    l.id = str(r, i, 0);
    l.recording_id = str(r, i, 1);
    l.output_id = str(r, i, 2);
    l.user_id = str(r, i, 3);
    l.issued_at = int64(r, i, 4);
    l.expires_at = int64(r, i, 5);
    l.revoked_at = opt_int64(r, i, 6);
    return l;
}

}  // namespace

bool viewer_authorized(PGconn* c, const std::string& session_id, const std::string& user_id) {
    ResultPtr r = exec(c,
                       "SELECT EXISTS (SELECT 1 FROM participants p WHERE p.session_id = $1::uuid AND p.user_id = $2)"
                       " OR EXISTS (SELECT 1 FROM sessions s WHERE s.id = $1::uuid"
                       " AND $2 = ANY (s.authorized_viewers))",
                       Params().add(session_id).add(user_id));
    return boolean(r.get(), 0, 0);
}

PlaybackLinkRow insert_playback_link(PGconn* c, const std::string& id, const std::string& recording_id,
                                     const std::string& output_id, const std::string& user_id, int64_t ttl_s) {
    ResultPtr r = exec(c,
                       "INSERT INTO playback_links AS l (id, recording_id, output_id, user_id, expires_at)"
                       " VALUES ($1::uuid, $2::uuid, $3::uuid, $4,"
                       " date_trunc('second', now()) + $5::int8 * interval '1 second')"
                       " RETURNING " LINK_COLUMNS,
                       Params().add(id).add(recording_id).add(output_id).add(user_id).add(ttl_s));
    return link_of(r.get(), 0);
}

std::optional<PlaybackLinkRow> find_playback_link(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c, "SELECT " LINK_COLUMNS " FROM playback_links l WHERE l.id = $1::uuid", Params().add(id));
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return link_of(r.get(), 0);
}

bool revoke_playback_link(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c,
                       "UPDATE playback_links SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL"
                       " RETURNING id",
                       Params().add(id));
    return PQntuples(r.get()) == 1;
}

bool playback_link_live(PGconn* c, const std::string& id) {
    ResultPtr r = exec(c,
                       "SELECT EXISTS (SELECT 1 FROM playback_links WHERE id = $1::uuid"
                       " AND revoked_at IS NULL AND expires_at > now())",
                       Params().add(id));
    return boolean(r.get(), 0, 0);
}

}  // namespace telemed::db
