## controller/: telemed-controller. This fragment defines the program and its
## top-level pieces (main, configuration, logging, metrics); each sub-folder
## appends its own sources with += in its own local.mk, included right after
## this one by Makefile.am:
##   http/     server, router, problem details, authentication
##   routes/   one file per REST resource, the static web app
##   db/       Postgres: pool, transactions, migrations, repositories
##   live/     Redis tracking and the read cache of GET /sessions/{id}
##   clients/  outbound HTTP (the Janus Admin API)
##   storage/  stored files: blob store (segment crypto is in the pure library)
##   jobs/     background workers (file retention, recording post-processing,
##             session lifecycle policies)

CONTROLLER_DEP_CFLAGS = $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(PQ_CFLAGS) $(HIREDIS_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
CONTROLLER_DEP_LIBS = $(MHD_LIBS) $(JANSSON_LIBS) $(PQ_LIBS) $(HIREDIS_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)

# Pure pieces (no libmicrohttpd, libpq, hiredis, curl), shared by the daemon
# and the CMocka tests in tests/unit/controller.mk; http/local.mk adds its own.
noinst_LTLIBRARIES += controller/libtelemed_controller_http.la
controller_libtelemed_controller_http_la_SOURCES = \
	controller/log.hpp controller/log.cpp \
	controller/config.hpp controller/config.cpp \
	controller/metrics.hpp controller/metrics.cpp \
	controller/deadline.hpp controller/deadline.cpp \
	controller/readiness.hpp controller/readiness.cpp \
	controller/sd_notify.hpp controller/sd_notify.cpp \
	controller/http/range.hpp controller/http/range.cpp \
	controller/storage/segment_crypto.hpp controller/storage/segment_crypto.cpp \
	controller/jobs/recording_plan.hpp controller/jobs/recording_plan.cpp \
	controller/jobs/recording_exec.hpp controller/jobs/recording_exec.cpp \
	controller/jobs/lifecycle_policy.hpp controller/jobs/lifecycle_policy.cpp
controller_libtelemed_controller_http_la_CXXFLAGS = $(AM_CXXFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)

bin_PROGRAMS += controller/telemed-controller
controller_telemed_controller_SOURCES = \
	controller/app.hpp controller/embedded.hpp \
	controller/main.cpp
nodist_controller_telemed_controller_SOURCES =
controller_telemed_controller_CXXFLAGS = $(AM_CXXFLAGS) $(CONTROLLER_DEP_CFLAGS)
controller_telemed_controller_CPPFLAGS = $(AM_CPPFLAGS) -DTELEMED_DEFAULT_WEB_ROOT='"$(webdir)"'
controller_telemed_controller_LDADD = \
	controller/libtelemed_controller_http.la \
	common/libtelemed_common.la \
	$(CONTROLLER_DEP_LIBS)

EXTRA_DIST += controller/tools/embed.py

controller_telemed_controller_SOURCES += \
	controller/storage/blob_store.hpp controller/storage/blob_store.cpp \
	controller/storage/sealed_blob.hpp controller/storage/sealed_blob.cpp \
	controller/jobs/recording_processor.hpp controller/jobs/recording_processor.cpp \
	controller/jobs/webhook_dispatcher.hpp controller/jobs/webhook_dispatcher.cpp \
	controller/jobs/file_retention.hpp controller/jobs/file_retention.cpp \
	controller/jobs/file_rewrap.hpp controller/jobs/file_rewrap.cpp \
	controller/jobs/session_lifecycle.hpp controller/jobs/session_lifecycle.cpp \
	controller/jobs/janus_event_worker.hpp controller/jobs/janus_event_worker.cpp
