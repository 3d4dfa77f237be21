## controller/routes/: one file per REST resource, plus the helpers they share
## (support, views), /openapi.json and the static web app with the SDK.
controller_telemed_controller_SOURCES += \
	controller/routes/support.hpp controller/routes/support.cpp \
	controller/routes/views.hpp controller/routes/views.cpp \
	controller/routes/health.cpp \
	controller/routes/metrics.cpp \
	controller/routes/openapi.cpp \
	controller/routes/sessions.cpp \
	controller/routes/participants.cpp \
	controller/routes/audit.cpp \
	controller/routes/outbox.cpp \
	controller/routes/join_grant.hpp controller/routes/join_grant.cpp \
	controller/routes/janus_step.hpp controller/routes/janus_step.cpp \
	controller/routes/participant_access.cpp \
	controller/routes/messages.cpp \
	controller/routes/internal_chat.cpp \
	controller/routes/static_files.cpp \
	controller/routes/files.cpp \
	controller/routes/internal_recordings.cpp \
	controller/routes/recordings.cpp \
	controller/routes/sealed_download.hpp controller/routes/sealed_download.cpp \
	controller/routes/playback.cpp \
	controller/routes/janus_events.cpp \
	controller/routes/presence_view.hpp controller/routes/presence_view.cpp

# The recording bodies' parser is pure: in the library the unit tests link.
controller_libtelemed_controller_http_la_SOURCES += \
	controller/routes/recording_input.hpp controller/routes/recording_input.cpp

# docs/openapi.yaml embedded as compact JSON (served at /openapi.json).
# Override for experiments: make OPENAPI_YAML=/path/to/openapi.yaml
OPENAPI_YAML = $(top_srcdir)/docs/openapi.yaml
nodist_controller_telemed_controller_SOURCES += controller/generated/openapi_json.cpp
controller/generated/openapi_json.cpp: $(OPENAPI_YAML) $(top_srcdir)/controller/tools/embed.py
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(PYTHON3) $(top_srcdir)/controller/tools/embed.py openapi $(OPENAPI_YAML) $@
BUILT_SOURCES += controller/generated/openapi_json.cpp
CLEANFILES += controller/generated/openapi_json.cpp

# The clinic web app and the browser SDK: served without authentication by
# routes/static_files.cpp from web_root, whose default is the installed copy
# (webdir, compiled in by controller/local.mk). New files under web/app/ are
# listed here.
webdir = $(pkgdatadir)/web
dist_web_DATA = web/telemed.js
webappdir = $(webdir)/app
dist_webapp_DATA = web/app/index.html web/app/app.js web/app/app.css web/app/favicon.svg web/app/strings.js web/app/precall.js web/app/health.js \
	web/app/playback.html web/app/playback.js
# Only tells Node (tests/integ imports the SDK) that web/*.js are ES modules.
EXTRA_DIST += web/package.json
