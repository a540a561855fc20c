"""The generated eval suite: template families x slot values x paraphrases x languages (and two-turn threads).

A family (evals/templates/<intent>.yaml) is one kind of request: its intent, its split, the tool and canonical
arguments it expects, a ground-truth SQL template, and paraphrases in every language with slots ({country},
{segment.in}, …). Slot values (evals/templates/_slots.yaml) carry the canonical value the tools take, the value
the SQL compares with, and what a marketer writes in each language (names, aliases, other scripts).

Families are split into dev (routing examples and prompts may be tuned on them) and test (only reported), so the
figure reported is on requests nobody tuned for. Slot values are drawn deterministically (a fixed seed per family
and language), so the suite is stable: `mka eval generate` rewrites evals/suites/generated.yaml, and a test fails
when the committed file is not what the templates generate. Nothing here runs the agent or reads the warehouse.
"""

from __future__ import annotations

import builtins
import copy
import hashlib
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATES = REPO / "evals" / "templates"
DEFAULT_OUT = REPO / "evals" / "suites" / "generated.yaml"
CORE_SUITE = REPO / "evals" / "suites" / "core.yaml"
SLOTS_FILE = "_slots.yaml"
SEED = 17
LANGUAGES = ("en", "zh", "es", "de", "fr", "pt")
INTENTS = (
    "segments", "overview", "explain", "recommend", "sentiment", "search", "predict", "forecast", "campaign",
    "copy", "out_of_scope", "clarify", "privacy", "analysis", "metrics",
)  # fmt: skip
OPS = ("gt", "gte", "lt", "lte", "between")
# A placeholder: {slot} or {slot.part}; {{snippet}} (a suite SQL snippet) is left alone.
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z][a-z0-9_]*)(?:\.([a-z_]+))?\}(?!\})")


class TemplateError(ValueError):
    pass


class SlotValue(BaseModel):
    """One value of a slot: canonical (tool arguments), for SQL, and as written in each language.

    A surface gives the list's parts separated by '|', e.g. for countries (parts name, in, of) 'Allemagne|en
    Allemagne|d'Allemagne'; a part left out or empty is made by the list's rule for the language."""

    model_config = ConfigDict(extra="forbid")

    value: Any
    sql: Any = None
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)
    es: list[str] = Field(default_factory=list)
    de: list[str] = Field(default_factory=list)
    fr: list[str] = Field(default_factory=list)
    pt: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list, description="Surfaces for every language (ids).")

    def surfaces(self, language: str) -> list[str]:
        return list(getattr(self, language)) or list(self.all)


class SlotList(BaseModel):
    """Values a slot draws from; `parts` are the forms a paraphrase can use ({country}, {country.in} …)."""

    model_config = ConfigDict(extra="forbid")

    parts: list[str] = Field(default_factory=lambda: ["name"])
    rules: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="language -> part -> pattern with {name}, for parts a surface leaves out."
    )
    values: list[SlotValue]

    def forms(self, surface: str, language: str) -> dict[str, str]:
        given = [p.strip() for p in surface.split("|")]
        if len(given) > len(self.parts):
            raise TemplateError(f"surface {surface!r} has more parts than {self.parts}")
        name = given[0]
        out = {"name": name}
        for i, part in enumerate(self.parts[1:], start=1):
            text = given[i] if i < len(given) else ""
            out[part] = text or self.rules.get(language, {}).get(part, "{name}").format(name=name)
        return out


