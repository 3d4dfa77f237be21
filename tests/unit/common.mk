## CMocka unit tests for common/
EXTRA_DIST += tests/unit/test_common_support.hpp
COMMON_TEST_CXXFLAGS = $(AM_CXXFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
COMMON_TEST_LDADD = common/libtelemed_common.la $(CMOCKA_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)

COMMON_TESTS = \
	tests/unit/test_common_permissions \
	tests/unit/test_common_crypto \
	tests/unit/test_common_ids \
	tests/unit/test_common_json \
	tests/unit/test_common_timeutil \
	tests/unit/test_common_token \
	tests/unit/test_common_credential \
	tests/unit/test_common_playback_link \
	tests/unit/test_common_turn \
	tests/unit/test_common_janus_token \
	tests/unit/test_common_kvconfig \
	tests/unit/test_common_requests \
	tests/unit/test_common_session_state \
	tests/unit/test_common_admin_api \
	tests/unit/test_common_chat \
	tests/unit/test_common_files \
	tests/unit/test_common_webhook \
	tests/unit/test_common_janus_events
check_PROGRAMS += $(COMMON_TESTS)
TESTS += $(COMMON_TESTS)

tests_unit_test_common_permissions_SOURCES = tests/unit/test_common_permissions.cpp
tests_unit_test_common_permissions_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_permissions_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_crypto_SOURCES = tests/unit/test_common_crypto.cpp
tests_unit_test_common_crypto_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_crypto_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_ids_SOURCES = tests/unit/test_common_ids.cpp
tests_unit_test_common_ids_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_ids_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_json_SOURCES = tests/unit/test_common_json.cpp
tests_unit_test_common_json_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_json_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_timeutil_SOURCES = tests/unit/test_common_timeutil.cpp
tests_unit_test_common_timeutil_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_timeutil_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_token_SOURCES = tests/unit/test_common_token.cpp
tests_unit_test_common_token_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_token_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_turn_SOURCES = tests/unit/test_common_turn.cpp
tests_unit_test_common_turn_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_turn_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_janus_token_SOURCES = tests/unit/test_common_janus_token.cpp
tests_unit_test_common_janus_token_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_janus_token_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_kvconfig_SOURCES = tests/unit/test_common_kvconfig.cpp
tests_unit_test_common_kvconfig_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_kvconfig_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_requests_SOURCES = tests/unit/test_common_requests.cpp
tests_unit_test_common_requests_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_requests_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_session_state_SOURCES = tests/unit/test_common_session_state.cpp
tests_unit_test_common_session_state_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_session_state_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_admin_api_SOURCES = tests/unit/test_common_admin_api.cpp
tests_unit_test_common_admin_api_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_admin_api_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_chat_SOURCES = tests/unit/test_common_chat.cpp
tests_unit_test_common_chat_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_chat_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_common_credential_SOURCES = tests/unit/test_common_credential.cpp
tests_unit_test_common_credential_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_credential_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_common_playback_link_SOURCES = tests/unit/test_common_playback_link.cpp
tests_unit_test_common_playback_link_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_playback_link_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_files_SOURCES = tests/unit/test_common_files.cpp
tests_unit_test_common_files_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_files_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_webhook_SOURCES = tests/unit/test_common_webhook.cpp
tests_unit_test_common_webhook_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_webhook_LDADD = $(COMMON_TEST_LDADD)

tests_unit_test_common_janus_events_SOURCES = tests/unit/test_common_janus_events.cpp
tests_unit_test_common_janus_events_CXXFLAGS = $(COMMON_TEST_CXXFLAGS)
tests_unit_test_common_janus_events_LDADD = $(COMMON_TEST_LDADD)
