"""Map what a marketer types ('Great Britain', 'Alemania', 'deutsche Kunden', '外套', 'beste Kunden') to the data's
own values.

Two tiers of aliases: every alias is accepted by `resolve` (an argument someone meant as a value), but only
the safe ones are picked out of free text by `find_mentions` (a sentence also holds everyday words: 'in',
'us', 'pull', and country names in some of CLDR's 1,100 locales are words in others: 'suis', 'fala', 'pole').
A country's demonyms ('German', 'alemanes', 'clients allemands') name it too, except where they name a language
('write it in German', 'auf Deutsch', 'en español'). Only values the Vocabulary holds are ever returned.
"""

from __future__ import annotations

import difflib
import pickle
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from assistant.understand.vocabulary import Vocabulary

Kind = Literal["country", "category", "segment"]
KINDS: tuple[Kind, ...] = ("country", "segment", "category")  # insertion order = priority on a shared word

# ---------------------------------------------------------------- normalisation

_DROP = str.maketrans("", "", ".'’ʼ`´")  # abbreviation dots and apostrophes vanish: U.K. -> uk, can't -> cant
_MARKS = re.compile("[\u0300-\u036f]")  # Latin/Greek/Cyrillic accents only; Indic vowel signs stay
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CHARS}]")
# French elisions: "d'Allemagne", "l'Espagne" name Germany and Spain, "combien d'unités" says "unités" (folding
# would join the words).
_ELISION = re.compile(r"(?<![^\W\d_])([cdjlmnstCDJLMNST]|[qQ]u)['’](?=[^\W\d_])")
_WORD = re.compile(rf"(?:(?![{_CJK_CHARS}])[^\W_])+")  # a run of letters/digits outside CJK
_LATIN = re.compile("[a-z]")


def fold(text: str) -> str:
    """NFKC, casefold, accents and abbreviation dots removed: 'Côte d’Ivoire' -> 'cote divoire'."""
    if text.isascii():  # the common case, and 5x faster: nothing to compose or strip
        return text.lower().translate(_DROP)
    text = _MARKS.sub("", unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold()))
    return unicodedata.normalize("NFC", text.translate(_DROP))


def fold_words(text: str) -> str:
    """fold() with French elisions kept apart ("d'unités" -> "d unites"): how vocabulary terms and the text they
    are looked for in are both folded, so a word after an elision is still that word."""
    return fold(_ELISION.sub(r"\1 ", text))


def alias_key(text: str) -> str:
    """The lookup key: folded words joined by one space, punctuation ignored ('at-risk' == 'at risk')."""
    folded = fold(text)
    return " ".join(_WORD.findall(folded)) if not _CJK.search(folded) else "".join(folded.split())