class BoundList(BaseModel):
    """Numbers with comparators, expanded into slot values: 'more than 10 orders' -> frequency_min 11."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["bound"]
    field: str = Field(description="Argument stem: frequency -> frequency_min / frequency_max.")
    column: str = Field(description="The column the ground-truth SQL compares.")
    integer: bool = Field(default=True, description="Whole numbers: strict bounds are written as N+1 / N-1.")
    values: list[list[str | int | float]] = Field(description="[op, n] or ['between', a, b].")
    phrases: dict[str, dict[str, list[str]]] = Field(description="language -> op -> phrasings with {n}, {a}, {b}.")

    def expand(self) -> list[SlotValue]:
        out = []
        for entry in self.values:
            op, *numbers = entry
            if op not in OPS or len(numbers) != (2 if op == "between" else 1):
                raise TemplateError(f"bound {self.field}: bad value {entry}")
            surfaces = {
                lang: [_phrase(p, lang, numbers) for p in ops.get(str(op), [])] for lang, ops in self.phrases.items()
            }
            missing = [lang for lang in LANGUAGES if not surfaces.get(lang)]
            if missing:
                raise TemplateError(f"bound {self.field}: no '{op}' phrasing in {', '.join(missing)}")
            args, sql = self._args_sql(str(op), numbers)
            out.append(SlotValue(value=args, sql=sql, **surfaces))
        return out

    def _args_sql(self, op: str, numbers: list[Any]) -> tuple[dict[str, Any], str]:
        lo, hi, col = f"{self.field}_min", f"{self.field}_max", self.column
        n = numbers[0]
        if op == "between":
            return {lo: numbers[0], hi: numbers[1]}, f"{col} BETWEEN {numbers[0]} AND {numbers[1]}"
        sql = f"{col} {({'gt': '>', 'gte': '>=', 'lt': '<', 'lte': '<='})[op]} {n}"
        if op in ("gte", "lte"):
            return {lo if op == "gte" else hi: n}, sql
        name = lo if op == "gt" else hi
        if self.integer:
            return {name: n + 1 if op == "gt" else n - 1}, sql
        return {name: n, "strict_bounds": [name]}, sql

    def forms(self, surface: str, language: str) -> dict[str, str]:
        return {"name": surface}


# Thousands separators as each language writes them: {nf} in a phrasing is the number written so (5,000; 5.000).
_THOUSANDS = {"en": ",", "zh": "", "es": ".", "de": ".", "fr": " ", "pt": "."}


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _local(value: Any, language: str) -> str:
    text = _num(value)
    if not text.isdigit() or len(text) < 4:
        return text
    return f"{int(text):,}".replace(",", _THOUSANDS[language])


def _phrase(pattern: str, language: str, numbers: list[Any]) -> str:
    a, b = numbers[0], numbers[-1]
    return pattern.format(
        n=_num(a), a=_num(a), b=_num(b), nf=_local(a, language), af=_local(a, language), bf=_local(b, language)
    )


class SlotsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql_snippets: dict[str, str] = Field(default_factory=dict)
    lists: dict[str, BoundList | SlotList]


class SlotRef(BaseModel):
    """A family's slot: which list it draws from, optionally only some of its values (by canonical value)."""

    model_config = ConfigDict(extra="forbid")

    list: str
    only: builtins.list[Any] | None = None


class NumberTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str
    tolerance: float | None = None
    rel_tolerance: float | None = None


Paraphrase = str | list[str]


