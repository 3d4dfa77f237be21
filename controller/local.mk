## controller/: HTTP layer of telemed-controller (owner: controller HTTP work)
## controller/data.mk (included after this file) appends the data layer with +=.

CONTROLLER_DEP_CFLAGS = $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(PQ_CFLAGS) $(HIREDIS_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
CONTROLLER_DEP_LIBS = $(MHD_LIBS) $(JANSSON_LIBS) $(PQ_LIBS) $(HIREDIS_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)

# Pure pieces of the HTTP layer (no libmicrohttpd, libpq, hiredis, curl), shared
# by the daemon and the CMocka tests in tests/unit/controller.mk.
noinst_LTLIBRARIES += controller/libtelemed_controller_http.la
controller_libtelemed_controller_http_la_SOURCES = \
	controller/log.hpp controller/log.cpp \
	controller/config.hpp controller/config.cpp \
	controller/metrics.hpp controller/metrics.cpp \
	controller/http/types.hpp controller/http/types.cpp \
	controller/http/problem.hpp controller/http/problem.cpp \
	controller/http/router.hpp controller/http/router.cpp \
	controller/http/auth.hpp controller/http/auth.cpp
controller_libtelemed_controller_http_la_CXXFLAGS = $(AM_CXXFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)

bin_PROGRAMS += controller/telemed-controller
controller_telemed_controller_SOURCES = \
	controller/app.hpp controller/embedded.hpp \
	controller/main.cpp \
	controller/http/server.hpp controller/http/server.cpp \
	controller/routes/health.cpp \
	controller/routes/metrics.cpp \
	controller/routes/openapi.cpp
nodist_controller_telemed_controller_SOURCES = controller/generated/openapi_json.cpp
controller_telemed_controller_CXXFLAGS = $(AM_CXXFLAGS) $(CONTROLLER_DEP_CFLAGS)
controller_telemed_controller_LDADD = \
	controller/libtelemed_controller_http.la \
	common/libtelemed_common.la \
	$(CONTROLLER_DEP_LIBS)

# docs/openapi.yaml embedded as compact JSON (served at /openapi.json).
# Override for experiments: make OPENAPI_YAML=/path/to/openapi.yaml
OPENAPI_YAML = $(top_srcdir)/docs/openapi.yaml
controller/generated/openapi_json.cpp: $(OPENAPI_YAML) $(top_srcdir)/controller/tools/embed.py
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(PYTHON3) $(top_srcdir)/controller/tools/embed.py openapi $(OPENAPI_YAML) $@
BUILT_SOURCES += controller/generated/openapi_json.cpp
CLEANFILES += controller/generated/openapi_json.cpp

EXTRA_DIST += controller/tools/embed.py