def _fold_mapped(text: str) -> tuple[str, list[int]]:
    """fold() character by character, with the index in `text` of each folded character (for offsets)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = fold(ch)
        chars.append(piece)
        origin.extend([i] * len(piece))
    return "".join(chars), origin


def _undotted(text: str) -> str:
    return re.sub(r"[.\s]", "", text)


# ---------------------------------------------------------------- countries

# Locales whose Latin-script names are picked out of sentences; names in other locales' Latin scripts are
# accepted by resolve() only (they collide with everyday words elsewhere). Non-Latin names always scan.
_SCAN_LANGUAGES = frozenset({"en", "es", "de", "fr", "pt", "it", "nl"})
# The data's own spellings that no standard lists (ISO/CLDR code of each).
_DATA_SPELLINGS = {
    "eire": "IE", "rsa": "ZA", "usa": "US", "uk": "GB", "european community": "EU",
    "channel islands": "830",  # UN M49's code: no ISO code, and CLDR has no names for it (Babel ships none)
}  # fmt: skip
_COLLOQUIAL: dict[str, tuple[str, ...]] = {
    "GB": ("UK", "U.K.", "GB", "G.B.", "Great Britain", "Britain", "England", "Scotland", "Wales",
           "Northern Ireland", "Gran Bretaña", "Inglaterra", "Escocia", "Gales", "Irlanda del Norte",
           "Vereinigten Königreich", "Vereinigten Königreichs", "Großbritannien", "Britannien", "Schottland",
           "Nordirland", "Grande-Bretagne", "Angleterre",
           "Écosse", "Pays de Galles", "Irlande du Nord", "Grã-Bretanha", "Escócia", "País de Gales",
           "Irlanda do Norte", "英格兰", "苏格兰", "威尔士", "北爱尔兰", "大不列颠", "英伦"),
    "US": ("US", "U.S.", "USA", "U.S.A.", "America", "United States", "United States of America", "the States",
           "EEUU", "EE.UU.", "EE. UU.", "EUA", "Amerika", "Amérique", "Vereinigten Staaten", "美国", "美利坚"),
    "AE": ("UAE", "U.A.E.", "Vereinigten Arabischen Emiraten", "Emirates", "EAU", "VAE", "Emiratos", "Emirate",
           "Émirats", "Emirados", "阿联酋"),
    "NL": ("Holland", "Holanda", "Hollande", "Niederlanden", "荷兰"),  # German dative: "in den Niederlanden"
    "IE": ("Eire", "Éire", "Republic of Ireland", "Irland", "Irlanda", "Irlande", "爱尔兰"),
    "ZA": ("RSA", "South Africa", "Republic of South Africa", "Sudáfrica", "Südafrika", "Afrique du Sud",
           "África do Sul", "南非"),
    "CZ": ("Czechia", "Czech Republic", "República Checa", "Chequia", "Tschechien", "Tschechische Republik",
           "République tchèque", "Tchéquie", "República Tcheca", "Chéquia", "捷克", "捷克共和国"),
    "EU": ("EU", "E.U.", "UE", "European Union", "European Community", "Unión Europea", "Europäische Union",
           "Union européenne", "União Europeia", "欧盟"),
    "SA": ("KSA", "Saudi", "Saudi Arabia"),
    # Not 'Jersey' or 'Guernsey': in a clothing shop they are garments first.
    "830": ("Channel Islands", "Islas del Canal", "Islas Anglonormandas", "Kanalinseln", "Îles Anglo-Normandes",
            "Îles de la Manche", "Ilhas do Canal", "Ilhas Anglo-Normandas", "海峡群岛", "英吉利海峡群岛"),
}  # fmt: skip
# Phrases that contain a country alias but name something else: matched, so they win as the longer span,
# and then dropped.
_NOT_A_COUNTRY = (
    "New England", "New South Wales", "Latin America", "South America", "North America", "Central America",
    "América Latina", "América del Sur", "América del Norte", "América Central", "Amérique latine",
    "Amérique du Sud", "Amérique du Nord", "América do Sul", "América do Norte", "Nordamerika", "Südamerika",
)  # fmt: skip
_CASED = frozenset({"the States"})  # mixed-case phrases that must be written so ('the states of the orders')
# Country names that are everyday words in a language that scans ('Island' is Iceland in German, 'Suède' Sweden
# in French, and English reviews mention islands and suede): arguments only, or in a sentence as written with
# their accent ('en Suède').
_COUNTRY_NOT_IN_SENTENCES = frozenset({"unspecified", "island", "suede"})


@dataclass(frozen=True)
class _Name:
    text: str
    scan: bool


@lru_cache(maxsize=1)
def _cldr_names() -> dict[str, tuple[_Name, ...]]:
    """Territory code -> its names in every Babel locale; a name two territories share is dropped."""
    seen: dict[tuple[str, str], bool] = {}
    for locale_id, territories in _territories_by_locale():
        scan_locale = locale_id.split("_")[0] in _SCAN_LANGUAGES
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha():
                seen[(code, name)] = seen.get((code, name), False) or scan_locale
    keys = {name: alias_key(name) for _, name in seen}
    owners: dict[str, set[str]] = defaultdict(set)
    for code, name in seen:
        owners[keys[name]].add(code)
    table: dict[str, list[_Name]] = defaultdict(list)
    for (code, name), scan_locale in seen.items():
        if len(owners[keys[name]]) == 1:
            table[code].append(_Name(name, scan_locale or not _LATIN.search(keys[name])))
    return {code: tuple(names) for code, names in table.items()}


def _territories_by_locale() -> Iterator[tuple[str, dict[str, str]]]:
    """(locale id, its own territory names) for every Babel locale.

    Each locale's file is read unmerged (the union over all locales equals merging each, at a fraction of the
    cost) and straight from disk: babel.localedata.load() would keep all 1,100 locales cached, ~190 MB.
    """
    from babel import localedata

    for locale_id in localedata.locale_identifiers():
        with open(localedata.resolve_locale_filename(locale_id), "rb") as file:
            data = pickle.load(file)  # Babel's own packaged CLDR data, as babel.localedata.load reads it
        yield locale_id, data.get("territories", {})


def _country_code(value: str, names: dict[str, str]) -> str | None:
    """The ISO/CLDR code of a data country ('EIRE' -> IE, 'Czech Republic' -> CZ), or None."""
    import pycountry

    key = alias_key(value)
    if key in _DATA_SPELLINGS:
        return _DATA_SPELLINGS[key]
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        return names.get(key)


def _pycountry_names(code: str) -> list[str]:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return []
    return [getattr(country, a) for a in ("name", "official_name", "common_name", "alpha_3") if hasattr(country, a)]


# ---------------------------------------------------------------- demonyms

_DEMONYM_LANGUAGES = ("en", "es", "de", "fr", "pt")
_GERMAN_ENDINGS = ("", "e", "en", "er", "es", "em")  # 'deutsch~': deutsch, deutsche, deutschen, ...


@lru_cache(maxsize=1)
def demonym_table() -> dict[str, Any]:
    """assistant/understand/demonyms.yaml, parsed once."""
    text = resources.files("assistant.understand").joinpath("demonyms.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def demonym_forms(surface: str) -> list[str]:
    """A table word as the words it stands for: a German adjective stem 'deutsch~' in all its endings."""
    if surface.endswith("~"):
        return [surface[:-1] + ending for ending in _GERMAN_ENDINGS]
    return [surface]


@dataclass(frozen=True)
class _LanguageCues:
    """demonyms.yaml's `language_cues`, as alias keys."""

    prepositions: frozenset[str]
    articles: frozenset[str]
    modifiers: frozenset[str]
    nouns: frozenset[str]
    before: frozenset[str]
    after: frozenset[str]


