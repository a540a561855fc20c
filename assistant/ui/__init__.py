"""Pieces of the Gradio chat UI that need no server: agent events -> chat messages, charts, status, examples.

`ui.py` at the repo root wires them into Gradio Blocks; everything here is plain functions and small classes
so it can be tested without starting a server.
"""
