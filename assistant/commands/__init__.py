"""One module per `mka` command; each exposes `register(app)`."""
