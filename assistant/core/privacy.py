"""PII masking: emails, phone numbers, card numbers and person names never reach a prompt or Slack.

Names are caught where text introduces them (honorifics, "my name is", "signed", "customer X Y"): a regex
cannot know every name, so customer data is keyed by ids everywhere and the warehouse holds no names.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# International or local phone numbers: 9+ digits with optional +, spaces, dots, dashes, parentheses.
PHONE = re.compile(r"(?<![\w.])(?:\+|00)?\d[\d\s().-]{7,}\d(?!\w|\.\d)")
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
NAME_CUES = re.compile(
    r"\b(?P<cue>(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+|(?:[Mm]y name is|[Ii] am|I'm|[Ss]igned|[Cc]ustomer(?: named)?|"
    r"[Cc]ontact|[Dd]ear)\s+)(?P<name>" + _NAME + r"(?:\s+" + _NAME + r")?)"
)
_NOT_NAMES = {"Champions", "Loyal", "New", "Germany", "France", "United", "The", "Our", "At", "Lost", "Hibernating"}


def _phone_like(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    # Dates (2011-12-09), plain ids and years are not phone numbers.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", match.group(0).strip()):
        return False
    return 9 <= len(digits) <= 15 and not re.fullmatch(r"\d+(\.\d+)?", match.group(0).strip())


def mask_pii(text: str) -> str:
    """Replace PII with typed placeholders: [email], [phone], [card], [name]."""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(lambda m: "[card]" if len(re.sub(r"\D", "", m.group(0))) >= 13 else m.group(0), text)
    text = PHONE.sub(lambda m: "[phone]" if _phone_like(m) else m.group(0), text)

    def name(m: re.Match[str]) -> str:
        first = m.group("name").split()[0]
        return m.group(0) if first in _NOT_NAMES else m.group("cue") + "[name]"

    return NAME_CUES.sub(name, text)


def contains_pii(text: str) -> bool:
    return mask_pii(text) != text


PII_REQUEST = re.compile(
    r"\b(e-?mail(?: address)?s?|phone(?: numbers?)?|telephone|mobile numbers?|home address(?:es)?|"
    r"postal address(?:es)?|(?:full |real )?names?|contact details|personal (?:data|details|information))\b",
    re.I,
)
_CUSTOMER_WORDS = re.compile(
    r"\b(customers?|clients?|buyers?|shoppers?|reviewers?|people|users?|members|subscribers|recipients|champions|"
    r"loyalists?)\b",
    re.I,
)
_ASKING = re.compile(r"\b(give|list|show|export|send|get|what (?:is|are)|find|pull|download|share)\b", re.I)
# "write an email", "email campaign", "subject line" are copy requests, not PII requests.
_COPY_CONTEXT = re.compile(r"\b(write|draft|compose|campaign|copy|subject|newsletter|template)\b", re.I)


# The same request in the other languages the assistant answers in: contact data nouns and an asking verb.
_PII_OTHER = re.compile(
    r"(correos? electr[oó]nicos|direcci[oó]n(?:es)? de correo|tel[eé]fonos|n[uú]meros de tel[eé]fono|"
    r"datos (?:de contacto|personales)|nombres y apellidos|"
    r"e-?mail-?adressen|mailadressen|telefonnummern|handynummern|anschriften|kontaktdaten|pers[oö]nliche daten|"
    r"adresses (?:e-?mail|mail|postales)|courriels|num[eé]ros de t[eé]l[eé]phone|coordonn[eé]es|"
    r"donn[eé]es personnelles|"
    r"e-?mails d[oae]s?|endere[cç]os(?: de e-?mail)?|telefones|n[uú]meros de telefone|dados pessoais|contatos|"
    r"邮箱|电子邮件地址|邮件地址|电话号码|手机号|联系方式|个人信息|家庭住址|姓名)",
    re.I,
)
_ASKING_OTHER = re.compile(
    r"(exporta|dame|necesito|lista|muestra|env[ií]a|p[aá]same|descarga|exportier|gib|brauche|liste|zeig|schick|"
    r"exporte|donne|il me faut|montre|envoie|t[eé]l[eé]charge|besoin|me d[eê]|preciso|mostre|envie|baixe|"
    r"导出|给我|发我|列出|需要|下载|提供)",
    re.I,
)


def asks_for_pii(question: str) -> bool:
    """A request for customers' personal contact data (not a request to write an email)."""
    if _PII_OTHER.search(question) and _ASKING_OTHER.search(question):
        return True
    if not (PII_REQUEST.search(question) and _CUSTOMER_WORDS.search(question) and _ASKING.search(question)):
        return False
    hit = PII_REQUEST.search(question)
    assert hit is not None
    if hit.group(1).lower().startswith(("e-mail", "email")) and _COPY_CONTEXT.search(question):
        return bool(re.search(r"\bemail address", question, re.I))
    return True
