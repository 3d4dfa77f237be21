## controller/db/: Postgres. Connection pool, transactions with retries,
## repositories (one per table family), migrations embedded in the binary.
controller_telemed_controller_SOURCES += \
	controller/db/pool.hpp controller/db/pool.cpp \
	controller/db/pg.hpp controller/db/pg.cpp \
	controller/db/lease.hpp \
	controller/db/txn.hpp controller/db/txn.cpp \
	controller/db/migrations.cpp \
	controller/db/stats.cpp \
	controller/db/keyset_cursor.hpp controller/db/keyset_cursor.cpp \
	controller/db/sessions_repo.hpp controller/db/sessions_repo.cpp controller/db/group_commit.hpp \
	controller/db/participants_repo.hpp controller/db/participants_repo.cpp \
	controller/db/audit.hpp controller/db/audit.cpp \
	controller/db/change_log.hpp controller/db/change_log.cpp \
	controller/db/outbox.hpp controller/db/outbox.cpp \
	controller/db/webhooks_repo.hpp controller/db/webhooks_repo.cpp \
	controller/db/idempotency.hpp controller/db/idempotency.cpp \
	controller/db/chat_repo.hpp controller/db/chat_repo.cpp \
	controller/db/files_repo.hpp controller/db/files_repo.cpp \
	controller/db/recordings_repo.hpp controller/db/recordings_repo.cpp \
	controller/db/playback_repo.hpp controller/db/playback_repo.cpp

# sql/NNN_name.sql migrations embedded in the binary (controller/embedded.hpp).
# Listed explicitly: a new migration is added here and to sql/ (EXTRA_DIST
# ships the whole folder). Generated in the build tree, so VPATH and
# distcheck (read-only source tree) builds work.
MIGRATION_SQL = \
	$(top_srcdir)/sql/001_init.sql \
	$(top_srcdir)/sql/002_session_notify.sql \
	$(top_srcdir)/sql/003_participant_credentials.sql \
	$(top_srcdir)/sql/004_audit_read.sql \
	$(top_srcdir)/sql/005_chat.sql \
	$(top_srcdir)/sql/006_files.sql \
	$(top_srcdir)/sql/007_recordings.sql \
	$(top_srcdir)/sql/008_recording_outputs.sql \
	$(top_srcdir)/sql/009_recording_faults.sql \
	$(top_srcdir)/sql/010_webhooks.sql \
	$(top_srcdir)/sql/011_lifecycle.sql \
	$(top_srcdir)/sql/012_outbox_retention.sql \
	$(top_srcdir)/sql/013_participant_media_events.sql \
	$(top_srcdir)/sql/014_audit_chain_nextval.sql
nodist_controller_telemed_controller_SOURCES += controller/generated/migrations.cpp
controller/generated/migrations.cpp: $(MIGRATION_SQL) $(top_srcdir)/controller/tools/embed.py
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(PYTHON3) $(top_srcdir)/controller/tools/embed.py migrations $@ $(MIGRATION_SQL)
BUILT_SOURCES += controller/generated/migrations.cpp
CLEANFILES += controller/generated/migrations.cpp
