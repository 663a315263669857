"""Admin screens of the supervision app, one module per screen (none yet: the API comes first)."""
