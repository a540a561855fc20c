"""PII masking: emails, phone numbers, card numbers, IBANs, postal addresses and person names never reach a
prompt, a log, a checkpoint or a channel.

Names are caught where text introduces them (honorifics, "my name is", "signed", "Regards, John Smith"): a
regex cannot know every name, so customer data is keyed by ids everywhere and the warehouse holds no names.
Dates, times, prices and order ids are left alone: a timestamp is not a phone number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A run of digits with the separators people write phone numbers with; what it is gets decided in _phone_like.
PHONE = re.compile(r"(?<![\w.,/:])(?:\+|00)?\(?\d[\d\s().-]{5,}\d(?![\w/:]|[.,]\d)")
CARD = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.]|,\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_PHONE_CUE = re.compile(
    r"(?:\b(?:phone|tel|telephone|mobile|cell|call|text|whatsapp|sms|fax|ring|m)\b\.?|☎|📞)[\s:.#-]*(?:(?:me|us|on|at)\s+)*$",
    re.I,
)
# Spans that are numbers of another kind, hidden from the phone and card patterns: ISO dates and timestamps,
# day/month/year dates, clock times, money, and numbers with thousands separators.
_NOT_A_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b"
    r"|(?:[£$€¥]|\b(?:USD|EUR|GBP))\s?\d[\d,]*(?:\.\d+)?|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b"
)
_UK_POSTCODE = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b"
_STREET_WORDS = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Crescent|Terrace|Boulevard|Blvd|"
    r"Gardens|Square|Sq|Grove|Row|Mews|Parade|Hill|Walk"
)
_CAP = r"[A-ZÄÖÜÉÈ][\w'’-]+"
_TOWN = r"[A-ZÄÖÜÉÈ][a-zäöüßéèçñ'’-]+"  # a place name: no digits, so a postcode after it is matched as one
_STREETS = (
    # 221B Baker Street; not "2 Day Road trip": a street name ends the phrase or is followed by the rest of an address
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:{_CAP}\s+){{1,3}}(?:{_STREET_WORDS})\b(?=\s*(?:[,.;\n)]|$)|\s+[A-Z0-9])",
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b",  # Hauptstraße 5
    rf"\b\d{{1,4}},?\s+(?:rue|avenue|boulevard|bd|place|chemin|all[ée]e|quai)\s+(?:(?:de|du|des|la|le|d'|l')\s*)*{_CAP}"
    rf"(?:\s+{_CAP})*",  # 10 rue de Rivoli
    rf"\b(?:Calle|Avenida|Paseo|Plaza|Rua|Travessa|Via|Viale)\s+(?:(?:de|del|la|da|do|dos)\s+)*{_CAP}(?:\s+{_CAP})*,?"
    r"\s+\d{1,4}\b",  # Calle Mayor 5
)
# After a street: up to four more parts (town, county, a postcode, a US state and ZIP, a German PLZ and town).
_ADDRESS_TAIL = (
    rf"(?:,?\s+(?:{_UK_POSTCODE}|[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?|\d{{5}}(?:\s+{_TOWN})?"
    rf"|{_TOWN}(?:\s+{_TOWN}){{0,2}})){{0,4}}"
)
ADDRESS = re.compile(rf"(?:{'|'.join(_STREETS)}){_ADDRESS_TAIL}")
POSTCODE = re.compile(_UK_POSTCODE)
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
NAME_CUES = re.compile(
    r"\b(?P<cue>(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+|(?:[Mm]y name is|[Ii] am|I'm|[Ss]igned|[Cc]ustomer(?: named)?|"
    r"[Cc]ontact|[Dd]ear)\s+)(?P<name>" + _NAME + r"(?:\s+" + _NAME + r")?)"
)
# A letter's closing and the name under it, at the end of a line: "Regards, John Smith", "Thanks,\nAnna".
SIGN_OFF = re.compile(
    r"\b(?P<cue>(?:(?:[Kk]ind|[Bb]est|[Ww]arm(?:est)?|[Mm]any)\s+)?(?:[Rr]egards|[Ww]ishes|[Tt]hanks|[Cc]heers|"
    r"[Ss]incerely|[Yy]ours(?:\s+(?:truly|sincerely|faithfully))?|[Bb]est)\s*[,\n-]+[ \t]*\n?[ \t]*)"
    r"(?P<name>" + _NAME + r"(?:[ \t]+(?:[A-Z]\.?|" + _NAME + r")){0,2})(?=[ \t]*[.!]?[ \t]*(?:\n|$|\[|<|\())"
)
_NOT_NAMES = {"Champions", "Loyal", "New", "Germany", "France", "United", "The", "Our", "At", "Lost", "Hibernating"}
_HIDDEN = "\ue000"  # a private-use mark standing in for a protected span while numbers are matched


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _iban_valid(text: str) -> bool:
    """ISO 13616 check digits (mod 97), so a product code of the same shape is left alone."""
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _phone_like(match: re.Match[str], before: str) -> bool:
    """Whether a run of digits is a phone number: international (+44..., 0044...), national with a trunk 0
    (07700 900123, 020 7946 0958), North American (415-555-2671, (415) 555 2671), or any 7+ digits after a word
    such as "call" or "tel". Plain ids, lists of ids, dates and amounts are not."""
    text = match.group(0).strip()
    digits = _digits(text)
    if _PHONE_CUE.search(before[-30:]) and 7 <= len(digits) <= 15:
        return True
    if text.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    if text.startswith(("0", "(0")):
        return 9 <= len(digits) <= 12
    return bool(re.fullmatch(r"(?:1[-.\s])?\(?\d{3}\)?[-.\s]\s?\d{3}[-.\s]\d{4}", text))


def _masked_numbers(text: str) -> str:
    """Cards and phone numbers masked, with dates, times and amounts hidden from both patterns meanwhile."""
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return _HIDDEN

    hidden = _NOT_A_PHONE.sub(hide, text)
    hidden = CARD.sub(lambda m: "[card]" if _luhn(_digits(m.group(0))) else m.group(0), hidden)
    hidden = PHONE.sub(lambda m: "[phone]" if _phone_like(m, hidden[: m.start()]) else m.group(0), hidden)
    restore = iter(kept)
    return re.sub(_HIDDEN, lambda _m: next(restore), hidden)


def mask_pii(text: str) -> str:
    """Replace PII with typed placeholders: [email], [iban], [address], [postcode], [card], [phone], [name]."""
    if not text or _HIDDEN in text:
        text = (text or "").replace(_HIDDEN, "")
    text = EMAIL.sub("[email]", text)
    text = IBAN.sub(lambda m: "[iban]" if _iban_valid(m.group(0)) else m.group(0), text)
    text = ADDRESS.sub("[address]", text)
    text = POSTCODE.sub("[postcode]", text)
    text = _masked_numbers(text)

    def name(m: re.Match[str]) -> str:
        first = m.group("name").split()[0]
        return m.group(0) if first in _NOT_NAMES else m.group("cue") + "[name]"

    text = SIGN_OFF.sub(name, text)
    return NAME_CUES.sub(name, text)


def contains_pii(text: str) -> bool:
    return mask_pii(text) != text


def mask_data(value: Any, mask: Callable[[str], str] = mask_pii) -> Any:
    """Every string inside JSON-like data (dicts, lists, tuples) masked; keys, numbers and the shape kept."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_data(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_data(v, mask) for v in value)
    return value


