## common/: pure C++ core (libcrypto + Jansson only), linked into plugin and controller.
noinst_LTLIBRARIES += common/libtelemed_common.la
common_libtelemed_common_la_SOURCES = \
	common/json.hpp common/json.cpp \
	common/permissions.hpp common/permissions.cpp \
	common/crypto.hpp common/crypto.cpp \
	common/ids.hpp common/ids.cpp \
	common/timeutil.hpp common/timeutil.cpp \
	common/key_spec.hpp common/key_spec.cpp \
	common/token.hpp common/token.cpp \
	common/credential.hpp common/credential.cpp \
	common/playback_link.hpp common/playback_link.cpp \
	common/turn.hpp common/turn.cpp \
	common/janus_token.hpp common/janus_token.cpp \
	common/kvconfig.hpp common/kvconfig.cpp \
	common/requests.hpp common/requests.cpp \
	common/session_state.hpp common/session_state.cpp \
	common/plugin_errors.hpp common/plugin_errors.cpp \
	common/plugin_params.hpp common/plugin_params.cpp \
	common/admin_api.hpp common/admin_api.cpp \
	common/utf8.hpp common/curl_raii.hpp \
	common/chat.hpp common/chat.cpp \
	common/files.hpp common/files.cpp \
	common/admin_recording.hpp common/admin_recording.cpp \
	common/webhook.hpp common/webhook.cpp \
	common/janus_events.hpp common/janus_events.cpp
common_libtelemed_common_la_CXXFLAGS = $(AM_CXXFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
common_libtelemed_common_la_LIBADD = $(JANSSON_LIBS) $(OPENSSL_LIBS)