@lru_cache(maxsize=1)
def _language_cues() -> _LanguageCues:
    cues = demonym_table()["language_cues"]
    return _LanguageCues(**{name: frozenset(alias_key(str(w)) for w in words) for name, words in cues.items()})


def _names_a_language(tokens: list[str], i: int, n: int, demonyms: set[str]) -> bool:
    """Whether the demonym `tokens[i : i + n]` names a language here: 'in German', 'auf Deutsch', 'en español',
    'in plain English', 'in Brazilian Portuguese', 'German translation', 'French-speaking', 'langue française'.

    After a preposition it is still a country's when a noun follows ('in the German market', 'in deutschen Shops').
    """
    cues = _language_cues()
    first, last = i, i + n  # the run of adjacent demonyms and modifiers around it
    while first > 0 and (tokens[first - 1] in demonyms or tokens[first - 1] in cues.modifiers):
        first -= 1
    while last < len(tokens) and tokens[last] in demonyms:
        last += 1
    before = tokens[first - 1] if first > 0 else ""
    after = tokens[last] if last < len(tokens) else ""
    if before in cues.before or after in cues.after:
        return True
    if after in cues.nouns:
        return False
    if before in cues.articles and first > 1:
        before = tokens[first - 2]
    return before in cues.prepositions


# ---------------------------------------------------------------- segments

