// Plugin error codes: the stable numbered list shared with the controller,
// the web SDK and every test lives in common/plugin_errors.hpp (documented in
// docs/PROTOCOL.md "Errors"). This header only gives the plugin its short
// names for it.
#pragma once
#include "common/plugin_errors.hpp"

namespace telemed::plugin {

using ErrorCode = PluginError;
using Failure = PluginFailure;

}  // namespace telemed::plugin
