"""From a finished turn to its audit record (assistant/core/audit.py): the one place the agent's result is
read for the audit, so the runner's hook stays one call."""

from __future__ import annotations

import getpass

from assistant.agent.events import AgentResult
from assistant.core.audit import AuditRecord, Channel, ToolCall, exports_in


def turn_record(result: AgentResult, *, user: str | None, channel: Channel) -> AuditRecord:
    """The audit record of `result`; at the command line the asker is the OS account running `mka`."""
    if user is None and channel == "cli":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            user = None
    return AuditRecord(
        channel=channel,
        user=user,
        thread_id=result.thread_id,
        question=result.question,
        tools=[ToolCall(tool=s.tool, args=s.args, ok=s.ok, ms=s.ms) for s in result.steps],
        exports=[path for s in result.steps if s.ok for path in exports_in(s.result)],
        model=result.model,
        total_ms=result.timings.total_ms,
        flags=result.flags,
    )
