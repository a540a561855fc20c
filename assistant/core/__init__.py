"""The ground layer: settings, the workspace and build context, privacy masking, the offline environment and the
embedded-model catalogue, the LLM client and console helpers.

Everything may import from here; nothing here imports from any other part of the project (a test walks the imports).
"""
