## controller data layer: Postgres, Redis, Janus admin, session/participant routes
