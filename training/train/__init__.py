"""Training loop pieces: optimizer, learning-rate schedules and callbacks built from the config."""
