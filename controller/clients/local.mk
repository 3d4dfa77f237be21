## controller/clients/: outbound HTTP (libcurl). Today the Janus Admin API
## client that drives janus.plugin.telemed through message_plugin.
controller_telemed_controller_SOURCES += \
	controller/clients/janus_admin.hpp controller/clients/janus_admin.cpp
