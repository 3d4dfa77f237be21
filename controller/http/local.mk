## controller/http/: the HTTP layer. The pure parts (request/response types,
## problem details, router, API-key auth, the connection guard and lingering
## close) go into the library the unit tests link; the libmicrohttpd server
## only into the daemon.
controller_libtelemed_controller_http_la_SOURCES += \
	controller/http/types.hpp controller/http/types.cpp \
	controller/http/problem.hpp controller/http/problem.cpp \
	controller/http/router.hpp controller/http/router.cpp \
	controller/http/lanes.hpp controller/http/lanes.cpp \
	controller/http/auth.hpp controller/http/auth.cpp \
	controller/http/rate_limit.hpp controller/http/rate_limit.cpp \
	controller/http/participant_auth.hpp controller/http/participant_auth.cpp \
	controller/http/conn_guard.hpp controller/http/conn_guard.cpp \
	controller/http/lingering_close.hpp controller/http/lingering_close.cpp

controller_telemed_controller_SOURCES += \
	controller/http/server.hpp controller/http/server.cpp
