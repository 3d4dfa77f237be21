// Chat messages (controller/db/chat_repo.hpp).
#include "controller/db/chat_repo.hpp"

#include "common/ids.hpp"
#include "controller/db/change_log.hpp"
#include "controller/db/pg.hpp"

namespace telemed::db {
namespace {

#define CHAT_CREATED_AT "to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// Ids were checked as UUIDs (common/chat parse_batch): safe inside an
// array literal, which is still passed as one bound parameter.
std::string uuid_array(const std::vector<std::string>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += ids[i];
    }
    return out + "}";
}

std::vector<std::string> split_ids(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace

int64_t session_chat_seq(PGconn* c, const std::string& session_id) {
    ResultPtr r = exec(c, "SELECT chat_seq FROM sessions WHERE id = $1::uuid", Params().add(session_id));
    return PQntuples(r.get()) == 1 ? int64(r.get(), 0, 0) : 0;
}

std::vector<chat::ItemResult> store_chat_batch(PGconn* c, const chat::Batch& batch, int64_t last_seq) {
    std::vector<chat::ItemResult> out;
    out.reserve(batch.messages.size());
    int64_t seq = last_seq;
    for (const chat::Outgoing& m : batch.messages) {
        chat::ItemResult r;
        r.client_id = m.client_id;
        const std::string id = new_uuid_v4();
        const std::string to = uuid_array(m.to);
        ResultPtr ins = exec(c,
                             "INSERT INTO chat_messages AS m (id, session_id, seq, sender_id, to_ids, text, client_id,"
                             " created_at) VALUES ($1::uuid, $2::uuid, $3::bigint, $4::uuid, $5::uuid[], $6::text,"
                             " $7::text, date_trunc('milliseconds', now()))"
                             " ON CONFLICT (session_id, sender_id, client_id) DO NOTHING"
                             " RETURNING " CHAT_CREATED_AT,
                             Params().add(id).add(batch.session_id).add(seq + 1).add(m.sender).add(to).add(m.text)
                                 .add(m.client_id));
        if (PQntuples(ins.get()) == 1) {
            ++seq;
            r.id = id;
            r.seq = seq;
            r.created_at = str(ins.get(), 0, 0);
            Json audit(json_object());
            json_object_set_new(audit.get(), "message_id", json_str(id));
            json_object_set_new(audit.get(), "seq", json_integer(seq));
            json_object_set_new(audit.get(), "sender", json_str(m.sender));
            json_object_set_new(audit.get(), "recipients", json_integer(static_cast<json_int_t>(m.to.size())));
            json_object_set_new(audit.get(), "direct", json_boolean(!m.to.empty()));
            record_change(c, batch.session_id, "participant:" + m.sender, "chat.message_sent", audit.get(), nullptr);
        } else {
            // Stored before (a retry, or the same client_id earlier in this
            // batch): the same message answers its row, another one 4092.
            ResultPtr old = exec(c,
                                 "SELECT m.id::text, m.seq, " CHAT_CREATED_AT ","
                                 " (m.text = $4::text AND m.to_ids = $5::uuid[])"
                                 " FROM chat_messages m WHERE m.session_id = $1::uuid AND m.sender_id = $2::uuid"
                                 " AND m.client_id = $3::text",
                                 Params().add(batch.session_id).add(m.sender).add(m.client_id).add(m.text).add(to));
            if (PQntuples(old.get()) != 1) throw std::runtime_error("store_chat_batch: conflicting row not found");
            if (str(old.get(), 0, 3) == "t") {
                r.id = str(old.get(), 0, 0);
                r.seq = int64(old.get(), 0, 1);
                r.created_at = str(old.get(), 0, 2);
                r.duplicate = true;
            } else {
                r.error_code = 4092;
                r.error = std::string(default_error_text(PluginError::ClientIdReused));
            }
        }
        out.push_back(std::move(r));
    }
    if (seq != last_seq)
        exec(c, "UPDATE sessions SET chat_seq = $2::bigint WHERE id = $1::uuid",
             Params().add(batch.session_id).add(seq));
    return out;
}

chat::HistoryPage list_chat(PGconn* c, const std::string& session_id, int64_t since, int limit,
                            const std::optional<std::string>& viewer) {
    ResultPtr r = exec(c,
                       "SELECT m.id::text, m.seq, m.sender_id::text, array_to_string(m.to_ids, ','), m.text, "
                       CHAT_CREATED_AT
                       " FROM chat_messages m WHERE m.session_id = $1::uuid AND m.seq > $2::bigint"
                       " AND ($3::uuid IS NULL OR m.to_ids = '{}' OR m.sender_id = $3::uuid"
                       "      OR m.to_ids @> ARRAY[$3::uuid])"
                       " ORDER BY m.seq LIMIT $4::int",
                       Params().add(session_id).add(since).add(viewer).add(limit + 1));
    chat::HistoryPage page;
    const int n = PQntuples(r.get());
    for (int i = 0; i < n && i < limit; ++i) {
        chat::Message m;
        m.id = str(r.get(), i, 0);
        m.seq = int64(r.get(), i, 1);
        m.sender = str(r.get(), i, 2);
        m.to = split_ids(str(r.get(), i, 3));
        m.text = str(r.get(), i, 4);
        m.created_at = str(r.get(), i, 5);
        page.items.push_back(std::move(m));
    }
    if (n > limit && !page.items.empty()) page.next_since = page.items.back().seq;
    return page;
}

}  // namespace telemed::db
