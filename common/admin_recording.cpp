// common/admin_recording.hpp.
#include "common/admin_recording.hpp"

#include "common/plugin_errors.hpp"

namespace telemed::admin_api {

RecordRefusal classify_record_refusal(int plugin_error) {
    switch (static_cast<PluginError>(plugin_error)) {
        case PluginError::NoSuchRoom: return RecordRefusal::NoRoom;
        case PluginError::RecordingNotAllowed: return RecordRefusal::NotAllowed;
        case PluginError::RecordingBusy: return RecordRefusal::Busy;
        case PluginError::RecordingUnavailable: return RecordRefusal::Unavailable;
        default: return RecordRefusal::Other;
    }
}

}  // namespace telemed::admin_api
