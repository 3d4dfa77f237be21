// How the controller reads the plugin's numbered refusal of the Admin API
// `record` request (docs/PROTOCOL.md "Admin API"). The request and its
// answer are built and read by common/admin_api.hpp (AdminRecordRequest,
// build_request, recording_reply, parse_recording_reply), one wire format
// for both sides.
#pragma once

namespace telemed::admin_api {

// 4040 no room, 4060 not allowed by the room's policy (start: disabled; stop:
// required), 4062 another recording id is on, 5032 recording unavailable (no
// recordings_dir); any other code is Other.
enum class RecordRefusal { NoRoom, NotAllowed, Busy, Unavailable, Other };
RecordRefusal classify_record_refusal(int plugin_error);

}  // namespace telemed::admin_api
