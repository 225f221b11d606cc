"""Swedish classification of incoming items (rules M1–M5, R1, R3, K1, Q5–Q7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.classify import GROUND_IDS, TAG_IDS, Tag, classify, find_identity_numbers, is_question
from tests.perf.classify_eval import evaluate, load

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled_comments.jsonl"


def ids(text: str) -> set[str]:
    return {tag.id for tag in classify(text)}


def tag(text: str, tag_id: str) -> Tag:
    return next(t for t in classify(text) if t.id == tag_id)


# --------------------------------------------------------------------------- per tag

POSITIVES = {
    "question": [
        "När öppnar simhallen?",
        "hur gör jag för att byta soptunna",
        "Finns det lediga tider i simskolan",
        "Kan ni skicka blanketten till mig",
        "Undrar om biblioteket har öppet i påsk",
        "vet någon om bussen går som vanligt",
        "Hej! vilken dag töms kärlen i Hidinge",
        "Var kan jag lämna grovsopor",
        "e det öppet på ÅVC idag",
    ],
    "synpunkt": [
        "Förslag: fler bänkar vid sjön",
        "Jag tycker att ni borde ploga tidigare",
        "Vill framföra ett klagomål på skolmaten",
        "Det vore bra om det fanns en cykelbana hit",
        "Ni borde satsa mer på fritidsgården",
        "Varför svarar ingen i telefonen?",
        "Det är under all kritik hur snöröjningen sköts",
    ],
    "crisis": [
        "Det brinner i ett hus på Storgatan och massa rök",
        "Skogsbrand norr om byn!",
        "Strömavbrott i hela centrum",
        "Gäller kokningsrekommendationen fortfarande?",
        "De evakuerar skolan just nu",
        "Hörde skottlossning vid torget",
        "VMA: stäng fönster och ventilation",
        "Bron har rasat, spärra av vägen!",
        "Luktar gas i trappuppgången",
        "Källaren är översvämmad",
    ],
    "threat": [
        "Jag ska bränna ner kommunhuset",
        "Ni kommer att få se vad som händer",
        "jag kommer döda er allihop",
        "Någon borde skjuta politikerna",
        "Jag vet var du bor",
        "Spräng hela stadshuset",
    ],
    "personal_attack": [
        "Du är en idiot",
        "din jävla pajas",
        "Korkade tjänstemän som inte fattar något",
        "Ni är ena clowner allihop",
        "Den där inspektören är ett äckel",
    ],
    "offensive_personal_data": [
        "Rektorn på Västerskolan är alkoholist",
        "Handläggaren Anna Lindqvist tar mutor",
        "Vaktmästaren på Ekbacken, Stefan, snor material",
        "Ulf på miljökontoret är full på jobbet",
    ],
    "political": [
        "Hur kommer Socialdemokraterna att rösta om skolan?",
        "Vad tycker Moderaterna om skattehöjningen?",
        "Vem ska jag rösta på i kommunvalet?",
        "Varför röstade C emot badhuset?",
        "Kommer ni att hålla vallöftet om sänkt taxa?",
    ],
    "authority_advice": [
        "Får jag bygga en friggebod nära tomtgränsen?",
        "Kommer jag att få bygglov för en carport?",
        "Har jag rätt till försörjningsstöd?",
        "Ska jag överklaga beslutet?",
        "Vad blir skatten för mig om jag flyttar hit?",
        "Jag vill veta om jag har rätt till bostadsbidrag",
    ],
    "no_reply_needed": ["@Anna håller med dig!", "Grattis till alla studenter!", "Tack för info!", "❤️❤️", "haha 😂"],
    "profanity": ["Vad fan håller ni på med"],  # issue 15: swearing is its own tag, no longer a removal ground
    "removal": [
        "Köp billiga solglasögon här, rabattkod SOL20",
        "Skicka hem alla invandrare",
        "Gratis iPhone till de första 100 som delar!",
        "Kolla mina nakenbilder",
        "Rösta på Sverigedemokraterna i september!",
        "Jag är kommunchefen och meddelar att skolan stänger",
    ],
}

HARD_NEGATIVES = {
    "political": [
        "Vilka partier sitter i kommunfullmäktige?",
        "Var röstar jag?",
        "Moderat höjning av taxan är okej",
        "Moderaterna hade en motion om belysning, när behandlas den?",
        "Finns det valsedlar för alla partier i vallokalen?",
    ],
    "removal": [
        "Vad tycker Moderaterna om skatten?",
        "Stort fan av nya cykelbanan!",
        "Rösta på vårt bidrag i fototävlingen!",
        "Finns det rabatt för pensionärer på simhallen?",
    ],
    "crisis": [
        "Brandövning på skolan idag kl 10",
        "Öppet hus på brandstationen på lördag",
        "Det har varit ett explosivt intresse för tomterna",
        "Bombmatta av tulpaner i rondellen",
        "Ryggsäcken har brunnit ut",
        "Lampan i trappan har brunnit ut",
        "Hur går det med översvämningsskyddet vid ån?",
        "Vad gör man med gamla brandvarnare?",
        "Kvinnor kan också vara brandmän",
        "Ring 112 om det är akut",
        "Hoppas ni alla dör i en brand",
    ],
    "threat": [
        "Kan vi skjuta upp mötet?",
        "Vilket hotell rekommenderar ni?",
        "Bombmatta av tulpaner i rondellen",
        "Mördande tråkigt med vägarbeten",
        "Vi sprängde rekordet i antal deltagare",
        "Hur stort är hotet om nedläggning?",
        "Vi har skjutit på flytten till hösten",
        "Vi ska spränga berget för nya vägen",
    ],
    "personal_attack": [
        "Vilken idiotisk idé att stänga badet",
        "Jag kände mig som en idiot när jag inte hittade blanketten",
        "Dum fråga kanske, men gäller förbudet även på helger?",
    ],
    "offensive_personal_data": [
        "Rektorn på Västerskolan, Per Ahl, har gjort ett fantastiskt jobb",
        "Handläggaren Anna sa att beslutet kommer i maj",
        "Stort tack till Anna på kundtjänst!",
    ],
    "question": [
        "Vilken fin bild på kyrkan",
        "Vad härligt att se så många här",
        "Vilket jobb ni har gjort med spåret, så fint",
        "Vilken dumskalle du är",
        "När jag kom hem luktade det konstigt",
        "Var där igår, jättekul",
        "Tycker det är fel att lägga ner skolan",
        "https://exempel.se/?sida=2 info om sophämtning",
    ],
    "authority_advice": ["Hur ansöker jag om bygglov?", "Var hittar jag blanketten för bistånd?"],
    "no_reply_needed": ["Tack för info! Men när kommer sopbilen?", "@Peter du är så dum i huvudet"],
    "synpunkt": ["Mina barn tycker att brandbilen var bäst", "Jag mår dåligt av vägarbetet hemma, kan ni svara?"],
    "confidential": [
        "Ärendenummer 2023-1452",
        "Kommunens organisationsnummer är 212000-1850",
        "Mötet är 2024-05-12 kl 18.00",
        "Ring 112 eller 114 14",
        "Bankgiro 5050-1055",
        "Personnummer 850314-2388",
    ],
}


@pytest.mark.parametrize(
    ("tag_id", "text"), [(t, text) for t, texts in POSITIVES.items() for text in texts], ids=lambda v: str(v)[:40]
)
def test_positive(tag_id: str, text: str) -> None:
    assert tag_id in ids(text)


@pytest.mark.parametrize(
    ("tag_id", "text"), [(t, text) for t, texts in HARD_NEGATIVES.items() for text in texts], ids=lambda v: str(v)[:40]
)
def test_hard_negative(tag_id: str, text: str) -> None:
    assert tag_id not in ids(text)


def test_is_question_matches_question_tag() -> None:
    assert is_question("Hur gör jag?") and not is_question("Fin bild!")


# --------------------------------------------------------------------------- shape and explanations


def test_tags_sorted_unique_and_grounds_valid() -> None:
    tags = classify("Jävla invandrare, köp billigt här med rabattkod! Du är en idiot. Ring 070-174 06 05")
    order = [TAG_IDS.index(t.id) for t in tags]
    assert order == sorted(order)
    non_removal = [t.id for t in tags if t.id != "removal"]
    assert len(non_removal) == len(set(non_removal))
    grounds = [t.ground for t in tags if t.id == "removal"]
    assert grounds == sorted(grounds, key=GROUND_IDS.index)
    assert {"hate", "advertising"} <= set(grounds)
    assert next(t for t in tags if t.id == "profanity").ground == "profanity"  # issue 15: its own low-weight tag
    assert all(t.ground in GROUND_IDS for t in tags if t.ground)
    assert all(t.explanation for t in tags)


def test_implied_grounds() -> None:
    text = "Handläggaren Anna Berg är en idiot och jag ska döda henne. Mitt pnr 811218-9876"
    grounds = {t.id: t.ground for t in classify(text)}
    assert grounds["threat"] == "threats_crime"
    assert grounds["personal_attack"] == "personal_attack"
    assert grounds["offensive_personal_data"] == "personal_data"
    assert grounds["confidential"] == "personal_data"


def test_explanations_name_what_matched() -> None:
    assert "'brinner' + 'rök'" in tag("Det brinner och det kommer rök ur fönstret", "crisis").explanation
    assert tag("Jag ska bränna ner ert hus", "threat").explanation.startswith("matchade 'bränna ner' + hot mot")
    assert tag("Du är en idiot", "personal_attack").explanation.endswith("– besvara inte, ta bort")
    assert "hänvisa till partierna" in tag("Vad tycker Moderaterna om skolan?", "political").explanation
    assert "e-tjänst eller handläggare" in tag("Får jag bygga ett garage?", "authority_advice").explanation
    assert tag("fy fan", "profanity").explanation.startswith("svordom")  # issue 15: was a "removal" tag
    assert "removal" not in ids("fy fan")


# --------------------------------------------------------------------------- confidential (R3)


def luhn_digit(nine: str) -> str:
    total = sum(sum(divmod(int(d) * (2 if i % 2 == 0 else 1), 10)) for i, d in enumerate(nine))
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize(
    "number",
    [
        "811218-9876",
        "19811218-9876",
        "8112189876",
        "198112189876",
        "121212-1212",
        "731161-2373",  # samordningsnummer: day 1 + 60
        "19731161-2373",
        "240923+0881",  # '+' for someone aged 100 or more
        "000229-" + "123" + luhn_digit("000229123"),  # 29 February 2000
    ],
)
def test_valid_identity_numbers(number: str) -> None:
    assert find_identity_numbers(f"Mitt nummer är {number}, tack.") == [number]


@pytest.mark.parametrize(
    "number",
    [
        "811218-9879",  # wrong check digit
        "8112189879",
        "198112189879",
        "780229-4160",  # Luhn ok, but 1978-02-29 does not exist
        "19930660-2252",  # day 60 is neither a day nor a samordningsnummer day
        "212000-1850",  # organisationsnummer: month 20
        "1212121215",
        "2024-05-12",
    ],
)
def test_invalid_identity_numbers(number: str) -> None:
    assert find_identity_numbers(f"Nummer {number}") == []
    assert "confidential" not in ids(f"Nummer {number}")


@settings(max_examples=200, derandomize=True)
@given(
    born=st.dates(dt.date(1925, 1, 1), dt.date(2024, 12, 31)),
    serial=st.integers(0, 999),
    samordning=st.booleans(),
    form=st.sampled_from(["{d6}-{tail}", "{d6}{tail}", "{d8}-{tail}", "{d8}{tail}"]),
    wrong=st.integers(1, 9),
)
def test_luhn_property(born: dt.date, serial: int, samordning: bool, form: str, wrong: int) -> None:
    day = born.day + (60 if samordning else 0)
    d6 = f"{born:%y%m}{day:02d}"
    nine = f"{d6}{serial:03d}"
    check = luhn_digit(nine)
    good = form.format(d6=d6, d8=f"{born.year // 100}{d6}", tail=f"{serial:03d}{check}")
    bad = good[:-1] + str((int(check) + wrong) % 10)
    assert find_identity_numbers(f"pnr {good}") == [good]
    assert find_identity_numbers(f"pnr {bad}") == []


def test_confidential_masks_numbers() -> None:
    t = tag("Mitt personnummer är 19811218-9876, ring 070-174 06 05 eller mejla kalle.p@example.se", "confidential")
    assert t.ground == "personal_data"
    assert t.detail == "personnummer, telefonnummer, e-postadress"
    assert "personnummer 19811218-****" in t.explanation
    for secret in ("9876", "174 06 05", "kalle.p"):
        assert secret not in t.explanation


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Mitt samordningsnummer är 731161-2373", "samordningsnummer"),
        ("Ring mig på 0701740677", "telefonnummer"),
        ("Nås på +46 70 174 06 33", "telefonnummer"),
        ("Kontakta mig på 08-465 004 12", "telefonnummer"),
        ("Skicka till lisa.k@example.com", "e-postadress"),
    ],
)
def test_confidential_detail(text: str, detail: str) -> None:
    assert tag(text, "confidential").detail == detail


# --------------------------------------------------------------------------- labelled set (regression floor)

# Measured on the labelled set when these rules were written: micro precision 1.000, recall 0.983,
# lowest per-tag F1 0.950 (synpunkt). The floors leave a margin; a regression below them fails.
MICRO_PRECISION_FLOOR = 0.97
MICRO_RECALL_FLOOR = 0.95
TAG_F1_FLOOR = 0.85


def test_labelled_set_covers_every_tag() -> None:
    rows = load(LABELLED)
    assert len(rows) >= 150
    for tag_id in TAG_IDS:
        assert sum(tag_id in r["tags"] for r in rows) >= 10, tag_id
    assert sum(not r["tags"] for r in rows) >= 30


def test_labelled_set_floor() -> None:
    report = evaluate(load(LABELLED))
    micro = report.micro
    assert micro.precision >= MICRO_PRECISION_FLOOR
    assert micro.recall >= MICRO_RECALL_FLOOR
    for tag_id, counts in report.per_tag.items():
        assert counts.f1 >= TAG_F1_FLOOR, tag_id
