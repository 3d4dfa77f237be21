// The ChatBackend that talks to the controller over HTTP
// (plugin/controller_http.hpp: libcurl, Bearer controller_secret, a curl
// handle per store thread):
//   POST <controller_url>/internal/v1/chat
//   GET  <controller_url>/internal/v1/sessions/{id}/messages?participant=&since=&limit=
// Each call has the timeout chat_store_timeout_ms. Linked into the Janus
// module only (the core and its tests see the ChatBackend interface,
// plugin/chat_store.hpp). Never logs a text or the secret.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "plugin/chat_store.hpp"
#include "plugin/controller_http.hpp"

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
    ControllerHttp http_;
};

}  // namespace telemed::plugin
