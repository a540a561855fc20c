"""Shared test helpers (no tests here): agent builders, processes and ports, Slack doubles, UI server and browser,
search workspaces and a Chroma server. Fixtures live in tests/conftest.py."""
