## controller/clients/: outbound HTTP (libcurl). Today the Janus Admin API
## client that drives janus.plugin.telemed through message_plugin.
controller_telemed_controller_SOURCES += \
	controller/clients/janus_admin.hpp controller/clients/janus_admin.cpp

## The Patient Service / Doctor Service client (docs/INTEGRATIONS.md): the
## contracts are pure (unit-tested), the requests use libcurl.
controller_libtelemed_controller_http_la_SOURCES += \
	controller/clients/directory_profile.hpp controller/clients/directory_profile.cpp
controller_telemed_controller_SOURCES += \
	controller/clients/directory.hpp controller/clients/directory.cpp
