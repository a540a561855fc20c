"""The marketing assistant: ingest, tools, agent and its front doors (CLI, Gradio, Slack, evals)."""

__version__ = "0.1.0"
