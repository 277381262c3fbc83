"""The engine: many worlds (members of a batch) advanced one month at a time."""
