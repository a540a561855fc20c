"""The assistant's tools: typed functions over the workspace, usable without any LLM."""
