"""The feeds of the inbox (inputs.md): one folder each, declared once (base.Feed),
collected by registry.py."""
