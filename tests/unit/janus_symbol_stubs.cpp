// The janus_* symbols the plugin module takes from the janus executable
// (nm -D --undefined-only libjanus_telemed.so, those
// without a version), so that a unit test can
// dlopen the real module (exported with --export-dynamic). Never called by
// the tests: the C linkage ignores their signatures, and no Janus header is
// included here so that none conflicts. Data symbols have Janus's types.
extern "C" {
__attribute__((visibility("default"))) int janus_log_level = 0;            // LOG_NONE: JANUS_LOG prints nothing
__attribute__((visibility("default"))) int janus_log_timestamps = 0;       // gboolean
__attribute__((visibility("default"))) int janus_log_colors = 0;           // gboolean
__attribute__((visibility("default"))) char* janus_log_global_prefix = nullptr;
__attribute__((visibility("default"))) int refcount_debug = 0;             // refcount.h, gboolean

#define TELEMED_JANUS_STUB(name) \
    __attribute__((visibility("default"))) void name() { __builtin_trap(); }
TELEMED_JANUS_STUB(janus_config_destroy)
TELEMED_JANUS_STUB(janus_config_get)
TELEMED_JANUS_STUB(janus_config_parse)
TELEMED_JANUS_STUB(janus_get_monotonic_time)
TELEMED_JANUS_STUB(janus_get_real_time)
TELEMED_JANUS_STUB(janus_plugin_result_new)
TELEMED_JANUS_STUB(janus_plugin_rtp_extensions_reset)
TELEMED_JANUS_STUB(janus_recorder_close)
TELEMED_JANUS_STUB(janus_recorder_create_full)
TELEMED_JANUS_STUB(janus_recorder_destroy)
TELEMED_JANUS_STUB(janus_recorder_save_frame)
TELEMED_JANUS_STUB(janus_sdp_destroy)
TELEMED_JANUS_STUB(janus_sdp_generate_answer)
TELEMED_JANUS_STUB(janus_sdp_generate_answer_mline)
TELEMED_JANUS_STUB(janus_sdp_parse)
TELEMED_JANUS_STUB(janus_sdp_write)
TELEMED_JANUS_STUB(janus_vprintf)
#undef TELEMED_JANUS_STUB
}
