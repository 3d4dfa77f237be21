## plugin/: janus.plugin.telemed (owner: plugin work)

# The plugin core: every class of the plugin except the Janus entry file.
# No Janus header is included here, so tests/unit/plugin.mk links it directly.
noinst_LTLIBRARIES += plugin/libtelemed_plugin_core.la
plugin_libtelemed_plugin_core_la_SOURCES = \
	plugin/errors.hpp \
	plugin/events.hpp plugin/events.cpp \
	plugin/host.hpp \
	plugin/media_gate.hpp plugin/media_gate.cpp \
	plugin/rtp.hpp plugin/rtp.cpp \
	plugin/sdp.hpp plugin/sdp.cpp \
	plugin/participant.hpp \
	plugin/plugin_config.hpp plugin/plugin_config.cpp \
	plugin/protocol.hpp plugin/protocol.cpp \
	plugin/room.hpp plugin/room.cpp \
	plugin/lobby.hpp plugin/lobby.cpp \
	plugin/precheck.hpp plugin/precheck.cpp \
	plugin/work_queue.hpp \
	plugin/plugin_core.hpp plugin/plugin_core.cpp \
	plugin/admin.cpp \
	plugin/media_view.hpp plugin/keyframe_capture.hpp \
	plugin/slots.hpp plugin/slots.cpp \
	plugin/view_publisher.hpp plugin/view_publisher.cpp \
	plugin/negotiation.cpp \
	plugin/media_path.cpp \
	plugin/moderation.cpp \
	plugin/chat.cpp \
	plugin/chat_store.hpp plugin/chat_store.cpp \
	plugin/files.cpp \
	plugin/recording_rules.hpp plugin/recording_rules.cpp \
	plugin/recording.hpp plugin/recording_json.cpp plugin/recording.cpp \
	plugin/recording_store.hpp plugin/recording_store.cpp
plugin_libtelemed_plugin_core_la_CXXFLAGS = $(AM_CXXFLAGS) $(JANSSON_CFLAGS) -fvisibility=hidden -pthread
plugin_libtelemed_plugin_core_la_LIBADD = common/libtelemed_common.la

# The module Janus loads: only plugin/entrypoint.cpp sees the Janus C API.
# janus_* symbols resolve from the janus executable at dlopen time, so no
# -no-undefined / -z defs here. Only create() is exported.
janusplugin_LTLIBRARIES += plugin/libjanus_telemed.la
# plugin/controller_http.cpp is the libcurl client of the controller's
# internal API, used by the chat and recording stores' backends (the core's
# tests fake ChatBackend / RecordingBackend instead).
plugin_libjanus_telemed_la_SOURCES = plugin/entrypoint.cpp plugin/controller_http.hpp plugin/controller_http.cpp \
	plugin/chat_http.hpp plugin/chat_http.cpp plugin/recording_http.hpp plugin/recording_http.cpp
plugin_libjanus_telemed_la_CXXFLAGS = $(AM_CXXFLAGS) $(JANUS_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) \
	-fvisibility=hidden -pthread
plugin_libjanus_telemed_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -pthread \
	-export-symbols-regex '^create$$'
plugin_libjanus_telemed_la_LIBADD = plugin/libtelemed_plugin_core.la $(GLIB_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)

# Janus loads every file in its plugins folder: keep only the .so there.
# janusplugindir is not an "exec" directory, so the module is installed by
# install-data; the .la is removed right after, and uninstall removes the .so
# itself (libtool cannot find it without the .la).
install-data-hook: plugin-install-data-hook
uninstall-hook: plugin-uninstall-hook
.PHONY: plugin-install-data-hook plugin-uninstall-hook
plugin-install-data-hook:
	rm -f "$(DESTDIR)$(janusplugindir)/libjanus_telemed.la"
plugin-uninstall-hook:
	rm -f "$(DESTDIR)$(janusplugindir)/libjanus_telemed.la" "$(DESTDIR)$(janusplugindir)/libjanus_telemed.so"
