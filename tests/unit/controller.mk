## CMocka unit tests for controller/ (HTTP layer: pure parts in
## controller/libtelemed_controller_http.la; no MHD, libpq or hiredis).
CONTROLLER_TEST_CXXFLAGS = $(AM_CXXFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
CONTROLLER_TEST_LDADD = controller/libtelemed_controller_http.la common/libtelemed_common.la \
	$(CMOCKA_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)

CONTROLLER_HTTP_TESTS = \
	tests/unit/test_controller_router \
	tests/unit/test_controller_auth \
	tests/unit/test_controller_config \
	tests/unit/test_controller_problem \
	tests/unit/test_controller_metrics \
	tests/unit/test_controller_rate_limit \
	tests/unit/test_controller_participant_auth \
	tests/unit/test_controller_lanes \
	tests/unit/test_controller_group_commit \
	tests/unit/test_controller_conn_guard \
	tests/unit/test_controller_lingering_close \
	tests/unit/test_controller_range \
	tests/unit/test_controller_segment_crypto \
	tests/unit/test_controller_recording_input \
	tests/unit/test_controller_recording_plan \
	tests/unit/test_controller_recording_exec \
	tests/unit/test_controller_lifecycle_policy \
	tests/unit/test_controller_sd_notify
check_PROGRAMS += $(CONTROLLER_HTTP_TESTS)
TESTS += $(CONTROLLER_HTTP_TESTS)

tests_unit_test_controller_router_SOURCES = tests/unit/test_controller_router.cpp
tests_unit_test_controller_router_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_router_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_auth_SOURCES = tests/unit/test_controller_auth.cpp
tests_unit_test_controller_auth_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_auth_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_config_SOURCES = tests/unit/test_controller_config.cpp
tests_unit_test_controller_config_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_config_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTELEMED_SAMPLE_CONF='"$(abs_top_srcdir)/conf/telemed-controller.conf.sample"'
tests_unit_test_controller_config_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_problem_SOURCES = tests/unit/test_controller_problem.cpp
tests_unit_test_controller_problem_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_problem_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_metrics_SOURCES = tests/unit/test_controller_metrics.cpp
tests_unit_test_controller_metrics_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_metrics_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_rate_limit_SOURCES = tests/unit/test_controller_rate_limit.cpp
tests_unit_test_controller_rate_limit_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_rate_limit_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_participant_auth_SOURCES = tests/unit/test_controller_participant_auth.cpp
tests_unit_test_controller_participant_auth_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_participant_auth_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_group_commit_SOURCES = tests/unit/test_controller_group_commit.cpp tests/unit/test_gate.hpp
tests_unit_test_controller_group_commit_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_group_commit_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_lanes_SOURCES = tests/unit/test_controller_lanes.cpp tests/unit/test_gate.hpp
tests_unit_test_controller_lanes_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_lanes_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_conn_guard_SOURCES = tests/unit/test_controller_conn_guard.cpp
tests_unit_test_controller_conn_guard_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_conn_guard_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_lingering_close_SOURCES = tests/unit/test_controller_lingering_close.cpp
tests_unit_test_controller_lingering_close_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_lingering_close_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_lifecycle_policy_SOURCES = tests/unit/test_controller_lifecycle_policy.cpp
tests_unit_test_controller_lifecycle_policy_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_lifecycle_policy_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_recording_plan_SOURCES = tests/unit/test_controller_recording_plan.cpp
tests_unit_test_controller_recording_plan_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_recording_plan_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_recording_exec_SOURCES = tests/unit/test_controller_recording_exec.cpp
tests_unit_test_controller_recording_exec_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_recording_exec_LDADD = $(CONTROLLER_TEST_LDADD)

# Redis key layout (controller/live/redis_keys.hpp). The Janus Admin API
# bodies and reply reading are tested with common/ (test_common_admin_api).
CONTROLLER_AUX_TESTS = \
	tests/unit/test_controller_aux_redis_keys
check_PROGRAMS += $(CONTROLLER_AUX_TESTS)
TESTS += $(CONTROLLER_AUX_TESTS)

tests_unit_test_controller_aux_redis_keys_SOURCES = tests/unit/test_controller_aux_redis_keys.cpp
tests_unit_test_controller_aux_redis_keys_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_aux_redis_keys_LDADD = $(CONTROLLER_TEST_LDADD)

# GET /sessions/{id} read cache (controller/live/session_cache.cpp; the libpq
# listener is in session_cache_listener.cpp and not linked here).
CONTROLLER_CACHE_TESTS = tests/unit/test_controller_session_cache
check_PROGRAMS += $(CONTROLLER_CACHE_TESTS)
TESTS += $(CONTROLLER_CACHE_TESTS)

tests_unit_test_controller_session_cache_SOURCES = tests/unit/test_controller_session_cache.cpp \
	controller/live/session_cache.cpp
tests_unit_test_controller_session_cache_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_session_cache_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_range_SOURCES = tests/unit/test_controller_range.cpp
tests_unit_test_controller_range_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_range_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_segment_crypto_SOURCES = tests/unit/test_controller_segment_crypto.cpp
tests_unit_test_controller_segment_crypto_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_segment_crypto_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_recording_input_SOURCES = tests/unit/test_controller_recording_input.cpp
tests_unit_test_controller_recording_input_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_recording_input_LDADD = $(CONTROLLER_TEST_LDADD)

## The Patient/Doctor Service contracts (controller/clients/directory_profile.hpp).
check_PROGRAMS += tests/unit/test_controller_directory
TESTS += tests/unit/test_controller_directory
tests_unit_test_controller_directory_SOURCES = tests/unit/test_controller_directory.cpp
tests_unit_test_controller_directory_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_directory_LDADD = $(CONTROLLER_TEST_LDADD)

tests_unit_test_controller_sd_notify_SOURCES = tests/unit/test_controller_sd_notify.cpp
tests_unit_test_controller_sd_notify_CXXFLAGS = $(CONTROLLER_TEST_CXXFLAGS)
tests_unit_test_controller_sd_notify_LDADD = $(CONTROLLER_TEST_LDADD)