class Family(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    split: Literal["dev", "test"]
    intent: str | None = None
    description: str = ""
    tool: str = Field(description="Expected first tool, or 'none'.")
    args: dict[str, Any] = Field(default_factory=dict, description="Canonical arguments, with {slot} placeholders.")
    args_from: list[str] = Field(default_factory=list, description="Slots whose value is a dict of arguments.")
    exact: bool = False
    free: list[str] = Field(default_factory=list)
    number: NumberTemplate | None = None
    checks: list[dict[str, Any]] = Field(default_factory=list, description="More assertions, as in a suite.")
    slots: dict[str, str | SlotRef] = Field(default_factory=dict)
    samples: int = Field(default=1, ge=1, le=5, description="Slot draws per paraphrase.")
    exclude: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Combinations of canonical slot values never drawn together (e.g. a segment a country has no "
        "customers in: a true 0 leaves no useful answer to check).",
    )
    paraphrases: dict[str, list[Paraphrase]]

    @model_validator(mode="after")
    def _every_language(self) -> Family:
        missing = [lang for lang in LANGUAGES if not self.paraphrases.get(lang)]
        if missing:
            raise ValueError(f"no paraphrases in {', '.join(missing)}")
        extra = sorted(set(self.paraphrases) - set(LANGUAGES))
        if extra:
            raise ValueError(f"unknown languages {extra}")
        shapes = {isinstance(p, list) for ps in self.paraphrases.values() for p in ps}
        if len(shapes) > 1:
            raise ValueError("paraphrases are all single prompts or all threads (lists of turns)")
        return self

    def slot_refs(self) -> dict[str, SlotRef]:
        return {name: SlotRef(list=ref) if isinstance(ref, str) else ref for name, ref in self.slots.items()}


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str
    families: list[Family]


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(str(p) for p in (SEED, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def load_templates(directory: Path) -> tuple[SlotsFile, list[Family]]:
    """The slot lists and every family, validated; errors name the file and the family."""
    slots_path = directory / SLOTS_FILE
    try:
        slots = SlotsFile.model_validate(yaml.safe_load(slots_path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise TemplateError(f"{slots_path}: not found") from exc
    except (ValidationError, yaml.YAMLError) as exc:
        raise TemplateError(f"{slots_path}: {exc}") from exc
    files: list[tuple[Path, TemplateFile]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == SLOTS_FILE:
            continue
        try:
            data = TemplateFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (ValidationError, yaml.YAMLError) as exc:
            raise TemplateError(f"{path}: {exc}") from exc
        if data.intent not in INTENTS:
            raise TemplateError(f"{path}: unknown intent {data.intent!r} ({', '.join(INTENTS)})")
        files.append((path, data))
    families: list[Family] = []
    for path, data in sorted(files, key=lambda f: (INTENTS.index(f[1].intent), f[0].name)):
        for family in data.families:
            family.intent = family.intent or data.intent
            if family.intent not in INTENTS:
                raise TemplateError(f"{path}: family {family.id!r}: unknown intent {family.intent!r}")
            families.append(family)
    ids = Counter(f.id for f in families)
    dupes = sorted(i for i, n in ids.items() if n > 1)
    if dupes:
        raise TemplateError(f"{directory}: duplicate family ids {dupes}")
    return slots, families


def _values(slots: SlotsFile, ref: SlotRef, family: str) -> list[SlotValue]:
    source = slots.lists.get(ref.list)
    if source is None:
        raise TemplateError(f"family {family!r}: no slot list {ref.list!r}")
    values = source.expand() if isinstance(source, BoundList) else list(source.values)
    if ref.only is not None:
        known = {_key(v.value): v for v in values}
        unknown = [o for o in ref.only if _key(o) not in known]
        if unknown:
            raise TemplateError(f"family {family!r}: {unknown} are not values of {ref.list!r}")
        values = [known[_key(o)] for o in ref.only]
    return values


def _key(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True)


class _Draw:
    """One slot value and its surface (all its forms) in one language."""

    def __init__(self, source: SlotList | BoundList, value: SlotValue, language: str, rng: random.Random) -> None:
        surfaces = value.surfaces(language)
        if not surfaces:
            raise TemplateError(f"slot value {value.value!r} has no surface in {language}")
        self.value = value
        self.forms = source.forms(rng.choice(surfaces), language)


def _fill_text(text: str, draws: dict[str, _Draw], where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name, part = match.group(1), match.group(2)
        if name not in draws:
            raise TemplateError(f"{where}: unknown slot {{{name}}}")
        forms = draws[name].forms
        if (part or "name") not in forms:
            raise TemplateError(f"{where}: {{{name}.{part}}}: the slot's forms are {', '.join(forms)}")
        return forms[part or "name"]

    return PLACEHOLDER.sub(sub, text)


def _canonical(draw: _Draw, part: str | None, sql: bool) -> Any:
    if part == "said":  # the words as the request has them (an offer is the marketer's, verbatim)
        return draw.forms["name"]
    value = draw.value.sql if sql and draw.value.sql is not None else draw.value.value
    if part is not None:
        if not isinstance(value, dict) or part not in value:
            raise TemplateError(f"slot value {draw.value.value!r} has no part {part!r}")
        value = value[part]
    return value


def _fill_sql(sql: str, draws: dict[str, _Draw], where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name, part = match.group(1), match.group(2)
        if name not in draws:
            raise TemplateError(f"{where}: unknown slot {{{name}}} in SQL")
        value = _canonical(draws[name], part, sql=True)
        if isinstance(value, dict | list):
            raise TemplateError(f"{where}: {{{name}}} is not one value in SQL")
        return str(value).replace("'", "''")

    return PLACEHOLDER.sub(sub, sql)


def _fill_args(value: Any, draws: dict[str, _Draw], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill_args(v, draws, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_args(v, draws, where) for v in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:  # "{n}" keeps the value's type (a number stays a number)
        if whole.group(1) not in draws:
            raise TemplateError(f"{where}: unknown slot {value} in args")
        return copy.deepcopy(_canonical(draws[whole.group(1)], whole.group(2), sql=False))

    def sub(match: re.Match[str]) -> str:
        if match.group(1) not in draws:
            raise TemplateError(f"{where}: unknown slot {match.group(0)} in args")
        return str(_canonical(draws[match.group(1)], match.group(2), sql=False))

    return PLACEHOLDER.sub(sub, value)


def _without_defaults(tool: str, args: dict[str, Any], tools: dict[str, Any]) -> dict[str, Any]:
    """Drop expected arguments equal to the tool's default: a step lists only the arguments that differ."""
    spec = tools.get(tool)
    if spec is None:
        return args
    fields = spec.input_model.model_fields
    out = {}
    for key, value in args.items():
        info = fields.get(key)
        if info is not None and not info.is_required():
            default = info.get_default(call_default_factory=True)
            if default == value or (hasattr(default, "value") and default.value == value):
                continue
        out[key] = value
    return out


def _assertions(family: Family, language: str, draws: dict[str, _Draw], tools: dict[str, Any]) -> list[Any]:
    where = f"family {family.id!r}"
    out: list[Any] = []
    if family.tool == "none":
        out.append({"tool": "none"})
    else:
        args = _fill_args(dict(family.args), draws, where)
        for name in family.args_from:
            if name not in draws or not isinstance(draws[name].value.value, dict):
                raise TemplateError(f"{where}: args_from {name!r} is not a slot with argument values")
            args.update(copy.deepcopy(draws[name].value.value))
        args = _without_defaults(family.tool, args, tools)
        tool: dict[str, Any] = {"name": family.tool}
        if args:
            tool["args"] = args
        if family.exact:
            tool["exact"] = True
        if family.free:
            tool["free"] = list(family.free)
        out.append({"tool": tool})
    if family.number is not None:
        number: dict[str, Any] = {"sql": " ".join(_fill_sql(family.number.sql, draws, where).split())}
        if family.number.tolerance is not None:
            number["tolerance"] = family.number.tolerance
        if family.number.rel_tolerance is not None:
            number["rel_tolerance"] = family.number.rel_tolerance
        out.append({"number": number})
    out.append({"useful": True})
    out.append({"no_pii": True})
    if language != "en":
        out.append({"language": language})
    out.extend(family.checks)
    return out


def _draw(
    family: Family,
    refs: dict[str, SlotRef],
    pools: dict[str, list[SlotValue]],
    orders: dict[str, list[int]],
    position: dict[str, int],
    slots: SlotsFile,
    language: str,
    rng: random.Random,
) -> dict[str, _Draw]:
    """The next value of every slot (slots drawing from one list get distinct values)."""
    draws: dict[str, _Draw] = {}
    used_by_list: dict[str, set[str]] = {}
    for name, ref in refs.items():
        pool, order = pools[name], orders[name]
        taken = used_by_list.setdefault(ref.list, set())
        for _attempt in range(len(pool)):
            value = pool[order[position[name] % len(pool)]]
            position[name] += 1
            if _key(value.value) not in taken:
                break
        else:
            raise TemplateError(f"family {family.id!r}: too few distinct values in {ref.list!r}")
        taken.add(_key(value.value))
        draws[name] = _Draw(slots.lists[ref.list], value, language, rng)
    return draws


def _excluded(rule: dict[str, Any], draws: dict[str, _Draw]) -> bool:
    return all(name in draws and _key(draws[name].value.value) == _key(want) for name, want in rule.items())


def expand_family(family: Family, slots: SlotsFile, tools: dict[str, Any]) -> list[dict[str, Any]]:
    """Every case of one family, in a fixed order: languages, paraphrases, then slot draws."""
    refs = family.slot_refs()
    pools = {name: _values(slots, ref, family.id) for name, ref in refs.items()}
    cases: list[dict[str, Any]] = []
    for language in LANGUAGES:
        rng = _rng(family.id, language)
        # Each slot cycles through its values in a shuffled order, so a family covers them evenly.
        orders = {name: rng.sample(range(len(pool)), len(pool)) for name, pool in pools.items()}
        position = {name: rng.randrange(len(pool)) for name, pool in pools.items()}
        seen: set[str] = set()
        n = 0
        for paraphrase in family.paraphrases[language]:
            for _ in range(family.samples):
                for _attempt in range(50):
                    draws = _draw(family, refs, pools, orders, position, slots, language, rng)
                    if not any(_excluded(rule, draws) for rule in family.exclude):
                        break
                else:
                    raise TemplateError(f"family {family.id!r}: every draw is excluded")
                where = f"family {family.id!r} ({language})"
                turns = [paraphrase] if isinstance(paraphrase, str) else list(paraphrase)
                texts = [" ".join(_fill_text(t, draws, where).split()) for t in turns]
                key = "\n".join(texts)
                if key in seen:
                    continue  # the same words twice (a slot with one surface): one case is enough
                seen.add(key)
                n += 1
                case: dict[str, Any] = {
                    "id": f"{family.id}-{language}-{n:02d}",
                    "family": family.id,
                    "split": family.split,
                    "intent": family.intent,
                    "language": language,
                    "category": family.intent,
                }
                if isinstance(paraphrase, str):
                    case["prompt"] = texts[0]
                else:
                    case["turns"] = texts
                case["assert"] = _assertions(family, language, draws, tools)
                cases.append(case)
    return cases


HEADER = """\
# GENERATED by `mka eval generate` from evals/templates/ (assistant/evals/generate.py): do not edit by hand.
# Template families x slot values x paraphrases x languages, split into dev and test by family: routing
# examples and prompts may be tuned on dev only; report test (`mka bench agent --suite evals/suites/generated.yaml
# --split test`). Ground truth is SQL over the warehouse; "now" is the data's last order date, 2011-12-09.
"""


def generate(directory: Path = DEFAULT_TEMPLATES, core: Path = CORE_SUITE) -> dict[str, Any]:
    """The suite as a plain dict (what generated.yaml holds)."""
    from tools.families import load_tools

    slots, families = load_templates(directory)
    tools = load_tools()
    core_data = yaml.safe_load(core.read_text(encoding="utf-8"))
    snippets = dict(core_data.get("sql_snippets") or {})
    for name, sql in slots.sql_snippets.items():
        if name in snippets and snippets[name] != sql:
            raise TemplateError(f"{directory / SLOTS_FILE}: sql snippet {name!r} differs from core.yaml's")
        snippets[name] = sql
    cases = [case for family in families for case in expand_family(family, slots, tools)]
    return {
        "name": "generated",
        "threshold": 0.6,
        "description": "Generated from template families; dev and test split by family (see evals/templates/).",
        "sql_snippets": snippets,
        "cases": cases,
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # every case spelled out in full, no &anchors


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def generate_text(directory: Path = DEFAULT_TEMPLATES, core: Path = CORE_SUITE) -> str:
    """generated.yaml's text: deterministic, so the committed file can be compared with a fresh generation."""
    suite = generate(directory, core)
    body = yaml.dump(suite, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
    return HEADER + body


def summary(text: str) -> str:
    """'612 cases: dev 300, test 312; …' for the command's last line."""
    cases = (yaml.safe_load(text) or {}).get("cases") or []
    splits = Counter(c.get("split") for c in cases)
    families = {c.get("family") for c in cases}
    return f"{len(cases)} cases from {len(families)} families: " + ", ".join(
        f"{k} {v}" for k, v in sorted(splits.items())
    )
