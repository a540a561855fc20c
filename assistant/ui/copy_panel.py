"""Campaign copy drafts as plain text, one block per variant, for side-by-side boxes with a copy button."""

from __future__ import annotations

from typing import Any

MAX_VARIANTS = 3
FIELDS = (("subject", "Subject"), ("preheader", "Preheader"), ("headline", "Headline"))


def variant_text(variant: dict[str, Any]) -> str:
    """Ready to paste: labelled header fields, the body, the call to action in brackets."""
    lines = [f"{label}: {variant[key]}" for key, label in FIELDS if variant.get(key)]
    if lines:
        lines.append("")
    lines.append(str(variant.get("body", "")).strip())
    if variant.get("cta"):
        lines += ["", f"[{variant['cta']}]"]
    return "\n".join(lines).strip()


def copy_boxes(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each variant of one copy result, at most MAX_VARIANTS; QA problems in the label."""
    channel = str(result.get("channel", "copy"))
    boxes = []
    for i, variant in enumerate(result.get("variants", [])[:MAX_VARIANTS], start=1):
        issues = variant.get("qa_issues") or []
        label = f"Variant {i} — {channel} (draft)" + (f" · QA: {'; '.join(issues)}" if issues else "")
        boxes.append((label, variant_text(variant)))
    return boxes
