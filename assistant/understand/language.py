"""Which of the supported languages a marketer's question is in, from its script, words and letters.

Short questions ('Wer sind unsere besten Kunden?') carry too few letters for character n-gram models, but
nearly every one holds a few function words; those, plus letters only some languages use, decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

LANGUAGES = ("en", "zh", "es", "de", "fr", "pt")
_NAMES = {"en": "English", "zh": "Chinese", "es": "Spanish", "de": "German", "fr": "French", "pt": "Portuguese"}

# Function words and marketer words, accents removed (people often type without them).
_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": """the and of to in is are was were how many much what which who whom whose why when where our we us
            you do does did have has had those these this that there with for from by on at show me give list
            top best customers sales sold last month year per between than more most please can could would
            should will any all each it its be been get find tell about across a an i customer orders order
            product products reviews review say think about feedback write email show only negative ones
            positive new january february march april may june july august september october november december""",
        "es": """el la los las del y que cuantos cuantas cuanto cuanta tenemos clientes son es esta estan hay de en
            me por para con nuestros nuestras nuestro nuestra mejores cual cuales quien quienes muestrame dame
            ventas vendimos una unos unas se lo al mas mes ano entre como donde cuando tambien pero muy sobre
            opiniones opinion resenas escribe escribeme redacta anuncio corto articulos articulo resumen tasa
            sin cliente pedidos pedido producto productos que como solo muestra cuales hazme haz quiero necesito
            sus su compras compra gasto gastaron ultimos ultimo proximo semana dias desde hasta segun opinan
            dicen no nuevos nuevo nueva nuevas enero febrero marzo abril mayo junio julio agosto septiembre
            octubre noviembre diciembre""",
        "de": """der die das und es in ist sind wie viele viel wir haben hat unsere unser unseren unserer kunden wer
            was welche welcher welches den dem des ein eine einen mit fur von zu im auf nicht gibt zeig zeige
            mir bitte letzten monat jahr umsatz besten beste auch aus bei nach oder uber sich wo wann kunde
            kundin kundinnen prognose zeitraum monate monaten tage tagen entwirf schreib schreibe thema artikel
            bewertungen bewertung bestellungen bestellung produkte produkt nur zeig ihre ihr sie wird werden
            kein keine seit bis alle jeder diese dieser dieses kommen gut schlecht sagen meinung umsatze wieviel
            neue neuen neu neukunden januar februar marz april mai juni juli august september oktober november
            dezember""",
        "fr": """de en la y il elle le les des du et est sont combien clients nous avons nos notre quels quelles quel
            quelle qui pour avec dans par pays une au aux mois annee ventes meilleurs meilleures montre montrez
            moi donne ils elles sur pas plus leur leurs entre comment ou quand aussi mais tres ce cette ces que
            qu pensent pense avis redige ecris ecrivez produits produit commandes commande client clientes
            seulement juste depuis derniers dernier derniere prochain prochaine ont fait faire tous toutes leurs
            sont disent trois quoi vos votre mes mon ma ses son sa tes nouveaux nouveau nouvelle nouvelles
            janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre""",
        "pt": """de a e o por os as do da dos das em no na nos nas que quantos quantas quanto temos clientes sao para
            com nossos nossas nosso nossa melhores quais qual quem mostre mostra vendas vendemos um uma mes ano
            nao ha foram tem entre como onde quando tambem mas muito pelo pela produtos produto devo sugerir ao
            aos num numa relance avaliacoes avaliacao escreva crie mensagem sobre so apenas pedidos pedido
            cliente ultimos ultimo proximo dias desde ate seus suas dizem acham voce quero preciso gastaram
            compraram novos novo nova novas janeiro fevereiro marco abril maio junho julho agosto setembro
            outubro novembro dezembro esta estao geral""",
    }.items()
}
# Letters (and marks) only some of the languages use; each counts like a word.
_LETTERS = {
    "es": "ñ¿¡",
    "de": "äöüß",
    "fr": "èëîïœùûÿ",
    "pt": "ãõ",
}
_SHARED_LETTERS = {
    "ç": ("fr", "pt"),
    "à": ("fr", "pt"),
    "â": ("fr", "pt"),
    "ô": ("fr", "pt"),
    "ê": ("fr", "pt"),
    "á": ("es", "pt"),
    "í": ("es", "pt"),
    "ó": ("es", "pt"),
    "ú": ("es", "pt"),
    "é": ("es", "fr", "pt"),
}
# Word endings and spellings each language alone uses ('-ción', '-ção', '-ung', 'sch'); each counts half a word,
# enough to break a tie between languages that share their short function words.
_ENDINGS: dict[str, re.Pattern[str]] = {
    "es": re.compile(r"ci[oó]n(?:es)?\b|\bll\w+"),
    "pt": re.compile(r"[cç][aã]o\b|[cç][oõ]es\b|\w(?:nh|lh)\w"),
    "de": re.compile(r"\w(?:ung|ungen|keit|heit|schaft|lich|isch)\b|sch|\w{3}(?:prognose|kunden)\b|\bkunden\w{3,}"),
    "fr": re.compile(r"\w(?:eux|eaux|aux|ette|ement)\b|\b[ldjqs]'|\bqu'"),
}
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_TOKEN = re.compile(r"[^\W\d_]+")


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def detect_language(text: str) -> str:
    """One of LANGUAGES: CJK script -> 'zh'; else the best-scoring Latin language; short or undecidable -> 'en'."""
    return _decided_language(text) or "en"


def request_language(text: str, earlier: Sequence[str] = ()) -> str:
    """The language of a marketer's request: detect_language, and when its words decide nothing (a bare phrase,
    "Wiederkaufrate je Segment", "taxa de recompra por segmento"), the one language whose shop terms it uses
    (glossary.yaml); else the language of the conversation's latest request that has one ("Y en Francia?" after
    a Spanish question); else English."""
    decided = _decided_language(text) or _term_language(text)
    if decided:
        return decided
    for request in reversed(earlier):
        decided = _decided_language(request) or _term_language(request)
        if decided:
            return decided
    return "en"


def _term_language(text: str) -> str | None:
    from assistant.understand.glossary import term_languages  # the glossary's tables load on first use

    languages = term_languages(text)
    return next(iter(languages)) if len(languages) == 1 else None


def _decided_language(text: str) -> str | None:
    """detect_language's reading, or None when the text's words decide no language."""
    tokens = _TOKEN.findall(_CJK.sub(" ", text.casefold()))
    cjk = len(_CJK.findall(text))
    if cjk and cjk >= len(tokens):  # a Chinese question may name 'VIP' or a product in Latin letters
        return "zh"
    scores: defaultdict[str, float] = defaultdict(float)
    for token in tokens:
        # A word several languages share ("de", "en", "in") is split between them.
        owners = [lang for lang, words in _WORDS.items() if _plain(token) in words]
        for lang in owners:
            scores[lang] += 1 / len(owners)
    lowered = text.casefold()
    for lang, letters in _LETTERS.items():
        scores[lang] += sum(lowered.count(ch) for ch in letters)
    for ch, langs in _SHARED_LETTERS.items():
        for lang in langs:
            scores[lang] += lowered.count(ch) / len(langs)
    for lang, pattern in _ENDINGS.items():
        scores[lang] += 0.5 * len(pattern.findall(lowered))
    best = max(scores, key=scores.__getitem__, default="en")
    top = scores.get(best, 0.0)
    tied = sum(1 for score in scores.values() if abs(score - top) < 1e-9)  # shares of 1/3 add up unevenly
    return best if top >= 1 and tied == 1 else None


def language_name(code: str) -> str:
    """The English name of a supported language code ('es' -> 'Spanish'), for prompts."""
    try:
        return _NAMES[code]
    except KeyError:
        raise ValueError(f"unsupported language code {code!r}; expected one of {', '.join(LANGUAGES)}") from None


# A language the marketer names for the text to be written in ("in Spanish", "auf Englisch", "用英文写").
# Each name's spellings in the six languages; "in Spanish" also reads as "en español", "em espanhol", ….
_LANGUAGE_WORDS: dict[str, str] = {
    "en": r"english|ingl[eé]s|englisch|anglais|英文|英语",
    "es": r"spanish|espa[ñn]ol|castellano|spanisch|espagnol|espanhol|西班牙语|西班牙文",
    "de": r"german|alem[aã]n|deutsch|allemand|alem[aã]o|德语|德文",
    "fr": r"french|franc[eé]s|franz[oö]sisch|fran[cç]ais|法语|法文",
    "pt": r"portuguese|portugu[eê]s|portugiesisch|portugais|葡萄牙语|葡萄牙文",
    "zh": r"chinese|chino|chinesisch|chinois|chin[eê]s|mandarin|中文|汉语|普通话",
}
_IN = r"(?:in|into|en|em|auf|au|na|no|用|以)"
_TARGET = {
    code: re.compile(rf"(?:\b{_IN}\s+(?:the\s+)?(?:{words})\b|(?:用|以|翻译成|写成|改成)\s*(?:{words}))", re.I)
    for code, words in _LANGUAGE_WORDS.items()
}


def target_language(text: str, default: str) -> str:
    """The code of the language a text is to be written in: the one the marketer names ("write it in Spanish",
    "auf Englisch", "用英文"), else `default` (the request's own language). Two named languages: the default."""
    named = [code for code, pattern in _TARGET.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else default


def language_argument(args: dict[str, Any], question: str, request_language: str) -> tuple[dict[str, Any], str]:
    """A tool's `language` input is code's call, not the model's guess: the language the marketer names, else
    the request's (absent for English, the tools' default). Returns the arguments and a note when code changed it."""
    code = target_language(question, request_language)
    wanted = None if code == "en" else language_name(code)
    given = str(args.get("language") or "").strip().lower()
    if given in ({wanted.lower(), code} if wanted else {"", "english", "en"}):
        return args, ""
    kept = {k: v for k, v in args.items() if k != "language"}
    return kept | ({"language": wanted} if wanted else {}), f"language {wanted or 'English'} (the request's)"
