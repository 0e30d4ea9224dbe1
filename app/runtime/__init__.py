"""The worker around the rules: Faust app wiring, state, web pages, metrics, settings."""