_SEGMENT_PHRASES: dict[str, tuple[str, ...]] = {
    "champions": ("champions", "champion customers", "best customers", "top customers", "VIP customers", "VIPs",
                  "most valuable customers", "mejores clientes", "clientes VIP", "beste Kunden", "besten Kunden",
                  "Topkunden", "Top-Kunden", "VIP-Kunden", "meilleurs clients", "clients VIP", "melhores clientes",
                  "最好的客户", "最佳客户", "顶级客户", "VIP客户", "冠军客户", "campeones", "clientes campeones",
                  "Champions-Kunden", "clients champions", "campeões", "clientes campeões"),
    "loyal": ("loyal customers", "regular customers", "clientes leales", "clientes fieles", "treue Kunden",
              "treuen Kunden", "Stammkunden", "clients fidèles", "clients loyaux", "clientes fiéis",
              "clientes leais", "忠诚客户", "忠实客户", "老客户"),
    "potential_loyalists": ("potential loyalists", "potential loyalist", "future loyal customers",
                            "potenciales leales", "clientes potencialmente leales", "potenziell treue Kunden",
                            "fidèles potentiels", "clients fidèles potentiels", "potenciais fiéis",
                            "potencialmente fiéis", "potencialmente leais", "fiéis em potencial",
                            "potencialmente fieles", "leales en potencial", "potenzielle Stammkunden",
                            "potentiellement fidèles", "潜在忠诚客户", "潜在忠实客户", "潜在的忠诚客户"),
    "new": ("new customers", "newest customers", "first-time customers", "first time buyers", "clientes nuevos",
            "nuevos clientes", "neue Kunden", "neuen Kunden", "Neukunden", "nouveaux clients", "novos clientes",
            "clientes novos", "新客户", "新顾客"),
    "promising": ("promising customers", "clientes prometedores", "vielversprechende Kunden",
                  "clients prometteurs", "clientes promissores", "有潜力的客户", "潜力客户"),
    "need_attention": ("need attention", "needs attention", "needing attention", "necesitan atención",
                       "brauchen Aufmerksamkeit", "benötigen Aufmerksamkeit", "besoin d'attention",
                       "nécessitent une attention", "precisam de atenção", "需要关注", "需要关注的客户"),
    "about_to_sleep": ("about to sleep", "about to lapse", "a punto de dormir", "kurz vor dem Einschlafen",
                       "sur le point de s'endormir", "prestes a dormir", "即将沉睡", "即将休眠"),
    "at_risk": ("at risk", "at-risk customers", "customers at risk", "en riesgo", "gefährdet", "gefährdete Kunden",
                "gefährdeten Kunden", "abwanderungsgefährdet", "Risikokunden", "à risque", "em risco", "流失风险",
                "有流失风险", "风险客户"),
    "cant_lose": ("can't lose", "cannot lose", "can't lose them", "can not lose", "must not lose",
                  "no podemos perder", "nicht verlieren dürfen", "dürfen wir nicht verlieren",
                  "ne pouvons pas perdre", "à ne pas perdre", "não podemos perder", "不能失去", "不能流失",
                  "不能流失的客户", "不能失去的客户"),
    "hibernating": ("hibernating", "hibernating customers", "dormant customers", "clientes hibernando",
                    "clientes dormidos", "schlafende Kunden", "Winterschlaf", "clients en hibernation",
                    "clients endormis", "clientes adormecidos", "休眠客户", "沉睡客户"),
    "lost": ("lost customers", "churned customers", "churned", "gone customers", "lapsed customers",
             "customers we lost", "clientes perdidos", "verlorene Kunden", "verlorenen Kunden",
             "abgewanderte Kunden", "clients perdus", "流失客户", "流失的客户", "已流失", "已流失客户"),
}  # fmt: skip


_CUSTOMER_NOUNS = ("shoppers", "buyers", "clients")

# ---------------------------------------------------------------- categories

_CATEGORY_LANGUAGES = ("en", "es", "de", "fr", "pt", "zh")


