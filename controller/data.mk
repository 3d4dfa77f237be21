## controller data layer: Postgres, Redis, Janus admin, session/participant routes,
## and the static web files (web app + SDK)
## (included after controller/local.mk, which defines the program).

controller_telemed_controller_SOURCES += \
	controller/db/pool.hpp controller/db/pool.cpp \
	controller/db/pg.hpp controller/db/pg.cpp \
	controller/db/lease.hpp \
	controller/db/txn.hpp controller/db/txn.cpp \
	controller/db/migrations.cpp \
	controller/db/stats.cpp \
	controller/db/sessions_repo.hpp controller/db/sessions_repo.cpp \
	controller/db/participants_repo.hpp controller/db/participants_repo.cpp \
	controller/db/audit.hpp controller/db/audit.cpp \
	controller/db/outbox.hpp controller/db/outbox.cpp \
	controller/db/idempotency.hpp controller/db/idempotency.cpp \
	controller/routes/support.hpp controller/routes/support.cpp \
	controller/routes/views.hpp controller/routes/views.cpp \
	controller/routes/sessions.cpp \
	controller/routes/participants.cpp \
	controller/redis_tracker.hpp controller/redis_tracker.cpp \
	controller/redis_keys.hpp controller/redis_raii.hpp \
	controller/janus_admin.hpp controller/janus_admin.cpp \
	controller/curl_raii.hpp \
	controller/session_cache.hpp controller/session_cache.cpp \
	controller/session_cache_listener.hpp controller/session_cache_listener.cpp

# sql/NNN_name.sql migrations embedded in the binary (controller/embedded.hpp).
# Listed explicitly: a new migration is added here and to sql/ (EXTRA_DIST
# ships the whole folder). Generated in the build tree, so VPATH and
# distcheck (read-only source tree) builds work.
MIGRATION_SQL = \
	$(top_srcdir)/sql/001_init.sql \
	$(top_srcdir)/sql/002_session_notify.sql
nodist_controller_telemed_controller_SOURCES += controller/generated/migrations.cpp
controller/generated/migrations.cpp: $(MIGRATION_SQL) $(top_srcdir)/controller/tools/embed.py
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(PYTHON3) $(top_srcdir)/controller/tools/embed.py migrations $@ $(MIGRATION_SQL)
BUILT_SOURCES += controller/generated/migrations.cpp
CLEANFILES += controller/generated/migrations.cpp

# The clinic web app and the browser SDK: served without authentication by
# routes/static_files.cpp from web_root, whose default is the installed copy
# (webdir). New files under web/app/ are listed here.
controller_telemed_controller_SOURCES += controller/routes/static_files.cpp
controller_telemed_controller_CPPFLAGS = $(AM_CPPFLAGS) -DTELEMED_DEFAULT_WEB_ROOT='"$(webdir)"'
webdir = $(pkgdatadir)/web
dist_web_DATA = web/telemed.js
webappdir = $(webdir)/app
dist_webapp_DATA = web/app/index.html web/app/app.js web/app/app.css web/app/favicon.svg
# Only tells Node (tests/integ imports the SDK) that web/*.js are ES modules.
EXTRA_DIST += web/package.json
