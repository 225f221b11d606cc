"""Issue 15: crisis as situations, threats and hate beyond fixed phrases, profanity as its own
tag, and the municipality's public contact details. Texts here are not from the evaluation sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.classify import classify
from bot.settings import PublicContacts, check_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def ids(text: str, **kw) -> set[str]:
    return {t.id for t in classify(text, **kw)}


def explanation(text: str, tag_id: str) -> str:
    return next(t.explanation for t in classify(text) if t.id == tag_id)


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("Vår son 7 år kom inte hem efter fotbollen och nu är han försvunnen", "försvunnen person"),
        ("Igår kväll blev en man knivhuggen utanför stationen", "våld eller vapen"),
        ("Det sköts mot ett radhus i Söderby i natt", "våld eller vapen"),
        ("Det brinner i en villa på Ekgatan och folk står ute på gatan", "brand eller explosion"),
        ("Hela klassen blev magsjuk efter skollunchen i onsdags", "förorenat vatten eller mat"),
        ("Bron vid kvarnen har spolats bort av vattnet", "översvämning eller oväder"),
        ("Telefonen och internet ligger nere i hela Söderby", "stort avbrott"),
        ("Rektorn fick ett mejl med bombhot mot skolan", "hot mot skola eller offentlig byggnad"),
    ],
)
def test_crisis_situations_are_named(text: str, situation: str) -> None:
    assert explanation(text, "crisis").startswith(f"{situation}: matchade ")


def test_crisis_nouns_match_as_compound_heads() -> None:
    assert "crisis" in ids("Gängskjutningen i Söderby igår")
    assert "crisis" not in ids("Kvällens utskjutning av fyrverkerier blir klockan 22")


@pytest.mark.parametrize(
    "text",
    [
        "Det brinner i knutarna med ansökan om bidrag",
        "Personalen brinner verkligen för barnen",
        "Brandkåren var på besök hos sexåringarna idag",
        "Vi har en brandövning på torsdag",
        "Inkorgen är översvämmad av reklam",
        "Läktaren exploderade av glädje efter målet",
        "Branden 1902 förstörde halva byn, läs mer i hembygdsboken",
        "Det brinner inte längre, räddningstjänsten har åkt",
    ],
)
def test_figurative_exercise_historical_and_negated_are_no_crisis(text: str) -> None:
    assert "crisis" not in ids(text)


@pytest.mark.parametrize(
    "text",
    [
        "Jag kommer till stadshuset med min pistol nästa vecka",
        "Akta dig när du går hem i kväll",
        "jag vet vilka bilar ni på miljökontoret kör",
        "Vi har tagit reda på var handläggaren bor",
        "Hoppas att nämndens ordförande dör",
        "Det vore tråkigt om någon sprängde socialkontoret",
        "Någon borde ta livet av hela socialtjänsten",
        "Jag har ett gevär och vet var kommunhuset ligger",
        "Jag skjuter den första tjänsteman som kommer",
        "Bränn ner moskén",
    ],
)
def test_threats_in_ordinary_word_order(text: str) -> None:
    assert "threat" in ids(text)


@pytest.mark.parametrize(
    "text",
    [
        "Akta er för isen på bron, den är blank",
        "Jag vet vilka bilar ni har i bilpoolen, är det elbilar?",
        "Kan vi skjuta upp mötet en vecka?",
        "Hoppas ni får en fin jul allihop",
        "Jag ska döda tiden med en bok",
        "Skjut inte upp beslutet om alla förskolor",
        "Hoppas ni slipper lida mer",
    ],
)
def test_warnings_and_idioms_are_no_threats(text: str) -> None:
    assert "threat" not in ids(text)


@pytest.mark.parametrize(
    ("text", "ground"),
    [
        ("Somalierna som flyttat hit förstör hela området", "hate"),
        ("Muslimer ska inte få bo i vår by", "hate"),
        ("Transpersoner borde inte få jobba med barn", "offensive_remarks"),
        ("Skjut alla invandrare", "hate"),
        ("Kvinnor ska hålla käften och stå vid spisen", "offensive_remarks"),
    ],
)
def test_identity_based_hate_without_a_slur(text: str, ground: str) -> None:
    assert ground in {t.ground for t in classify(text) if t.id == "removal"}


@pytest.mark.parametrize("text", ["Hur många flyktingar bor i kommunen?", "Tack till våra muslimska grannar för hjälpen"])
def test_naming_a_group_is_no_hate(text: str) -> None:
    assert "removal" not in ids(text)


def test_profanity_alone_is_a_low_weight_tag_not_a_removal() -> None:
    tags = classify("fan vad det blåser idag")
    assert [t.id for t in tags] == ["profanity"]
    assert tags[0].ground == "profanity" and "ingen grund för borttagning i sig" in tags[0].explanation


def test_public_contacts_are_not_personal_data() -> None:
    public = PublicContacts(phones=("0123456000",), email_domains=("ekby.se",))
    text = "Ring växeln på 0123-45 60 00 eller mejla bygglov@ekby.se"
    assert "confidential" in ids(text)  # without the config they look like personal data
    assert "confidential" not in ids(text, public=public)
    assert "+46 123 45 60 00" and "confidential" not in ids("Ring +46 123 45 60 00", public=public)
    private = classify("Ring mig på 0123-45 67 89 eller mejla kalle@gmail.com", public=public)
    assert next(t for t in private if t.id == "confidential").detail == "telefonnummer, e-postadress"


def test_example_config_has_public_contacts_and_check_config_refuses_bad_ones(tmp_path: Path) -> None:
    settings, problems = check_config(EXAMPLE)
    assert not problems and settings.municipality.public_contacts.is_public_email("kommun@ekby.se")
    bad = EXAMPLE.read_text(encoding="utf-8").replace(
        'public_phones = ["0123-45 60 00", "0123-45 61 00"]', 'public_phones = ["växeln"]'
    ).replace('public_email_domains = ["ekby.se"]', 'public_email_domains = ["kommun@@ekby"]')
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    _, problems = check_config(path)
    keys = {p.key for p in problems}
    assert {"municipality.public_phones[0]", "municipality.public_email_domains[0]"} <= keys
    assert any("är inget telefonnummer" in p.message for p in problems)
