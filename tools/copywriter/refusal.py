"""A draft that talks to the marketer instead of the customer: an apology for having nothing to sell, a refusal,
an assistant speaking as itself. The model writes one when its brief seems to lack something ("Sorry, we have no
products for you today", "Desculpe, mas não temos produtos …", "estou aqui para ajudar"); it is no copy,
whatever its length or offer.

Read as an apology or regret followed closely by a lack or an inability ("sorry … we don't have", "leider …
keine"), an assistant's self-reference ("as an AI") or its offer of help in the first person singular (a brand
says "we are here to help"), in the languages copy is written in. Accent-folded, lower case.
"""

from __future__ import annotations

import re
import unicodedata

from tools.copywriter.text import fold

_NEAR = r".{0,60}?"  # the lack follows the apology in the same breath
_Q = "['’]"  # straight or typographic apostrophe
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.S)
    for p in (
        # English
        rf"\b(?:sorry|apologi[sz]e|unfortunately|regret(?:tably)?|i{_Q}m afraid)\b{_NEAR}"
        rf"\b(?:no (?:products?|items?|offers?|deals?|matches|results|data|information)\b|(?:don|doesn){_Q}t have"
        r"|(?:do|does) not have|cannot|can't|unable to|not able to|nothing (?:to|for)\b)",
        r"\bas an (?:ai|assistant|language model)\b",
        rf"\bi (?:cannot|can{_Q}t|am unable to|{_Q}m unable to) (?:write|create|help|provide|generate)\b",
        # An assistant offering help in the first person singular (a brand speaks as "we": "we're here to help")
        rf"\b(?:i{_Q}m|i am) (?:here|happy|glad) to help\b|\bhow (?:can|may) i (?:help|assist)\b",
        r"\b(?:estoy aqui para ayudar\w*|en que (?:te |le )?puedo ayudar|estoy a (?:tu|su) disposicion)\b",
        r"\b(?:ich bin (?:hier|da),? um (?:\w+ )?zu helfen|wie kann ich (?:ihnen|dir|euch) helfen)\b",
        r"\b(?:je suis (?:la|ici) pour (?:vous|t) ?aider|comment puis-je (?:vous|t) ?aider"
        r"|je reste a (?:votre|ta) dispo\w*)",
        r"\b(?:estou aqui para (?:\w+ )?ajudar|como (?:posso|poderia) (?:te |lhe )?ajudar"
        r"|estou a (?:sua|tua) disposicao)\b",
        r"(?:我可以帮您|我很乐意帮助|请问有什么可以帮)",
        # Spanish
        rf"\b(?:lo siento|lo sentimos|lamentablemente|desafortunadamente|disculpa\w*|lamentamos)\b{_NEAR}"
        r"\b(?:no (?:tenemos|hay|contamos|disponemos|podemos|puedo)|ningun\w* (?:producto|articulo|oferta))",
        # German
        rf"\b(?:leider|entschuldig\w*|tut (?:uns|mir) leid|bedauer\w*)\b{_NEAR}"
        r"\b(?:(?:haben|gibt es|fuhren|fuehren) (?:\w+ ){0,3}kein|keine (?:produkte|artikel|angebote)"
        r"|(?:konnen|koennen|kann) (?:\w+ ){0,3}nicht)",
        # French
        rf"\b(?:desole\w*|malheureusement|excuse\w*|regrett\w*)\b{_NEAR}"
        rf"\b(?:n{_Q}avons (?:pas|aucun)|n{_Q}y a (?:pas|aucun)|ne (?:pouvons|peux|pouvez) pas|aucun produit)",
        # Portuguese
        rf"\b(?:desculp\w*|infelizmente|lamentamos|lamento)\b{_NEAR}"
        r"\b(?:nao (?:temos|ha|existem|podemos|posso|dispomos)|nenhum\w* (?:produto|artigo|oferta))",
        # Chinese
        r"(?:抱歉|对不起|很遗憾|不好意思|遗憾的是).{0,30}?(?:没有|无法|不能|暂无)",
        r"作为(?:一个)?(?:ai|人工智能|语言模型)",
    )
)


def talks_to_the_marketer(text: str) -> str | None:
    """The words that show `text` is a reply to the marketer (an apology for a lack, a refusal), or None."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", fold(text).lower()) if not unicodedata.combining(c))
    for pattern in _PATTERNS:
        found = pattern.search(folded)
        if found:
            return found.group(0)
    return None
