"""Campaign copy drafts (email, SMS, push, ad, social) in the brand voice, checked before anyone sees them.

QA checks every variant: channel length limits, placeholder brackets, personal data, offers or numbers the
marketer did not give, banned words. A failing draft is regenerated once with the problems listed; what
still fails is trimmed where that is safe and otherwise flagged. Copy is always labelled a draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator

import prompts
from assistant.core.privacy import contains_pii, mask_pii
from tools.base import ChartSpec, PriorStep, Tool
from tools.context import ToolContext

Channel = Literal["email", "sms", "push", "ad", "social"]

# Field -> max characters, per channel.
LIMITS: dict[str, dict[str, int]] = {
    "email": {"subject": 60, "preheader": 90, "body": 900, "cta": 30},
    "sms": {"body": 160},
    "push": {"headline": 40, "body": 120},
    "ad": {"headline": 30, "body": 90},
    "social": {"body": 280},
}
PLACEHOLDER = re.compile(r"\[[^\]]{1,40}\]|\{[^}]{1,40}\}|<[^>]{1,40}>|\bX{2,}\b|lorem ipsum", re.I)
OFFER_WORDS = re.compile(
    r"\d+\s?%|[£$€]\s?\d|\d+\s?(?:pounds|euros|dollars)\b|\bfree (?:shipping|delivery|gift)\b|\b(?:promo|discount|"
    r"voucher|coupon) code\b|\bcode [A-Z0-9]{3,}\b|\b(?:sale|discount|% off|half price|bogo)\b",
    re.I,
)


class WriteCopyInput(BaseModel):
    """Write draft campaign copy for one channel, audience and set of products."""

    channel: Channel = Field(description="email, sms, push, ad or social")
    audience: str = Field(default="", max_length=200, description="Who it is for, e.g. 'at-risk customers in France'")
    products: list[str] = Field(default_factory=list, max_length=5, description="Product ids or names to feature")
    offer: str | None = Field(
        default=None, max_length=120, description="The offer exactly as the marketer stated it; omit if none"
    )
    tone: str | None = Field(default=None, max_length=60, description="Tone for this piece, if asked")
    n_variants: int = Field(default=2, ge=1, le=3, description="How many variants (1-3)")

    @field_validator("products")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v and v.strip()]
        if len({c.lower() for c in cleaned}) != len(cleaned):
            raise ValueError("products: the same product is listed twice")
        return cleaned

    @classmethod
    def carry_over(cls, args: dict[str, Any], steps: Sequence[PriorStep]) -> dict[str, Any]:
        """Products from an earlier recommendation, audience from an earlier segment, when not given."""
        for step in reversed(steps):
            result = step.result
            if not args.get("products") and isinstance(result.get("items"), list):
                args["products"] = [str(i.get("product_id")) for i in result["items"][:3] if i.get("product_id")]
            if not args.get("audience") and result.get("definition"):
                args["audience"] = str(result["definition"])[:200]
        return args


class ProductRef(BaseModel):
    product_id: str
    name: str


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
    offer: str | None
    variants: list[CopyVariant]
    regenerated: bool
    brand: str

    def to_markdown(self) -> str:
        who = f" for {self.audience}" if self.audience else ""
        lines = [f"### DRAFT — {self.channel} copy{who}"]
        if self.products:
            lines.append("Products: " + ", ".join(f"{p.name} ({p.product_id})" for p in self.products))
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


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _match_by_words(con: Any, raw: str) -> tuple[Any, ...] | None:
    """ "candle holders" -> the best seller whose name has every word (singular): "… CANDLE HOLDER"."""
    words = [_singular(w) for w in re.findall(r"[a-z0-9]+", raw.lower()) if len(w) > 1][:6]
    if not words:
        return None
    condition = " AND ".join("p.name ILIKE '%' || ? || '%'" for _ in words)
    row: tuple[Any, ...] | None = con.execute(
        f"""SELECT p.product_id, p.name FROM products p
            LEFT JOIN order_lines l ON l.product_id = p.product_id
            WHERE {condition}
            GROUP BY p.product_id, p.name ORDER BY count(l.product_id) DESC, p.product_id LIMIT 1""",
        words,
    ).fetchone()
    return row


def resolve_products(names: list[str], ctx: ToolContext) -> list[ProductRef]:
    """Match ids exactly, else names by substring (the best-selling match). Unknown names are an error."""
    con = ctx.warehouse()
    found: list[ProductRef] = []
    for raw in names:
        row = con.execute(
            "SELECT product_id, name FROM products WHERE product_id = ?", [raw.strip().upper()]
        ).fetchone()
        if row is None:
            row = con.execute("SELECT product_id, name FROM products WHERE product_id = ?", [raw.strip()]).fetchone()
        if row is None:
            row = con.execute(
                """SELECT p.product_id, p.name FROM products p
                   LEFT JOIN order_lines l ON l.product_id = p.product_id
                   WHERE p.name ILIKE '%' || ? || '%'
                   GROUP BY p.product_id, p.name ORDER BY count(l.product_id) DESC, p.product_id LIMIT 1""",
                [raw.strip()],
            ).fetchone()
        if row is None:
            row = _match_by_words(con, raw)
        if row is None:
            raise ValueError(f"products: no product matches {raw!r}")
        found.append(ProductRef(product_id=str(row[0]), name=str(row[1])))
    return found


def _display_name(name: str) -> str:
    return name.title() if name.isupper() else name


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


def qa_issues(variant: dict[str, str], channel: str, offer: str | None, brand: dict[str, Any]) -> list[str]:
    issues = []
    for field, limit in LIMITS[channel].items():
        text = variant.get(field) or ""
        if not text.strip():
            issues.append(f"{field} is empty")
        elif len(text) > limit:
            issues.append(f"{field} is {len(text)} characters (limit {limit})")
    text = " ".join(str(v) for v in variant.values() if v)
    if PLACEHOLDER.search(text):
        issues.append(f"placeholder {PLACEHOLDER.search(text).group(0)!r}")  # type: ignore[union-attr]
    if contains_pii(text):
        issues.append("contains personal data")
    allowed = (offer or "").lower() + " " + " ".join(brand.get("claims_allowed", [])).lower()
    for match in OFFER_WORDS.finditer(text):
        if match.group(0).lower() not in allowed:
            issues.append(f"offer not given by the marketer: {match.group(0)!r}")
            break
    for word in brand.get("words_to_avoid", []):
        if re.search(rf"\b{re.escape(word)}\b", text, re.I):
            issues.append(f"uses the banned word {word!r}")
    return issues


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def _safe_fix(variant: dict[str, str], channel: str) -> dict[str, str]:
    """Fixes that cannot change meaning: trim over-long fields at a word boundary, drop placeholders."""
    fixed = {k: PLACEHOLDER.sub("", v or "").replace("  ", " ").strip() for k, v in variant.items()}
    return {k: _trim(v, LIMITS[channel].get(k, len(v))) for k, v in fixed.items()}


def write_copy(args: WriteCopyInput, ctx: ToolContext) -> CopyResult:
    from langchain_core.messages import HumanMessage, SystemMessage

    llm = ctx.llm
    if llm is None:
        raise RuntimeError("write_copy needs an LLM: run it through the agent (mka ask / chat / ui)")
    products = resolve_products(args.products, ctx)
    brand = load_brand_voice(getattr(ctx.settings, "brand_voice", None))
    limits = ", ".join(f"{f} ≤ {n} characters" for f, n in LIMITS[args.channel].items())
    system = prompts.render("copy_system.j2", brand=brand)
    schema = variant_schema(args.channel, args.n_variants)
    problems = ""
    variants: list[dict[str, str]] = []
    regenerated = False
    for _attempt in range(2):
        user = prompts.render(
            "copy_user.j2",
            channel=args.channel,
            limits=limits,
            audience=mask_pii(args.audience),
            products=[f"{_display_name(p.name)} (id {p.product_id})" for p in products],
            offer=args.offer,
            tone=args.tone,
            n_variants=args.n_variants,
            problems=problems,
        )
        raw = llm.json("copy", [SystemMessage(system), HumanMessage(user)], schema, "copy", max_tokens=700)
        variants = [
            {k: str(v).strip() for k, v in item.items() if k in LIMITS[args.channel]}
            for item in raw.get("variants", [])
            if isinstance(item, dict)
        ][: args.n_variants]
        found = [qa_issues(v, args.channel, args.offer, brand) for v in variants]
        if variants and not any(found):
            break
        problems = "; ".join(sorted({i for issues in found for i in issues})) or "no variants returned"
        regenerated = True  # the first draft failed QA; the second try is the last
    if not variants:
        raise RuntimeError("the model returned no copy variants twice")
    final = []
    for v in variants:
        fixed = _safe_fix(v, args.channel)
        final.append(CopyVariant(**fixed, qa_issues=qa_issues(fixed, args.channel, args.offer, brand)))
    return CopyResult(
        channel=args.channel,
        audience=args.audience,
        products=products,
        offer=args.offer,
        variants=final,
        regenerated=regenerated,
        brand=str(brand.get("name", "")),
    )


TOOLS: list[Tool[Any]] = [
    Tool(
        name="write_copy",
        input_model=WriteCopyInput,
        run=write_copy,
        description=("Write draft campaign copy (email, sms, push, ad, social) for an audience and products."),
        carry_over=WriteCopyInput.carry_over,
        narrate=False,
    ),
]
