"""Commands for people: the CLI, replay, capture, compare, explain, the demo."""
