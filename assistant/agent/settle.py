"""Code's part of a routing decision: the model's arguments made canonical and completed from what the request
states (assistant/understand/). The same step makes a whole call when code alone has read the request."""

from __future__ import annotations

from typing import Any

from assistant.agent.understanding import (
    Understander,
    Understanding,
    audience_not_goods,
    carry_subject,
    move_misplaced,
    offer_or_goods,
)
from assistant.understand.copy_channel import settle_copy_channel
from assistant.understand.fill import fill_from_request
from assistant.understand.language import language_argument
from assistant.understand.metric_request import settle_metric_arguments
from assistant.understand.review_terms import settle_review_arguments
from tools.base import Tool


def settle_arguments(
    understander: Understander, tool: Tool[Any], args: dict[str, Any], seen: Understanding, question: str
) -> tuple[dict[str, Any], list[str]]:
    """Canonical values, the follow-up's subject, what the request states (bounds made exact or strict, named
    values, ids; fill.py), offers, channels, review and metric inputs. Returns the arguments and what code changed."""
    # An empty string is the model filling a slot with nothing: the same as leaving it out.
    args = {k: v for k, v in args.items() if not (isinstance(v, str) and not v.strip())}
    args = understander.canonical(args)
    model = tool.input_model
    resolver = understander.resolver
    args = move_misplaced(set(model.model_fields), args, resolver)
    args = carry_subject(set(model.model_fields), args, seen)
    last = understander.vocabulary.last_order_date
    args, notes = fill_from_request(tool.name, model, args, seen.slots, seen.mentions, last, question)
    args, moved = offer_or_goods(tool.name, args, resolver)
    notes += [moved] if moved else []
    args, addressed = audience_not_goods(tool.name, args, resolver)
    notes += [addressed] if addressed else []
    args, channel = settle_copy_channel(tool.name, args, question, seen.language)
    notes += channel
    args, reviewed = settle_review_arguments(tool.name, args, resolver, question)
    notes += reviewed
    args, measured = settle_metric_arguments(tool.name, args, seen.metric_request, understander.vocabulary.metrics)
    notes += measured
    if "language" in model.model_fields:
        args, note = language_argument(args, question, seen.language)
        notes += [note] if note else []
    return args, notes
