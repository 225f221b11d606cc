"""LIX readability (rule Q8, klarspråk); every expected value is computed by hand."""

from __future__ import annotations

import pytest

from bot.core.readability import level_for, readability


def test_short_words_one_sentence() -> None:
    # 2 words, 1 sentence, 0 long ("Katten" has 6 letters, not more): 2/1 + 0 = 2
    r = readability("Katten sov.")
    assert r.lix == pytest.approx(2.0)
    assert r.level == "mycket lättläst"


def test_long_words() -> None:
    # 2 words, 1 sentence, 2 long: 2/1 + 100*2/2 = 102
    r = readability("Kommunfullmäktige sammanträder.")
    assert r.lix == pytest.approx(102.0)
    assert r.level == "mycket svår"


def test_three_sentences_with_abbreviation() -> None:
    # "Vi ses i parken." 4 words; "Ta med t.ex. fika och filt!" 6 words ("t.ex." is one, and does not end
    # the sentence); "Kommunen informerar om förändringarna." 4 words, 3 long (Kommunen, informerar,
    # förändringarna). LIX = 14/3 + 100*3/14 = 4.6667 + 21.4286 = 26.0952
    r = readability("Vi ses i parken. Ta med t.ex. fika och filt! Kommunen informerar om förändringarna.")
    assert r.lix == pytest.approx(14 / 3 + 300 / 14)
    assert r.level == "lättläst"


def test_numbers_are_not_words_and_decimal_points_do_not_split() -> None:
    # Words: Vi, kommer, kl., till, mötet = 5; 1 sentence; no long word: LIX = 5
    assert readability("Vi kommer kl. 18.00 till mötet.").lix == pytest.approx(5.0)


def test_line_break_ends_a_sentence() -> None:
    # "Hej" | "Välkommen till oss": 4 words, 2 sentences, 1 long (Välkommen): 2 + 25 = 27
    assert readability("Hej\nVälkommen till oss").lix == pytest.approx(27.0)


def test_question_and_exclamation_marks() -> None:
    # "Kommer du?" "Ja!" "Bra." 4 words, 3 sentences, 0 long: 4/3
    assert readability("Kommer du? Ja! Bra.").lix == pytest.approx(4 / 3)


def test_empty_text() -> None:
    r = readability("  ")
    assert (r.lix, r.level, r.long_sentences) == (0.0, "mycket lättläst", ())


def test_long_sentences_threshold() -> None:
    six = "Ett två tre fyra fem sex."
    five = "Ett två tre fyra fem."
    r = readability(f"{six} {five}", max_words_per_sentence=5)
    assert r.long_sentences == (six,)
    long_26 = " ".join(["ord"] * 26) + "."
    assert readability(long_26).long_sentences == (long_26,)
    assert readability(" ".join(["ord"] * 25) + ".").long_sentences == ()


@pytest.mark.parametrize(
    ("lix", "level"),
    [
        (0, "mycket lättläst"),
        (24.99, "mycket lättläst"),
        (25, "lättläst"),
        (34.99, "lättläst"),
        (35, "medelsvår"),
        (44.99, "medelsvår"),
        (45, "svår"),
        (54.99, "svår"),
        (55, "mycket svår"),
        (80, "mycket svår"),
    ],
)
def test_levels(lix: float, level: str) -> None:
    assert level_for(lix) == level
