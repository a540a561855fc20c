"""`locale: pt_BR` in a mapping: the day/month order and decimal separator that locale writes (CLDR, via Babel).

An explicit `day_first` or `decimal` wins over the locale's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol

from assistant.ingest.errors import IngestError

Decimal = Literal[".", ","]


class ParsingOptions(Protocol):
    """A mapping section's parsing options (flat file or multi-table table)."""

    locale: str | None
    day_first: bool | None
    decimal: Decimal | None


def locale_conventions(name: str, mapping_path: Path, field: str) -> tuple[bool, Decimal | None]:
    """(day_first, decimal separator) of the locale's short date and numbers; decimal None if neither '.' nor ','."""
    try:
        locale = Locale.parse(name.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise IngestError(mapping_path, f"field '{field}' is {name!r}, not a known locale (e.g. pt_BR, en_US)") from exc
    pattern = locale.date_formats["short"].pattern
    day_first = pattern.find("d") < pattern.find("M")
    symbol = get_decimal_symbol(locale)
    decimal: Decimal | None = "," if symbol == "," else "." if symbol == "." else None
    return day_first, decimal


def apply_locale(options: ParsingOptions, mapping_path: Path, section: str) -> None:
    """Fill `day_first` / `decimal` from `locale` where the mapping does not give them."""
    if options.locale is None:
        return
    day_first, decimal = locale_conventions(options.locale, mapping_path, f"{section}.locale")
    if options.day_first is None:
        options.day_first = day_first
    if options.decimal is None:
        options.decimal = decimal
