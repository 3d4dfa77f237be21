## plugin/: janus.plugin.telemed (owner: plugin work)
