"""Live events: one change stream per hub process, fanned out to subscribers."""
