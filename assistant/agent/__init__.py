"""The agent: route (schema-constrained decision) -> act (validated tool call) -> respond (grounded, streamed)."""
