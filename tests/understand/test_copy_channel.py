"""The channel a copy request names is write_copy's channel (assistant/understand/copy_channel.py)."""

from __future__ import annotations

import pytest

from assistant.understand.copy_channel import settle_copy_channel, stated_channel
from assistant.understand.language import detect_language


@pytest.mark.parametrize(
    ("question", "channel"),
    [
        ("Draft a banner advert for the winter sale", "ad"),
        ("Prepara un anuncio para Facebook sobre las velas", None),  # an ad and a social network: the model's call
        ("Haz una publicidad breve de los cojines", "ad"),
        ("Formuliere eine Werbeanzeige für Lampen", "ad"),
        ("Rédige une annonce pour nos plaids", "ad"),
        ("Crie um anúncio curto das canecas", "ad"),
        ("给香薰蜡烛做一个广告", "ad"),
        ("Write a newsletter about our garden range", "email"),
        ("Escribe un correo para los clientes fieles", "email"),
        ("Envoie un SMS aux clients à risque", "sms"),
        ("Schick eine Kurznachricht an die Stammkunden", "sms"),
        ("用短信通知老客户", "sms"),
        ("An Instagram caption for the tea towels", "social"),
        ("Um texto para as redes sociais sobre as almofadas", "social"),
        ("A push notification about the new mugs", "push"),
        ("Ein E-Mail, um unsere Kerzen zu pushen", "email"),  # 'push' as a verb beside a channel is no channel
        ("Write something nice about our lanterns", None),
        ("An email and an SMS for the sale", None),
    ],
)
def test_the_one_channel_named_in_the_request(question: str, channel: str | None) -> None:
    assert stated_channel(question, detect_language(question)) == channel


def test_code_sets_the_named_channel_and_leaves_other_tools_alone() -> None:
    args, notes = settle_copy_channel("write_copy", {"channel": "email"}, "Redacta un anuncio de cojines", "es")
    assert args == {"channel": "ad"} and notes == ["channel 'ad' instead of 'email': the request names it"]
    unchanged = {"channel": "email"}
    assert settle_copy_channel("write_copy", unchanged, "Write copy for the candles", "en") == (unchanged, [])
    assert settle_copy_channel("segment_query", {}, "ads for champions", "en") == ({}, [])
