// Parameter-table checks shared by the plugin's client and admin request
// parsers (common/plugin_params.hpp).
#include "common/plugin_params.hpp"

#include <cstring>

#include "common/ids.hpp"

namespace telemed {

PluginFailure invalid_element(const char* field, const char* problem) {
    std::string t = "invalid element: ";
    t += field;
    t += " (";
    t += problem;
    t += ")";
    return PluginFailure::of(PluginError::InvalidElement, t);
}

bool check_message(const json_t* body, std::size_t max_bytes, std::string_view* request, PluginFailure* f) {
    if (!body || !json_is_object(body)) {
        *f = PluginFailure::of(PluginError::InvalidJson);
        return false;
    }
    // Size of the compact serialisation, computed without allocating.
    if (json_dumpb(body, nullptr, 0, JSON_COMPACT) > max_bytes) {
        *f = PluginFailure::of(PluginError::InvalidElement, "invalid element: message too large");
        return false;
    }
    auto r = string_param(body, "request");
    if (!r) {
        *f = PluginFailure::of(PluginError::InvalidRequest);
        return false;
    }
    *request = *r;
    return true;
}

bool check_params(const json_t* obj, std::initializer_list<Param> table, PluginFailure* f) {
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(obj), key, value) {
        if (std::strcmp(key, "request") == 0) continue;
        bool known = false;
        for (const Param& p : table)
            if (std::strcmp(key, p.name) == 0) known = true;
        if (!known) {
            *f = PluginFailure::of(PluginError::InvalidElement, "invalid element: unknown field");
            return false;
        }
    }
    for (const Param& p : table) {
        json_t* v = json_object_get(obj, p.name);
        if (!v) {
            if (p.required) {
                *f = invalid_element(p.name, "missing");
                return false;
            }
            continue;
        }
        bool ok = false;
        const char* want = "";
        switch (p.type) {
            case ParamType::String: ok = json_is_string(v); want = "must be a string"; break;
            case ParamType::Array: ok = json_is_array(v); want = "must be an array"; break;
            case ParamType::Object: ok = json_is_object(v); want = "must be an object"; break;
            case ParamType::Integer: ok = json_is_integer(v); want = "must be an integer"; break;
            case ParamType::Boolean: ok = json_is_boolean(v); want = "must be true or false"; break;
        }
        if (!ok) {
            *f = invalid_element(p.name, want);
            return false;
        }
    }
    return true;
}

std::optional<std::string_view> string_param(const json_t* obj, const char* name) {
    json_t* v = json_object_get(obj, name);
    if (!v || !json_is_string(v)) return std::nullopt;
    return std::string_view(json_string_value(v), json_string_length(v));
}

bool uuid_param(const json_t* obj, const char* name, std::string* out, PluginFailure* f) {
    auto s = string_param(obj, name);
    if (!s) return true;  // absence handled by the table
    if (!is_uuid(*s)) {
        *f = invalid_element(name, "must be a UUID");
        return false;
    }
    *out = normalize_uuid(*s);
    return true;
}

}  // namespace telemed
