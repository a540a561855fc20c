"""The write_copy tool: draft campaign copy in the brand voice, in the marketer's language, checked before anyone
sees it.

Every variant goes through QA (tools/copywriter/qa.py). A failing variant is regenerated once, with its problems
listed; variants that passed are kept. Then what is safe to fix is fixed: anything the marketer did not give
(a code, URL, deadline, discount, amount or claim) is taken out and noted, never shown silently. A variant that
still leaves out the stated offer is dropped when another variant states it, and otherwise shown flagged: the
marketer gets something to edit rather than nothing. Copy is always labelled a draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationInfo, field_validator

import prompts
from assistant.core.privacy import mask_pii
from tools.base import ChartSpec, PriorStep, Tool
from tools.context import ToolContext
from tools.copywriter.free_text import smuggled
from tools.copywriter.offer import Offer, parse_offer
from tools.copywriter.products import ProductRef, display_name, resolve_products
from tools.copywriter.qa import LIMITS, Review, marketer_text, review, safe_fix

Channel = Literal["email", "sms", "push", "ad", "social"]
DEFAULT_LANGUAGE = "English"


class WriteCopyInput(BaseModel):
    """Write draft campaign copy for one channel, audience and set of products or a theme."""

    channel: Channel = Field(description="email, sms, push, ad or social")
    audience: str = Field(default="", max_length=200, description="Who it is for, e.g. 'at-risk customers in France'")
    products: list[str] = Field(
        default_factory=list, max_length=5, description="Product ids or names, or a collection or theme, to feature"
    )
    offer: str | None = Field(
        default=None, max_length=120, description="The offer exactly as the marketer stated it; omit if none"
    )
    tone: str | None = Field(default=None, max_length=60, description="Tone for this piece, if asked")
    n_variants: int = Field(default=2, ge=1, le=3, description="How many variants (1-3)")
    language: str | None = Field(default=None, max_length=40, description="Language to write in; default English")

    @field_validator("products")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v and v.strip()]
        if len({c.lower() for c in cleaned}) != len(cleaned):
            raise ValueError("products: the same product is listed twice")
        for item in cleaned:
            if reason := smuggled(item, names_goods=True):
                raise ValueError(f"products: {item[:40]!r} is not a product or a theme: {reason}")
        return cleaned

    @field_validator("audience", "tone")
    @classmethod
    def _plain_description(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Audience and tone are repeated to the model and count as given by the marketer: descriptions only."""
        if value and (reason := smuggled(value)):
            raise ValueError(f"{info.field_name}: describe it in plain words; {reason}")
        return value

    @field_validator("language")
    @classmethod
    def _language_name(cls, value: str | None) -> str | None:
        """A language name ('Chinese'); a code ('zh', 'pt-BR') becomes its English name."""
        value = (value or "").strip()
        if not value:
            return None
        if re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?", value):
            from babel import Locale, UnknownLocaleError

            try:
                return str(Locale.parse(value.replace("-", "_")).get_display_name("en"))
            except (UnknownLocaleError, ValueError):
                pass
        return value[:1].upper() + value[1:]

    @classmethod
    def carry_over(cls, args: dict[str, Any], steps: Sequence[PriorStep]) -> dict[str, Any]:
        """Products from an earlier recommendation, audience from an earlier segment, when not given."""
        for step in reversed(steps):
            result = step.result
            if not args.get("products") and isinstance(result.get("items"), list):
                args["products"] = [str(i.get("product_id")) for i in result["items"][:3] if i.get("product_id")]
            definition = str(result.get("definition") or "")[:200]
            if not args.get("audience") and definition and smuggled(definition) is None:
                args["audience"] = definition
        return args


class CopyVariant(BaseModel):
    subject: str | None = None
    preheader: str | None = None
    headline: str | None = None
    body: str
    cta: str | None = None
    qa_issues: list[str] = Field(default_factory=list)


class CopyResult(BaseModel):
    draft: bool = True
    channel: Channel
    audience: str
    products: list[ProductRef]
    themes: list[str] = Field(default_factory=list, description="What the copy is about when not a product")
    offer: str | None
    language: str = DEFAULT_LANGUAGE
    variants: list[CopyVariant]
    regenerated: bool
    dropped: list[str] = Field(default_factory=list, description="Why variants were left out")
    brand: str

    def to_markdown(self) -> str:
        who = f" for {self.audience}" if self.audience else ""
        lines = [f"### DRAFT — {self.channel} copy{who}"]
        if self.products:
            lines.append("Products: " + ", ".join(f"{p.name} ({p.product_id})" for p in self.products))
        if self.themes:
            lines.append("Theme: " + ", ".join(self.themes) + " (not in the catalogue: no product claims)")
        if self.offer:
            lines.append(f"Offer: {self.offer}")
        if self.language != DEFAULT_LANGUAGE:
            lines.append(f"Language: {self.language}")
        for i, v in enumerate(self.variants, start=1):
            lines.append(f"\n**Variant {i} (draft)**")
            for label in ("subject", "preheader", "headline"):
                value = getattr(v, label)
                if value:
                    lines.append(f"- {label.capitalize()}: {value}")
            lines.append(f"\n{v.body}")
            if v.cta:
                lines.append(f"\n[{v.cta}]")
            if v.qa_issues:
                lines.append("\n_QA: " + "; ".join(v.qa_issues) + "_")
        for reason in self.dropped:
            lines.append(f"\n_{reason}_")
        return "\n".join(lines)

    def charts(self) -> list[ChartSpec]:
        return []


