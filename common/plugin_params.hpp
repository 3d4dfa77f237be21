// Parameter tables for janus.plugin.telemed requests, checked once: the
// client parser (plugin/protocol.cpp) and the Admin API parser
// (common/admin_api.cpp) describe each request as a table of allowed
// parameters (name, JSON type, required) and check a body against it here.
// Unknown fields, missing ones and wrong types are refused with 4003;
// a body that is not an object with 4001, a missing or non-string
// "request" with 4002. Failure texts name our own fields, never input.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/plugin_errors.hpp"

namespace telemed {

enum class ParamType { String, Array, Object, Integer, Boolean };

// One row of a request's parameter table.
struct Param {
    const char* name;
    ParamType type;
    bool required;
};

// 4003 "invalid element: <field> (<problem>)".
PluginFailure invalid_element(const char* field, const char* problem);

// The prologue of every request: `body` is an object (4001) whose compact
// serialisation fits `max_bytes` (4003 "message too large") and whose
// "request" is a string (4002), returned in *request (borrowed from body).
bool check_message(const json_t* body, std::size_t max_bytes, std::string_view* request, PluginFailure* f);

// Checks `obj` against `table`: no unknown keys (a "request" key is always
// allowed), required keys present, types right. Values are checked by the
// caller.
bool check_params(const json_t* obj, std::initializer_list<Param> table, PluginFailure* f);

// The string value of obj[name], borrowed; nullopt if absent or not a string.
std::optional<std::string_view> string_param(const json_t* obj, const char* name);

// When obj[name] is present: it must be a canonical UUID (4003), stored
// lower-cased in *out. Absent: true, *out untouched (the table decides).
bool uuid_param(const json_t* obj, const char* name, std::string* out, PluginFailure* f);

}  // namespace telemed
