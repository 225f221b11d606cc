"""The classifier's explanations come from the catalogue: Swedish by default, English for an English bot."""

from __future__ import annotations

import dataclasses
import json

from bot.core.classify import Tag, classify
from bot.i18n import catalogue
from tests.conftest import Harness, local

SAMPLES = [
    "Det brinner och det kommer rök ur fönstret",
    "Jag ska bränna ner ert hus",
    "Du är en idiot",
    "Vad tycker Moderaterna om skolan?",
    "Får jag bygga ett garage?",
    "fy fan",
    "Mitt personnummer är 19811218-9876, ring 070-123 45 67",
    "Rösta på Moderaterna!",
    "Köp billiga klockor här, reklam",
    "👍👍",
    "Tack!",
    "Min son har inte kommit hem från skolan, har någon sett honom?",
]


def test_every_explanation_renders_in_both_languages_from_the_catalogue():
    seen = 0
    for text in SAMPLES:
        for tag in classify(text):
            sv, en = tag.explain("sv"), tag.explain("en")
            assert sv and en and sv == tag.explanation
            assert all(key in catalogue("sv") and key in catalogue("en") for key, _ in tag.parts)
            seen += 1
    assert seen >= len(SAMPLES)


def test_english_explanations_are_english_and_keep_the_quoted_words():
    threat = next(t for t in classify("Jag ska bränna ner ert hus") if t.id == "threat")
    assert threat.explain("en").startswith("matched 'bränna ner' + threat against")
    assert "police" in threat.explain("en") and "polisanmälan" not in threat.explain("en")
    secret = next(t for t in classify("Mitt personnummer är 19811218-9876") if t.id == "confidential")
    assert secret.explain("en").startswith("personal identity number 19811218-****")
    assert "9876" not in secret.explain("en")


def test_a_tag_survives_the_database_and_old_rows_keep_their_stored_text():
    tag = next(t for t in classify("Jag ska bränna ner ert hus") if t.id == "threat")
    again = Tag.from_json(json.loads(json.dumps(tag.to_json(), ensure_ascii=False)))
    assert again == tag and again.explain("en") == tag.explain("en")
    old = Tag.from_json({"id": "question", "explanation": "Frågetecken i texten", "ground": None, "detail": None})
    assert old.explain("en") == "Frågetecken i texten"  # taken in before explanations had parts: shown as stored


def test_an_english_bot_shows_english_explanations_on_the_card(settings):
    english = dataclasses.replace(settings, municipality=dataclasses.replace(settings.municipality, language="en"))
    h = Harness(english, local(2026, 12, 7, 10, 0))
    h.bot.intake("facebook", "Jag ska bränna ner ert hus", author="X")
    cards = [m.text for _, m in h.chat.sent] + [str(f) for _, m in h.chat.sent for f in (m.fields or [])]
    joined = "\n".join(cards)
    assert "threat against" in joined and "hot mot" not in joined
