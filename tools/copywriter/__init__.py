"""Campaign copy drafts (email, SMS, push, ad, social) in the brand voice, checked before anyone sees them.

One module per concern: `tool` (the write_copy tool: input, result, the draft-QA-retry loop), `products`
(catalogue products or a theme), `qa` (the checks on one variant and the safe fixes), `offer` (the marketer's
offer: `parse_offer`, `offer_present`), `terms` (offer terms in any supported language), `deadlines`,
`invented` (what a draft adds that the marketer never typed), `repetition` (filler), `text` (shared helpers).
"""

from __future__ import annotations

from tools.copywriter.invented import Finding, find_invented, invented_terms
from tools.copywriter.offer import Offer, offer_present, parse_offer
from tools.copywriter.products import ProductRef, resolve_products
from tools.copywriter.qa import LIMITS, qa_issues, review
from tools.copywriter.repetition import repetition_problems
from tools.copywriter.terms import OfferKind, OfferTerm
from tools.copywriter.tool import TOOLS, CopyResult, CopyVariant, WriteCopyInput, load_brand_voice, write_copy

__all__ = [
    "LIMITS",
    "TOOLS",
    "CopyResult",
    "CopyVariant",
    "Finding",
    "Offer",
    "OfferKind",
    "OfferTerm",
    "ProductRef",
    "WriteCopyInput",
    "find_invented",
    "invented_terms",
    "load_brand_voice",
    "offer_present",
    "parse_offer",
    "qa_issues",
    "repetition_problems",
    "resolve_products",
    "review",
    "write_copy",
]
