## CMocka unit tests for plugin/ (the core only: no Janus header, no janus_* symbol)
PLUGIN_TEST_CXXFLAGS = $(AM_CXXFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -pthread
PLUGIN_TEST_LDADD = plugin/libtelemed_plugin_core.la $(CMOCKA_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) -lpthread

PLUGIN_TESTS = \
	tests/unit/test_plugin_protocol \
	tests/unit/test_plugin_config \
	tests/unit/test_plugin_core \
	tests/unit/test_plugin_sdp \
	tests/unit/test_plugin_rtp \
	tests/unit/test_plugin_gate \
	tests/unit/test_plugin_lobby \
	tests/unit/test_plugin_chat \
	tests/unit/test_plugin_recording
check_PROGRAMS += $(PLUGIN_TESTS)
TESTS += $(PLUGIN_TESTS)

tests_unit_test_plugin_protocol_SOURCES = tests/unit/test_plugin_protocol.cpp
tests_unit_test_plugin_protocol_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_protocol_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_config_SOURCES = tests/unit/test_plugin_config.cpp
tests_unit_test_plugin_config_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_config_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_core_SOURCES = tests/unit/test_plugin_core.cpp
tests_unit_test_plugin_core_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_core_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_chat_SOURCES = tests/unit/test_plugin_chat.cpp tests/unit/plugin_fake_host.hpp
tests_unit_test_plugin_chat_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_chat_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_sdp_SOURCES = tests/unit/test_plugin_sdp.cpp
tests_unit_test_plugin_sdp_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_sdp_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_rtp_SOURCES = tests/unit/test_plugin_rtp.cpp tests/unit/rtp_packets.hpp
tests_unit_test_plugin_rtp_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_rtp_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_gate_SOURCES = tests/unit/test_plugin_gate.cpp
tests_unit_test_plugin_gate_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_gate_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_lobby_SOURCES = tests/unit/test_plugin_lobby.cpp
tests_unit_test_plugin_lobby_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_lobby_LDADD = $(PLUGIN_TEST_LDADD)

# The media path through PluginCore (SDP answer, gate, forwarding, lobby,
# moderation, views), with the recording host shared with test_plugin_core.
check_PROGRAMS += tests/unit/test_plugin_media
TESTS += tests/unit/test_plugin_media
tests_unit_test_plugin_media_SOURCES = tests/unit/test_plugin_media.cpp tests/unit/plugin_fake_host.hpp \
	tests/unit/rtp_packets.hpp
tests_unit_test_plugin_media_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_media_LDADD = $(PLUGIN_TEST_LDADD)

tests_unit_test_plugin_recording_SOURCES = tests/unit/test_plugin_recording.cpp tests/unit/plugin_fake_host.hpp \
	tests/unit/rtp_packets.hpp
tests_unit_test_plugin_recording_CXXFLAGS = $(PLUGIN_TEST_CXXFLAGS)
tests_unit_test_plugin_recording_LDADD = $(PLUGIN_TEST_LDADD)

# The version of the real module (dlopen'ed, janus_* symbols stubbed by the
# test executable) and of the controller: configure.ac's AC_INIT version.
check_PROGRAMS += tests/unit/test_plugin_version
TESTS += tests/unit/test_plugin_version
tests_unit_test_plugin_version_SOURCES = tests/unit/test_plugin_version.cpp tests/unit/janus_symbol_stubs.cpp
tests_unit_test_plugin_version_CXXFLAGS = $(AM_CXXFLAGS) $(CMOCKA_CFLAGS) $(JANUS_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_plugin_version_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTELEMED_PLUGIN_SO='"$(abs_top_builddir)/plugin/.libs/libjanus_telemed.so"' \
	-DTELEMED_CONTROLLER_EXE='"$(abs_top_builddir)/controller/telemed-controller"'
tests_unit_test_plugin_version_LDFLAGS = $(AM_LDFLAGS) -Wl,--export-dynamic
tests_unit_test_plugin_version_LDADD = $(CMOCKA_LIBS) $(GLIB_LIBS) -ldl
tests_unit_test_plugin_version_DEPENDENCIES = plugin/libjanus_telemed.la controller/telemed-controller
