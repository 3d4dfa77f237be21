## controller/live/: what is live, kept out of Postgres's way. Redis tracking
## of open sessions (rebuilt from Postgres after any outage), and the
## in-memory read cache of GET /sessions/{id} with its LISTEN invalidator.
controller_telemed_controller_SOURCES += \
	controller/live/live_session.hpp \
	controller/live/redis_tracker.hpp controller/live/redis_tracker.cpp \
	controller/live/redis_keys.hpp controller/live/redis_raii.hpp \
	controller/live/session_cache.hpp controller/live/session_cache.cpp \
	controller/live/session_cache_listener.hpp controller/live/session_cache_listener.cpp \
	controller/live/room_reconciler.hpp controller/live/room_reconciler.cpp \
	controller/live/session_locks.hpp \
	controller/live/presence_store.hpp controller/live/presence_store.cpp
