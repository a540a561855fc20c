"""A passage given to be read, told apart from a question about the data."""

from __future__ import annotations

import pytest

from assistant.understand.passage import given_passage


@pytest.mark.parametrize(
    ("text", "passage"),
    [
        ("Positive or negative? 'arrived torn and late'", "arrived torn and late"),
        ("Judge the tone of this comment: the zip broke on day two", "the zip broke on day two"),
        ("¿Es positivo este comentario? «me encanta, queda perfecto»", "me encanta, queda perfecto"),
        ("判断这句话的情感：“颜色很好看，尺码正好”", "颜色很好看，尺码正好"),
    ],
)
def test_a_given_passage_is_found(text: str, passage: str) -> None:
    assert given_passage(text) == passage


@pytest.mark.parametrize(
    "text",
    [
        "How do shoppers feel about our knitwear?",
        "Wie ist die Stimmung in den Bewertungen für Jacken?",
        "Sentiment for the category: Tops",  # one word after the colon names a value, it is no passage
        "Reviews posted after 10:30 about pants",
    ],
)
def test_a_question_about_the_data_gives_no_passage(text: str) -> None:
    assert given_passage(text) is None