PRIVATE_FILE_MODE = 0o600


def make_private(path: Path) -> None:
    """Owner read/write only: conversations and prompt logs hold what marketers asked about customers."""
    if path.exists():
        os.chmod(path, PRIVATE_FILE_MODE)


def open_private(path: Path, mode: str = "a") -> IO[str]:
    """Open a text file created 0600 (an existing one is narrowed to 0600 first, whatever the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    make_private(path)
    return os.fdopen(os.open(path, flags, PRIVATE_FILE_MODE), mode, encoding="utf-8")


# ---------------------------------------------------------------- requests for personal data

# Contact and identity data, named so plainly that no person needs naming next to it ("export the email
# addresses", "I need contact info").
_PERSONAL_DATA = re.compile(
    r"\b(?:e-?mail[ -]?address(?:es)?|(?:tele)?phone (?:numbers?|nos?)|(?:mobile|cell(?:phone)?) (?:numbers?|nos?)|"
    r"(?:home|street|postal|mailing|delivery|billing|physical|residential) address(?:es)?|"
    r"contact (?:details|info(?:rmation)?|data|numbers?)|personal (?:data|details|info(?:rmation)?|profiles?)|"
    r"pii|dates? of birth|birth ?dates?|birthdays|full names?|real names?|first names?|last names?|surnames?|"
    r"first and last names?|names and (?:e-?mail )?address(?:es)?|names and (?:e-?mails|phones?|numbers)|"
    r"credit card|card numbers?|bank details|iban)\b",
    re.I,
)
# Words that are personal data when they belong to people ("their emails", "names of our loyalists",
# "customer 12347's address"), and everyday words otherwise ("email campaign", "product names").
_HARD_WORD = r"(?:e-?mails?|names?|address(?:es)?|phones?|(?:tele)?phone|identit(?:y|ies))"
# ... and words that are personal only for one person ("customer 12345's details"): "details on our champions"
# asks about a segment.
_SOFT_WORD = r"(?:details|profiles?|info(?:rmation)?|records?)"
_PERSON = (
    r"(?:customers?|clients?|buyers?|shoppers?|reviewers?|people|persons?|users?|members|subscribers|recipients|"
    r"purchasers|consumers|champions|loyalists?|everyone|everybody|each (?:one|customer)|every customer|them|those|"
    r"these|individuals|account holders?|spenders|churners|lapsers|followers|"
    r"(?:customer|client|buyer|shopper|user|member) #?\d+)"
)
_ONE_PERSON = r"(?:(?:customer|client|buyer|shopper|user|member) #?\d+)"
_QUALIFIER = r"(?:full |home |contact |personal |real |complete |whole |account )?"
_OWNED = re.compile(
    rf"\b(?:their|his|her|(?:customer|client|buyer|shopper|user|member)(?:'?s|s')?(?: #?\d+(?:'s)?)?|"
    rf"(?:customers|clients|buyers|shoppers|reviewers|people|users|members)'s?|\d+'s)\s+{_QUALIFIER}{_HARD_WORD}\b"
    rf"|\b{_QUALIFIER}{_HARD_WORD}\s+(?:of|for|on|about|from)\s+"
    rf"(?:(?:all|each|every|our|my|the|these|those|them|top|best|\d+|[a-z-]+)\s+){{0,4}}{_PERSON}\b"
    rf"|\b(?:their|his|her|{_ONE_PERSON}'s|(?:customer|client)'s)\s+{_QUALIFIER}{_SOFT_WORD}\b"
    rf"|\b{_QUALIFIER}{_SOFT_WORD}\s+(?:of|for|on|about)\s+(?:the )?{_ONE_PERSON}(?!'s)\b",
    re.I,
)
# A goods, segment or shop noun after the personal word makes it everyday ("names of our best-selling products").
_NOT_PERSONAL = re.compile(
    r"\b(?:names?|details|profiles?|info(?:rmation)?|records?)\s+(?:of|for|on|about)\s+(?:(?:all|the|our|my|"
    r"these|those|top|best|\d+|[a-z-]+)\s+){0,3}(?:products?|items?|categor(?:y|ies)|segments?|clusters?|campaigns?|"
    r"countries|stores?|shops?|brands?|groups?|departments?|classes|collections?|sales|orders?|reviews?|"
    r"revenue|churn|risk)\b"
    r"|\b(?:product|item|segment|category|campaign|brand|file|country|group|cluster|column|field|store) names?\b"
    r"|\b(?:customers?|client|buyer|shopper|user)(?:'?s)? (?:segment|churn|orders?|spend|revenue|value|risk)"
    r"|\b(?:typical|average|ideal|median|model) (?:customer|client|buyer|shopper)|\bpersonas?\b",
    re.I,
)
_ANALYTIC = re.compile(
    r"\b(?:segments?|spend|spent|spending|orders?|purchases|churn|risk|value|clv|recency|frequency|recommend\w*|"
    r"basket|revenue|bought|typical|average|ideal|median)\b",
    re.I,
)
# Plain plural "names"/"addresses" in a request about people ("who are they? names and addresses", "I want names").
_BARE = re.compile(r"\b(?:names|addresses)\b", re.I)
_PEOPLE = re.compile(rf"\b(?:{_PERSON}|who (?:are|is) (?:they|our|these|those)|mailing list|contact list|they)\b", re.I)
# "customer details for Germany: how many, revenue..." asks for a summary, not for people.
_AGGREGATE = re.compile(
    r"\b(?:how many|number of|count|counts|total|average|avg|share of|percent(?:age)?|%|breakdown|overview|summary|"
    r"summari[sz]e|revenue|per country|by country|distribution|proportion|rate)\b",
    re.I,
)
# Who the customers are, as people: "who is customer 12347?", "the full profile of customer 12345".
_WHO = re.compile(
    r"\bwho (?:is|are|exactly is|exactly are) (?:customer|client|buyer|shopper|user) #?\d+"
    r"|\b(?:full|complete|whole|personal) (?:customer )?(?:profiles?|details|records?)\b"
    r"|\b(?:customer|client|shopper|buyer) (?:details|info(?:rmation)?|records|profiles|contacts|identit(?:y|ies))\b"
    r"|\b(?:dump|export|download|leak)\b[^.?!]{0,40}\b(?:customer|client)s? (?:data|database|list|table|records?)\b",
    re.I,
)
# "write an email", "email campaign", "subject line" are copy requests, not PII requests.
_COPY_CONTEXT = re.compile(r"\b(write|draft|compose|campaign|copy|subject|newsletter|template)\b", re.I)
_MERGE_WORD = re.compile(r"^(?:e-?mails?|(?:full |real |first |last )?names?|surnames?|first and last names?)\b", re.I)


def _asks_in_english(question: str) -> bool:
    """English: contact or identity data named plainly, or a personal word that belongs to people."""
    copy = bool(_COPY_CONTEXT.search(question))
    named = [m.group(0) for m in _PERSONAL_DATA.finditer(question)]
    owned = [_word(m.group(0)) for m in _OWNED.finditer(question) if not _NOT_PERSONAL.search(m.group(0))]
    if _ANALYTIC.search(question):  # "the profile of customer 12345: segment and spend" asks about analytics
        owned = [w for w in owned if not re.fullmatch(_SOFT_WORD, w, re.I)]
    named += owned
    if named:
        # "write to champions by their first names", "an email for their emails": copy, not a data request
        return not (copy and all(_MERGE_WORD.search(w) and "address" not in w.lower() for w in named))
    if _NOT_PERSONAL.search(question) or _AGGREGATE.search(question):
        return False
    if _BARE.search(question) and _PEOPLE.search(question) and not copy:
        return True
    return bool(_WHO.search(question))


def _word(owned: str) -> str:
    """The personal word of an _OWNED match ("their emails" -> "emails", "names of our loyalists" -> "names")."""
    for w in re.findall(r"[\w'-]+", owned):
        if re.fullmatch(_HARD_WORD, w, re.I) or re.fullmatch(_SOFT_WORD, w, re.I):
            return w
    return owned


# The same request in the other languages the assistant answers in: contact data nouns and an asking verb.
_PII_OTHER = re.compile(
    r"((?:correos|e-?mails) d(?:e|es|os|as|el)\s+(?:[\w-]+\s+){0,2}(?:clientes?|clients?|compradores|acheteurs|"
    r"consumidores|usu[aá]rios)|correos? electr[oó]nicos|direcci[oó]n(?:es)? de correo|tel[eé]fonos|"
    r"n[uú]meros de tel[eé]fono|datos (?:de contacto|personales)|nombres y apellidos|nombres completos|"
    r"nombres y direcciones|direcciones (?:postales|de casa|de env[ií]o)|domicilios|perfil completo del? cliente|"
    r"informaci[oó]n (?:personal|de contacto)|sus (?:correos|tel[eé]fonos|direcciones|nombres|datos personales)|"
    r"e-?mail-?adressen|mailadressen|telefonnummern|handynummern|anschriften|kontaktdaten|pers[oö]nliche daten|"
    r"pers[oö]nliche informationen|namen und adressen|vollst[aä]ndigen? namen|privatadressen|wohnadressen|"
    r"postadressen|adressen der|vollst[aä]ndiges? kundenprofil|ihre (?:e-?mail|telefon|adressen|namen)|"
    r"adresses (?:e-?mail|mail|postales)|courriels|num[eé]ros de t[eé]l[eé]phone|coordonn[eé]es|"
    r"donn[eé]es personnelles|informations personnelles|noms et adresses|noms complets|adresses des|"
    r"profil complet du client|leurs (?:e-?mails|adresses|num[eé]ros|noms|t[eé]l[eé]phones)|"
    r"endere[cç]os(?: de e-?mail)?|telefones|n[uú]meros de telefone|dados pessoais|contatos|"
    r"informa[cç][oõ]es (?:pessoais|de contato)|nomes e endere[cç]os|nomes completos|perfil completo do cliente|"
    r"seus (?:e-?mails|telefones|nomes)|"
    r"邮箱|电子邮件地址|邮件地址|电话号码|手机号|联系方式|个人信息|家庭住址|住址|收货地址|客户地址|客户的地址|姓名|全名|"
    r"个人资料|详细资料|客户的名字|顾客的名字|客户名字|他们的(?:邮箱|电话|手机|名字|地址))",
    re.I,
)
_ASKING_OTHER = re.compile(
    r"(exporta|dame|necesito|lista|muestra|env[ií]a|p[aá]same|descarga|cu[aá]les son|cu[aá]l es|quiero|"
    r"exportier|gib|brauche|liste|zeig|schick|wie lauten|wie lautet|was sind|welche|ich will|ich m[oö]chte|"
    r"exporte|donne|il me faut|montre|envoie|t[eé]l[eé]charge|besoin|quels sont|quelles sont|quel est|quelle est|"
    r"je veux|me d[eê]|preciso|mostre|envie|baixe|quais s[aã]o|qual [eé]|quero|passa|"
    r"por favor|bitte|s'il (?:te|vous) pla[iî]t|"
    r"导出|给我|发我|发给我|列出|需要|下载|提供|是什么|有哪些|告诉我|查一下|查询|请)",
    re.I,
)
# Writing to customers, in the other languages: a mail merge of their names is still copy, not a data request.
_COPY_OTHER = re.compile(
    r"\b(?:escribe|escribir|escriba|redacta|redactar|schreib|schreibe|schreiben|verfasse|entwirf|[eé]cris|"
    r"[eé]crire|[eé]crivez|r[eé]dige|r[eé]diger|escreva|escrever|redija|redigir)\b|写一|写封|写个|写邮件|写短信|写文案|撰写|起草",
    re.I,
)


# One person's contact or identity data in the other languages, singular or plural, tied to a customer noun in
# the same language ("la dirección del cliente 12347", "die Telefonnummer von Kunde 14911", "客户12347的地址"), or
# asking a customer's name ("¿cómo se llama el cliente…?"). Asking for it is a data request with or without a verb.
_CUSTOMER_ES_PT = r"(?:clientes?|compradores?|consumidores?|usu[aá]rios?)"
_OF_ONE_OTHER = re.compile(
    r"\b(?:direcci[oó]n(?:es)?|domicilios?|correos?(?: electr[oó]nicos?)?|e-?mails?|tel[eé]fonos?|m[oó]vil(?:es)?|"
    r"celular(?:es)?|nombres?(?: completos?)?|apellidos?|datos (?:personales|de contacto)|"
    r"endere[cç]os?|telefones?|nomes?(?: completos?)?|dados (?:pessoais|de contato)|contatos?)\s+"
    rf"d(?:e|el|os|as|o|a)\s+(?:(?:la|el|los|las|nuestros?|nuestras?|nossos?|nossas?|este|esse|id)\s+)?"
    rf"{_CUSTOMER_ES_PT}\b"
    r"|\b(?:adressen?|anschriften?|e-?mail(?:-?adressen?)?|mailadressen?|telefonnummern?|handynummern?|"
    r"namen?|vornamen?|nachnamen?|pers[oö]nliche[nr]? daten|kontaktdaten)\s+(?:von|vom|des|der|zu)\s+"
    r"(?:(?:dem|der|den|unserem|unserer|unseren|kunden-?id)\s+)?(?:kund(?:e|en|in|innen)|k[aä]ufer(?:in)?)\b"
    r"|\b(?:adresses?|e-?mails?|courriels?|num[eé]ros? de t[eé]l[eé]phone|t[eé]l[eé]phones?|portables?|noms?|"
    r"pr[eé]noms?|coordonn[eé]es|donn[eé]es personnelles)\s+(?:du|de la|des|de l'|de|d')\s*"
    r"(?:(?:notre|nos|ce|cette)\s+)?(?:client(?:e|s|es)?|acheteurs?|acheteuses?)\b"
    r"|\b(?:c[oó]mo se (?:llama|chama)n?|wie hei(?:ß|ss)(?:t|en)|comment s'appellen?t?|qual (?:[eé] )?o nome d[oa]s?)"
    r"\s+(?:(?:el|la|los|las|o|a|os|as|der|die|le|la|les|nosso|nossa)\s+)?"
    r"(?:clientes?|client(?:e|s|es)?|kund(?:e|en|in|innen))\b"
    r"|(?:客户|顾客|用户|买家)\s*(?:编号|ID|id)?\s*\d*\s*的?\s*(?:地址|邮箱|电子邮件|电话|手机|名字|姓名|联系方式|个人资料|个人信息|资料)"
    r"|(?:客户|顾客|用户|买家)\s*\d+\s*叫什么",
    re.I,
)


def asks_for_pii(question: str) -> bool:
    """A request for customers' personal data (contact details, names, addresses, a person's full profile),
    in en/es/de/fr/pt/zh; not a request to write to them, nor a question about their orders, segment or risk."""
    if _COPY_OTHER.search(question):
        return _asks_in_english(question)
    if _PII_OTHER.search(question) and _ASKING_OTHER.search(question):
        return True
    if _OF_ONE_OTHER.search(question):
        return True
    return _asks_in_english(question)


def redact_url(url: str) -> str:
    """A connection URL fit for a message or log: any user:password@ part removed."""
    return re.sub(r"://[^@/]*@", "://", url)