def load_brand_voice(path: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = (
        yaml.safe_load(path.read_text(encoding="utf-8")) if path else prompts.load_yaml("brand_voice.yaml")
    )
    for key in ("name", "tone", "audience_notes"):
        data.setdefault(key, "")
    data.setdefault("words_to_avoid", [])
    data.setdefault("claims_allowed", [])
    return data


def variant_schema(channel: str, n: int) -> dict[str, Any]:
    fields = LIMITS[channel]
    # The grammar allows some slack over the limit; QA trims or regenerates what is over.
    props = {f: {"type": "string", "maxLength": int(limit * 1.5)} for f, limit in fields.items()}
    return {
        "type": "object",
        "properties": {
            "variants": {
                "type": "array",
                "items": {"type": "object", "properties": props, "required": list(fields)},
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["variants"],
    }


@dataclass
class _Draft:
    fields: dict[str, str]
    review: Review


def _offer_meaning(offer: Offer) -> str | None:
    """The offer in plain English when it was typed another way (七折 -> 30% off), for the model."""
    meaning = offer.describe()
    said = set(re.findall(r"\w+", offer.text.lower()))
    words = re.findall(r"\w+", meaning.lower())
    return meaning if words and sum(w in said for w in words) / len(words) < 0.6 else None


def write_copy(args: WriteCopyInput, ctx: ToolContext) -> CopyResult:
    from langchain_core.messages import HumanMessage, SystemMessage

    llm = ctx.llm
    if llm is None:
        raise RuntimeError("write_copy needs an LLM: run it through the agent (mka ask / chat / ui)")
    products, themes = resolve_products(args.products, ctx)
    brand = load_brand_voice(getattr(ctx.settings, "brand_voice", None))
    offer = parse_offer(args.offer) if args.offer else None
    language = args.language or DEFAULT_LANGUAGE
    names = [*(display_name(p.name) for p in products), *themes]
    given = marketer_text(
        args.offer, brand, args.audience, args.tone or "", *names, *(f"{p.name} {p.product_id}" for p in products)
    )
    channel_fields = LIMITS[args.channel]
    limits = ", ".join(f"{f} ≤ {n} characters" for f, n in channel_fields.items())
    system = prompts.render("copy_system.j2", brand=brand)
    slots: list[_Draft | None] = [None] * args.n_variants
    problems = ""
    calls = 0
    for _attempt in range(2):
        todo = [i for i, d in enumerate(slots) if d is None or not d.review.ok]
        if not todo:
            break
        user = prompts.render(
            "copy_user.j2",
            channel=args.channel,
            limits=limits,
            language=language,
            audience=mask_pii(args.audience),
            products=[f"{display_name(p.name)} (id {p.product_id})" for p in products],
            themes=themes,
            offer=args.offer,
            offer_meaning=_offer_meaning(offer) if offer else None,
            tone=args.tone,
            n_variants=len(todo),
            problems=problems,
        )
        schema = variant_schema(args.channel, len(todo))
        raw = llm.json("copy", [SystemMessage(system), HumanMessage(user)], schema, "copy", max_tokens=700)
        calls += 1
        returned = [
            {k: str(v).strip() for k, v in item.items() if k in channel_fields}
            for item in raw.get("variants", [])
            if isinstance(item, dict)
        ]
        for i, fields in zip(todo, returned, strict=False):
            new = _Draft(fields, review(fields, args.channel, offer, brand, given, names))
            old = slots[i]
            if old is None or new.review.severity <= old.review.severity:  # the retry, unless it is worse
                slots[i] = new
        failing = {issue for i in todo if (d := slots[i]) is not None for issue in d.review.issues}
        if any(slots[i] is None for i in todo):
            failing.add("fewer variants than asked for were returned")
        problems = "; ".join(sorted(failing))
    drafts = [d for d in slots if d is not None]
    if not drafts:
        raise RuntimeError("the model returned no copy variants twice")
    final: list[tuple[CopyVariant, Review]] = []
    for d in drafts:
        fixed, notes = safe_fix(d.fields, args.channel, d.review)
        after = review(fixed, args.channel, offer, brand, given, names)
        final.append((CopyVariant(**fixed, qa_issues=notes + after.issues), after))
    kept, dropped = _keep(final, offer)
    return CopyResult(
        channel=args.channel,
        audience=args.audience,
        products=products,
        themes=themes,
        offer=args.offer,
        language=language,
        variants=kept,
        regenerated=calls > 1,
        dropped=dropped,
        brand=str(brand.get("name", "")),
    )


def _keep(final: list[tuple[CopyVariant, Review]], offer: Offer | None) -> tuple[list[CopyVariant], list[str]]:
    """Drop variants that leave out the offer, lost their body or are no copy (a reply to the marketer) when
    another variant is usable; else keep them all, flagged, so the marketer still has a draft to edit."""
    usable = [v for v, r in final if v.body.strip() and not r.offer_missing and not r.not_copy]
    if not usable or len(usable) == len(final):
        return [v for v, _ in final], []
    gone = len(final) - len(usable)
    reasons = []
    if any(r.offer_missing for _, r in final):
        reasons.append(f"left out the offer {offer.text!r}" if offer else "left out the offer")
    if any(r.not_copy for _, r in final):
        reasons.append("replied to the marketer instead of writing copy")
    if any(not v.body.strip() for v, _ in final):
        reasons.append("had nothing left once QA took out what was not given")
    what = " or ".join(reasons)
    return usable, [f"{gone} variant{'s' if gone > 1 else ''} dropped: {what} even after a retry."]


TOOLS: list[Tool[Any]] = [
    Tool(
        name="write_copy",
        input_model=WriteCopyInput,
        run=write_copy,
        description="Write draft campaign copy (email, sms, push, ad, social) for an audience and products or a theme.",
        carry_over=WriteCopyInput.carry_over,
        narrate=False,
    ),
]
