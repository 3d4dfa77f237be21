// Client request parsing (plugin/protocol.hpp): each request is a parameter
// table (common/plugin_params.hpp) plus the checks of its values.
#include "plugin/protocol.hpp"

#include "common/plugin_params.hpp"
#include "common/token.hpp"

namespace telemed::plugin {
namespace {

template <class T, class V>
Parsed<T> done(V v) {
    Parsed<T> p;
    p.value.emplace(std::move(v));
    return p;
}

}  // namespace

Parsed<ClientRequest> parse_client_request(const json_t* body) {
    std::string_view request;
    Failure f;
    // A chat body may carry up to 4000 characters: its own, larger bound.
    const auto name = json_is_object(body) ? string_param(body, "request") : std::nullopt;
    const bool is_chat = name && *name == "chat";
    if (!check_message(body, is_chat ? chat::kMaxChatBodyBytes : kMaxMessageBytes, &request, &f))
        return Parsed<ClientRequest>::refused(f);
    if (request == "chat") {
        Parsed<ChatRequest> c = chat::parse_chat(body);
        if (!c.ok()) return Parsed<ClientRequest>::refused(c.failure);
        return done<ClientRequest>(std::move(*c.value));
    }
    if (request == "chat_history") {
        Parsed<ChatHistoryRequest> h = chat::parse_chat_history(body);
        if (!h.ok()) return Parsed<ClientRequest>::refused(h.failure);
        return done<ClientRequest>(*h.value);
    }

    if (request == "join") {
        if (!check_params(body, {{"token", ParamType::String, true}, {"session_id", ParamType::String, false}}, &f))
            return Parsed<ClientRequest>::refused(f);
        JoinRequest j;
        auto token = *string_param(body, "token");
        if (token.empty()) return Parsed<ClientRequest>::refused(invalid_element("token", "empty"));
        if (token.size() > kMaxTokenLength) return Parsed<ClientRequest>::refused(invalid_element("token", "too long"));
        j.token = std::string(token);
        if (json_object_get(body, "session_id")) {
            std::string sid;
            if (!uuid_param(body, "session_id", &sid, &f)) return Parsed<ClientRequest>::refused(f);
            j.session_id = std::move(sid);
        }
        return done<ClientRequest>(std::move(j));
    }
    if (request == "leave") {
        if (!check_params(body, {}, &f)) return Parsed<ClientRequest>::refused(f);
        return done<ClientRequest>(LeaveRequest{});
    }
    if (request == "configure") {
        if (!check_params(body, {{"sources", ParamType::Array, false}}, &f)) return Parsed<ClientRequest>::refused(f);
        ConfigureRequest c;
        if (json_t* arr = json_object_get(body, "sources")) {
            if (json_array_size(arr) > kMaxSourceHints)
                return Parsed<ClientRequest>::refused(invalid_element("sources", "too many entries"));
            std::size_t i;
            json_t* v;
            json_array_foreach(arr, i, v) {
                if (!json_is_object(v))
                    return Parsed<ClientRequest>::refused(invalid_element("sources", "entries must be objects"));
                if (!check_params(v, {{"mid", ParamType::String, true}, {"source", ParamType::String, true}}, &f))
                    return Parsed<ClientRequest>::refused(f);
                auto mid = *string_param(v, "mid");
                if (mid.empty() || mid.size() > sdp::kMaxMidChars || check_text(mid, sdp::kMaxMidChars) != nullptr)
                    return Parsed<ClientRequest>::refused(invalid_element("mid", "empty, too long or not text"));
                auto source = parse_source(*string_param(v, "source"));
                if (!source) return Parsed<ClientRequest>::refused(invalid_element("source", "unknown value"));
                for (const auto& h : c.hints)
                    if (h.mid == mid || h.source == *source)
                        return Parsed<ClientRequest>::refused(invalid_element("sources", "duplicate mid or source"));
                c.hints.push_back(sdp::SourceHint{std::string(mid), *source});
            }
        }
        return done<ClientRequest>(std::move(c));
    }
    if (request == "admit" || request == "deny" || request == "kick") {
        if (!check_params(body, {{"participant_id", ParamType::String, true}}, &f)) return Parsed<ClientRequest>::refused(f);
        std::string pid;
        if (!uuid_param(body, "participant_id", &pid, &f)) return Parsed<ClientRequest>::refused(f);
        if (request == "kick") return done<ClientRequest>(ClientKickRequest{std::move(pid)});
        return done<ClientRequest>(AdmitRequest{std::move(pid), request == "deny"});
    }
    if (request == "mute" || request == "unmute") {
        if (!check_params(body, {{"participant_id", ParamType::String, false}, {"media", ParamType::String, true}}, &f))
            return Parsed<ClientRequest>::refused(f);
        MuteRequest m;
        m.mute = request == "mute";
        auto media = parse_source(*string_param(body, "media"));
        if (!media) return Parsed<ClientRequest>::refused(invalid_element("media", "unknown value"));
        m.media = *media;
        if (json_object_get(body, "participant_id")) {
            std::string pid;
            if (!uuid_param(body, "participant_id", &pid, &f)) return Parsed<ClientRequest>::refused(f);
            m.participant_id = std::move(pid);
        }
        return done<ClientRequest>(std::move(m));
    }
    if (request == "precheck") {
        if (!check_params(body,
                          {{"result", ParamType::String, true},
                           {"camera", ParamType::Boolean, false},
                           {"microphone", ParamType::Boolean, false}},
                          &f))
            return Parsed<ClientRequest>::refused(f);
        auto result = parse_precheck_result(*string_param(body, "result"));
        if (!result) return Parsed<ClientRequest>::refused(invalid_element("result", "unknown value"));
        PrecheckRequest r;
        r.precheck.result = *result;
        if (json_t* v = json_object_get(body, "camera")) r.precheck.camera = json_is_true(v);
        if (json_t* v = json_object_get(body, "microphone")) r.precheck.microphone = json_is_true(v);
        return done<ClientRequest>(r);
    }
    if (request == "consent") {
        if (!check_params(body, {{"recording", ParamType::Boolean, true}}, &f)) return Parsed<ClientRequest>::refused(f);
        return done<ClientRequest>(ConsentRequest{json_is_true(json_object_get(body, "recording"))});
    }
    if (request == "record") {
        if (!check_params(body, {{"action", ParamType::String, true}}, &f)) return Parsed<ClientRequest>::refused(f);
        const std::string_view action = *string_param(body, "action");
        if (action != "start" && action != "stop")
            return Parsed<ClientRequest>::refused(invalid_element("action", "unknown value"));
        return done<ClientRequest>(
            RecordRequest{action == "start" ? recording::Action::Start : recording::Action::Stop});
    }
    return Parsed<ClientRequest>::refused(Failure::of(ErrorCode::InvalidRequest));
}

}  // namespace telemed::plugin