@lru_cache(maxsize=1)
def category_table() -> dict[str, Any]:
    """assistant/understand/category_aliases.yaml, parsed once."""
    text = resources.files("assistant.understand").joinpath("category_aliases.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


# ---------------------------------------------------------------- the resolver


@dataclass(frozen=True)
class Mention:
    """A value named in a text: `text[start:end] == surface`."""

    kind: Kind
    surface: str
    value: str
    start: int
    end: int


_Hit = tuple[Kind | None, str]  # (kind, value); kind None: a phrase matched only to be dropped


@dataclass
class _Index:
    exact: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    words: dict[str, _Hit] = field(default_factory=dict)  # Latin-script keys, whole words
    cjk: dict[str, _Hit] = field(default_factory=dict)  # keys with CJK, found as substrings
    cased: dict[str, tuple[set[str], _Hit]] = field(default_factory=dict)  # 'UK', 'US': as written only
    demonyms: set[str] = field(default_factory=set)  # keys that may name a language instead ('german')
    max_words: int = 1

    def add(self, kind: Kind | None, surface: str, value: str, scan: bool = True, cased: bool = False) -> None:
        key = alias_key(surface)
        if not key:
            return
        if kind is not None:
            self.exact[kind].setdefault(key, value)
        if not scan:
            return
        hit = (kind, value)
        bare = _undotted(surface)
        if cased or surface in _CASED or (bare.isascii() and bare.isalpha() and bare.isupper() and len(bare) <= 4):
            forms, _ = self.cased.setdefault(key, (set(), hit))
            forms.update({bare, bare[:1].upper() + bare[1:]})
        elif _CJK.search(key):
            if len(key) >= 2:  # one Han character is part of too many words
                self.cjk.setdefault(key, hit)
        else:
            self.words.setdefault(key, hit)
            self.max_words = max(self.max_words, key.count(" ") + 1)


class EntityResolver:
    """Surface forms -> the Vocabulary's values, for kinds "country", "category" and "segment"."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    @classmethod
    def for_vocabulary(cls, vocabulary: Vocabulary) -> EntityResolver:
        """One resolver per distinct vocabulary, per process (the index is built on first use)."""
        return _cached_resolver(vocabulary)

    def resolve(self, kind: Kind, text: str) -> str | None:
        """The data's value that `text` names exactly (after normalisation), or None."""
        table = self._index.exact[kind]
        key = alias_key(text)
        if key in table:
            return table[key]
        if kind == "country" and key.startswith("the "):
            return table.get(key[4:])
        if kind != "country" and len(key) >= 3 and _LATIN.search(key[-1:]):
            # Tolerate a plural 's' either way ('knit' -> Knits, 'sweater' -> Sweaters); not for countries,
            # where a letter changes the place.
            stems = [key + "s", key + "es", *([key[:-1]] if key.endswith("s") else [])]
            stems += [key[:-2]] if key.endswith("es") else []
            return next((table[s] for s in stems if s in table), None)
        return None

    def find_mentions(self, text: str) -> list[Mention]:
        """The longest non-overlapping aliases in `text`, in order (words for Latin script, substrings for CJK)."""
        index = self._index
        folded, origin = _fold_mapped(_ELISION.sub(r"\1 ", text))  # same length: the surfaces keep their place
        words = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
        shouting = not any(ch.islower() for ch in text)  # in ALL CAPS 'US' and 'CAN' are just words
        tokens = [folded[s:e] for s, e in words]
        found: list[tuple[int, int, _Hit]] = []
        for i in range(len(words)):
            for n in range(1, min(index.max_words, len(words) - i) + 1):
                start, end = words[i][0], words[i + n - 1][1]
                key = " ".join(tokens[i : i + n])
                hit: _Hit | None = None
                if key in index.words:
                    hit = index.words[key]
                elif key in index.cased and not shouting:
                    forms, cased_hit = index.cased[key]
                    if _undotted(text[origin[start] : origin[end - 1] + 1]) in forms:
                        hit = cased_hit
                if hit is not None:
                    if key in index.demonyms and _names_a_language(tokens, i, n, index.demonyms):
                        hit = (None, "")  # a language: the span is taken, and dropped
                    found.append((start, end, hit))
        if _CJK.search(folded):
            for key, hit in index.cjk.items():
                at = folded.find(key)
                while at >= 0:
                    end = at + len(key)
                    # A Latin-led key ('t恤') must not start or end inside a Latin word.
                    before = folded[at - 1 : at] if not _CJK.match(key[0]) else ""
                    after = folded[end : end + 1] if not _CJK.match(key[-1]) else ""
                    if not _WORD.match(before) and not _WORD.match(after):
                        found.append((at, end, hit))
                    at = folded.find(key, at + 1)
        return self._longest_first(text, origin, found)

    def alias_keys(self, kind: Kind) -> list[str]:
        """Every alias `resolve` accepts for `kind`, as alias keys (folded words joined by one space)."""
        return list(self._index.exact[kind])

    def suggest(self, kind: Kind, text: str, n: int = 3) -> list[str]:
        """Up to n known values whose aliases are close to `text` (for "did you mean")."""
        table = self._index.exact[kind]
        close = difflib.get_close_matches(alias_key(text), list(table), n=n * 4, cutoff=0.6)
        return list(dict.fromkeys(table[k] for k in close))[:n]

    @staticmethod
    def _longest_first(text: str, origin: list[int], found: list[tuple[int, int, _Hit]]) -> list[Mention]:
        taken: list[tuple[int, int, _Hit]] = []
        for start, end, hit in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, hit))
        mentions = []
        for start, end, (kind, value) in sorted(taken):
            if kind is not None:
                a, b = origin[start], origin[end - 1] + 1
                mentions.append(Mention(kind=kind, surface=text[a:b], value=value, start=a, end=b))
        return mentions

    @cached_property
    def _index(self) -> _Index:
        index = _Index()
        self._add_countries(index)
        self._add_segments(index)
        self._add_categories(index)
        return index

    def _add_countries(self, index: _Index) -> None:
        for phrase in _NOT_A_COUNTRY:
            index.add(None, phrase, "")
        cldr = _cldr_names()
        scanned = {alias_key(n.text): code for code, names in cldr.items() for n in names if n.scan}
        by_code: dict[str, str] = {}
        quiet = _COUNTRY_NOT_IN_SENTENCES
        for value in self.vocabulary.countries:
            index.add("country", value, value, scan=alias_key(value) not in quiet)
            code = _country_code(value, scanned)
            if code:
                by_code.setdefault(code, value)
        for code, value in by_code.items():
            for surface in _COLLOQUIAL.get(code, ()):
                index.add("country", surface, value)
            for name in cldr.get(code, ()):
                index.add("country", name.text, value, scan=name.scan and alias_key(name.text) not in quiet)
                if name.scan and alias_key(name.text) in quiet and not name.text.isascii():
                    index.add("country", name.text, value, cased=True)  # 'Suède' with its accent is no suede
            for surface in _pycountry_names(code):
                index.add("country", surface, value)
            index.add("country", code, value, scan=False)  # 'DE' as an argument; in a sentence it is a word
        self._add_demonyms(index, by_code, scanned)

    @staticmethod
    def _add_demonyms(index: _Index, by_code: dict[str, str], scanned: dict[str, str]) -> None:
        """After every country's names, so that a word that is also a name ('Polen', 'Suiza') stays a name."""
        table = demonym_table()
        for phrase in table.get("not_a_country", []):
            index.add(None, str(phrase), "")
        for country, entry in table["countries"].items():
            value = by_code.get(_country_code(str(country), scanned) or "")
            if value is None:
                continue
            for group in (*_DEMONYM_LANGUAGES, "cased", "exact"):
                for surface in entry.get(group, []):
                    for form in demonym_forms(str(surface)):
                        key = alias_key(form)
                        named = index.exact["country"].get(key)
                        if named not in (None, value) or key in index.words or key in index.cased:
                            continue  # another country's name, or this one's name in sentences already
                        index.add("country", form, value, scan=group != "exact", cased=group == "cased")
                        if group != "exact":
                            index.demonyms.add(key)

    def _add_segments(self, index: _Index) -> None:
        for value in self.vocabulary.segments:
            # Bare names that are everyday words ('new', 'lost', 'loyal') are arguments; sentences need a phrase.
            index.add("segment", value, value, scan=False)
            index.add("segment", value.replace("_", " "), value, scan=False)
            for phrase in _SEGMENT_PHRASES.get(value, ()):
                index.add("segment", phrase, value)
                if phrase.endswith(" customers"):  # "loyal shoppers", "lost buyers", "champion clients"
                    for noun in _CUSTOMER_NOUNS:
                        index.add("segment", phrase.removesuffix("customers") + noun, value)

    def _add_categories(self, index: _Index) -> None:
        table = category_table()
        known = {alias_key(c): c for c in self.vocabulary.categories}
        quiet = {alias_key(c) for c in table.get("not_in_sentences", [])}
        for key, value in known.items():
            index.add("category", value, value, scan=key not in quiet)
            if "&" in value:
                index.add("category", value.replace("&", "and"), value, scan=key not in quiet)
        for entry in table["entries"]:
            preferred = next((known[k] for k in map(alias_key, entry["values"]) if k in known), None)
            if preferred is None:
                continue
            for language in _CATEGORY_LANGUAGES:
                for surface in entry.get(language, []):
                    index.add("category", str(surface), preferred)
            for surface in entry.get("exact", []):
                index.add("category", str(surface), preferred, scan=False)


@lru_cache(maxsize=16)
def _cached_resolver(vocabulary: Vocabulary) -> EntityResolver:
    return EntityResolver(vocabulary)
