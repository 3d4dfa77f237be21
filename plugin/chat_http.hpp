// The ChatBackend that talks to the controller over HTTP (libcurl):
//   POST <controller_url>/internal/v1/chat
//   GET  <controller_url>/internal/v1/sessions/{id}/messages?participant=&since=&limit=
// both with `Authorization: Bearer <controller_secret>` (the controller's
// plugin_secret). Each call has the timeout chat_store_timeout_ms, and a
// store thread keeps its own connection (curl handle per thread, reused).
// Linked into the Janus module only (the core and its tests see the
// ChatBackend interface, plugin/chat_store.hpp). Never logs a text or the
// secret.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "plugin/chat_store.hpp"

namespace telemed::plugin {

class HttpChatBackend final : public ChatBackend {
public:
    // `warn` gets one short line (status codes, never content).
    HttpChatBackend(std::string base_url, std::string secret, int64_t timeout_ms,
                    std::function<void(std::string_view)> warn);
    ~HttpChatBackend() override;
    bool store(const chat::Batch& batch, std::vector<chat::ItemResult>* results) override;
    bool history(const std::string& session_id, const std::string& participant_id, int64_t since, int limit,
                 chat::HistoryPage* page) override;

private:
    // One request; *status the HTTP status (0: transport failure).
    bool call(const std::string& url, const std::string* body, std::string* response, long* status);

    const std::string base_url_;
    const std::string auth_header_;
    const int64_t timeout_ms_;
    std::function<void(std::string_view)> warn_;
};

}  // namespace telemed::plugin
