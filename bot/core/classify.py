"""Deterministic Swedish classification of incoming items (posts, comments, messages).

Every tag explains itself: its explanation is a list of catalogue keys with the words that matched
(bot/locales/*-classify.toml), rendered in the municipality's language (`explain`). The rules are
explicit lexicons of stems and phrases with small negative lists; nothing is learnt from data.

Conventions:
- Word boundaries are Unicode-aware (``\\w`` covers å, ä, ö).
- Swedish compounds are right-headed: "skogsbrand" is a fire, "brandövning" is an
  exercise. Crisis nouns therefore match as compound *heads* (``\\w*brand``), never as
  modifiers.
- A tag that implies removal carries its ground: threat → ``threats_crime``,
  personal_attack → ``personal_attack``, confidential and offensive_personal_data →
  ``personal_data``. The ``removal`` tag covers the remaining M1 grounds, one tag per
  ground. ``profanity`` is a separate, low-weight tag (issue 15): it carries the ground
  ``profanity`` only so that a policy listing that ground may suggest removal; swearing
  alone is otherwise no removal ground. So an item should be removed iff a tag's ground is
  among the account policy's grounds (`moderation.suggested_ground`).
- Crisis is read as situations (missing person, violence, fire, contamination, flooding,
  outages, threats against a school); figurative, negated, exercise and historical uses
  are set aside. Every tag's explanation names the words that matched.
- ``political`` and ``authority_advice`` are only given to questions;
  ``no_reply_needed`` only to items with no other tag.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date

from bot.i18n import t as translate

from bot.settings import GROUND_IDS, PublicContacts  # the removal grounds (M1) are defined once, with the config

TAG_IDS = (
    "question",
    "synpunkt",
    "crisis",
    "removal",
    "offensive_personal_data",
    "personal_attack",
    "threat",
    "confidential",
    "political",
    "authority_advice",
    "profanity",
    "no_reply_needed",
)


# One part of an explanation: a catalogue key and its values. A value is text from the comment (shown as
# written), a nested part {"t": key, ...values} (translated), or a list of either (joined by ", ").
Part = tuple[str, dict]


def part(key: str, **values: object) -> Part:
    return (f"classify.{key}", values)


def _render(value: object, lang: str) -> str:
    if isinstance(value, dict) and "t" in value:
        inner = {k: _render(v, lang) for k, v in value.items() if k != "t"}
        return translate(f"classify.{value['t']}", lang, **inner)
    if isinstance(value, list):
        return ", ".join(_render(v, lang) for v in value)
    return str(value)


@dataclass(frozen=True)
class Tag:
    id: str
    parts: tuple[Part, ...] = ()
    ground: str | None = None
    detail: str | None = None  # confidential: the kinds of data found (Swedish words, kept for the record)
    stored: str = ""  # an explanation stored as text before explanations had parts (items taken in before)

    def explain(self, lang: str = "sv") -> str:
        """The explanation in `lang`: what matched and what to do, parts joined by a dash."""
        if not self.parts:
            return self.stored
        return " – ".join(translate(key, lang, **{k: _render(v, lang) for k, v in values.items()})
                          for key, values in self.parts)

    @property
    def explanation(self) -> str:
        return self.explain("sv")

    def to_json(self) -> dict:
        return {"id": self.id, "parts": [[key, values] for key, values in self.parts], "ground": self.ground,
                "detail": self.detail, "explanation": self.explain("sv")}

    @classmethod
    def from_json(cls, data: dict) -> Tag:
        parts = tuple((str(key), dict(values)) for key, values in data.get("parts") or ())
        return cls(id=data["id"], parts=parts, ground=data.get("ground"), detail=data.get("detail"),
                   stored="" if parts else str(data.get("explanation") or ""))


_F = re.IGNORECASE


def _rx(*alternatives: str, flags: int = _F) -> re.Pattern[str]:
    """Whole-word alternation: no letter may touch the match on either side."""
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", flags)


def _hits(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text)]


def _quote(words: list[str]) -> str:
    unique = list(dict.fromkeys(w.lower() for w in words))
    return " + ".join(f"'{w}'" for w in unique)


_URL = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w@.-])[\w-]+(?:\.[\w-]+)*\."
    r"(?:se|com|nu|net|org|ru|cn|shop|xyz|top|click|info|io|biz|ly|gl|co|example)(?:/\S*)?(?!\w)",
    _F,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# --------------------------------------------------------------------------- question

_GREETING = re.compile(r"^(?:@\S+\s+|(?:hej|hejsan|hallå|tjena|tja|god (?:morgon|kväll|dag))\b[\s,!.:]*)+", _F)
_SUBJECT_PRONOUN = r"(?:jag|du|ni|vi|man|han|hon|hen|de|dom|det|den|detta|någon|nån|alla|barnen)"
_INTERROGATIVE = re.compile(
    r"^(?:när|hur|varför|vem|vems|vad|vilken|vilket|vilka|varifrån|vart|var)(?!\w)\s*(\S*)", _F
)
# "var"/"vart" are also forms of "vara"/"bli": require a verb after them.
_WHERE_VERB = re.compile(
    r"^(?:kan|ska|skall|får|finns|ligger|hittar|hämtar|lämnar|röstar|gör|är|vänder|tog|bor|köper|parkerar|"
    r"anmäler|ringer|bokar|hamnade|blev|har|går|sker)$",
    _F,
)
# "Vad härligt!", "Vilken fin bild", "Vilket pucko": exclamations, not questions.
_EXCLAMATIVE = re.compile(
    r"^(?:så|otroligt|jätte\w*|jävla|fan|himla|fint|fin|fina|kul|bra|gott|skönt|snyggt?|snygga|härlig\w*|"
    r"mysig\w*|underbar\w*|fantastisk\w*|vacker\w*|vackra|gullig\w*|rolig\w*|tråkig\w*|dålig\w*|pinsam\w*|"
    r"ful\w*|synd|otrolig\w*|konstig\w*|\w+(?:igt|iga|isk|iskt|iska)|pucko|dumskalle|idiot\w*|clown\w*|"
    r"skit\w*|tur|otur|glädje|fröjd|lycka|gäller)$",  # "Vad gäller X" = as regards X
    _F,
)
_V1_VERB = (
    r"kan|kunde|kommer|ska|skall|får|fick|måste|behöver|borde|bör|vill|finns|fanns|går|gick|har|hade|är|var|"
    r"blir|blev|gäller|tar|vet|brukar|hinner|stämmer|fungerar|funkar|öppnar|stänger|kostar|gör|gjorde|räcker|"
    r"ligger|syns|hjälper|tänker|planerar|tömmer|plogar|sandar|lagar|jobbar|skickar|svarar"
)
_V1_SUBJECT = re.compile(rf"^(?:{_V1_VERB})\s+(?:{_SUBJECT_PRONOUN}(?!\w)|\S+(?:en|et|na|n)(?!\w))", _F)
# Verbs whose sentence-initial position signals a question whatever follows (no subject drop).
_V1_ALWAYS = re.compile(r"^(?:sänds|hämtas|töms|behövs|räknas|gäller|stämmer|finns|öppnar|stänger)(?!\w)", _F)
_V1_PROPER = re.compile(rf"^(?:{_V1_VERB})\s+[A-ZÅÄÖ]")
_QUESTION_PHRASE = _rx(
    r"undrar",
    r"vet (?:någon|nån|ni|du)",
    r"(?:är det )?(?:någon|nån) som (?:vet|har koll|kan)",
    r"kan (?:någon|nån) (?:svara|förklara|berätta)",
    r"vill (?:gärna )?veta",
    r"hur gör (?:jag|man|vi)",
    r"e (?:det|ni|du|man)",  # spoken "är"
)


def is_question(text: str) -> bool:
    """Question mark, interrogative word, verb-first clause or "undrar"/"vet någon"-style phrase."""
    return _question_reason(text) is not None


def _question_reason(text: str) -> Part | None:
    bare = _URL.sub(" ", text)
    if "?" in bare:
        return part("question_mark")
    if m := _QUESTION_PHRASE.search(bare):
        return part("matched", words=f"'{m.group(0).lower()}'")
    for sentence in _sentences(bare):
        for clause in re.split(r"[,;:]\s*", _GREETING.sub("", sentence)):
            if reason := _clause_question(clause.strip()):
                return reason
    return None


def _looks_finite(word: str) -> bool:
    return bool(re.fullmatch(_V1_VERB, word)) or word.endswith(("r", "s", "de", "te"))


def _clause_question(clause: str) -> Part | None:
    if m := _INTERROGATIVE.match(clause):
        words = [w.lower() for w in re.findall(r"\w+", clause)[:3]] + ["", ""]
        word, following = words[0], m.group(1)
        if re.fullmatch(_SUBJECT_PRONOUN, following, _F) or _EXCLAMATIVE.match(following):
            return None
        if word in ("var", "vart") and not _WHERE_VERB.match(following):
            return None
        # "Vilket jobb ni har gjort!": subject before the verb means an exclamation, not a question.
        if re.fullmatch(_SUBJECT_PRONOUN, words[2]) and not _looks_finite(words[1]):
            return None
        return part("interrogative", word=word)
    if _V1_SUBJECT.match(clause) or _V1_ALWAYS.match(clause) or _V1_PROPER.match(clause):
        return part("verb_first", words=" ".join(clause.split()[:2]).lower())
    return None


# --------------------------------------------------------------------------- synpunkt

_SYNPUNKT = _rx(
    r"(?:mitt|ett|vårt|litet|nytt) förslag",
    r"förslag(?=\s*[:!])",
    r"föreslå\w*",
    r"\w*synpunkt\w*",
    r"\w*klagomål\w*",
    r"(?:vill|måste|behöva|behöver|får) (?:\w+ )?klaga|(?:jag|vi) klagar",
    r"(?:vill|ville) (?:\w+ )?framföra",
    r"beröm",
    r"önskemål\w*",
    r"(?:jag|vi) önskar",
    r"önskar att",
    r"(?:jag|vi)(?: \w+)? (?:tycker|anser)",
    r"(?:jätte)?tråkigt att (?:ni|kommunen)",
    r"(?:ett )?tips(?: är|:| till)",
    r"(?:skulle|jag|vi) önska\w*",
    r"alldeles för (?:tidigt|sent|dyrt|lite|mycket|fort|långt|få|dåligt)",
    r"(?<!mår )(?:urdålig|usel|dålig)(?:t|a)?(?! väder| samvete)",
    r"helt (?:galet|sjukt|orimligt|oacceptabelt|vansinnigt|bedrövligt|befängt)",
    r"skandal\w*|katastrof\w*",
    r"(?:ni|kommunen) (?:borde|bör|måste|skulle kunna|skulle behöva)",
    r"borde (?:ni|kommunen)",
    r"varför inte",
    r"(?:det )?(?:vore|skulle vara) (?:\w+ )?"
    r"(?:bra|bättre|toppen|kul|schysst|trevligt|fint|önskvärt|smart|skönt|najs)",
    r"(?:det är )?(?:hög )?tid att ni",
    r"det är dags att",
    r"missnöjd\w*",
    r"(?:är|vore) (?:helt )?(?:orimligt|oacceptabelt|pinsamt|bedrövligt|under all kritik)",
    r"det saknas",
    # Evaluations of the service, praise and blame (issue 15: synpunkter written without a fixed phrase).
    r"(?:jätte|riktigt |så |mycket )?bra att (?:ni|kommunen|man)",
    r"(?:ni|kommunen|personalen) har gjort ett (?:\w+ )?(?:jobb|arbete)",
    r"har blivit (?:\w+ )?(?:sämre|bättre|dyrare|värre)",
    r"slösar (?:\w+ )?(?:pengar|skattepengar|resurser)",
    r"(?:så |väldigt |jätte)?synd att (?:ni|kommunen)",
    r"full av (?:gropar|hål|skräp|sopor)",
    r"ingen (?:från|på|av) (?:kommunen|er)\w* har",
    r"ni har inte (?:sagt|gjort|svarat|informerat)",
    r"ingen av dem (?:funkar|fungerar)",
    r"för jävligt|helt jävla \w+|(?:ett |vilket )?skämt",
    r"alldeles för (?:stora|små|höga|många|dyra|långa|korta|trånga)",
    r"behöver (?:fler|mer|bättre)",
    r"(?:vi )?kommer att (?:slåss|kämpa|protestera)|protestlista\w*|namninsamling\w*",
    r"hur svårt kan det (?:vara|va)",
    r"(?:idiotisk|dum|korkad|befängd|vansinnig|galen|dålig|usel|sämsta)\w* (?:idé|beslut|förslag|planering)",
    r"har (?:varit|stått|legat)(?: \w+){0,3} i (?:en|två|tre|fyra|flera|många|\d+) "
    r"(?:dag|dagar|vecka|veckor|månad|månader|år)",
)
# A sentence-initial "varför" with "ingen/aldrig/alltid" is a reproach: "Varför svarar ingen?".
_REPROACH = re.compile(r"(?:^|[.!?]\s+)varför \w+ (?:det |ni )?(?:alltid|aldrig|ingen)(?!\w)", _F | re.M)
# Sentence- or clause-initial requests: "Snälla, laga…", "…, sätt upp farthinder!", "Tycker det är fel".
_SYNPUNKT_CLAUSE = re.compile(
    r"(?:^|[.!?,;:]\s*|snälla,?\s+)(sätt upp|laga|fixa|åtgärda|bygg|ordna|inför|satsa|rusta upp|ta bort|"
    r"ta tillbaka|ge oss|skicka fler|tycker|mer|fler|bättre|mindre)(?!\w)",
    _F | re.M,
)


def _synpunkt(text: str) -> Tag | None:
    hits = (
        _hits(_SYNPUNKT, text)
        or [m.group(0).strip(" .!?") for m in _REPROACH.finditer(text)]
        or [m.group(1) for m in _SYNPUNKT_CLAUSE.finditer(text)]
    )
    return Tag("synpunkt", (part("matched", words=_quote(hits[:3])), part("advice.synpunkt"))) if hits else None


# --------------------------------------------------------------------------- crisis

_CRISIS_STRONG = _rx(
    r"\w*brand(?:en|ens)?",  # compound head: skogsbrand, husbranden (not brandövning)
    r"\w*bränder(?:na)?",
    r"brinner|brann(?! på)|brinna|brunnit(?!\s+ut)",
    r"eldsvåda\w*",
    r"i lågor",
    r"\w*explosion(?:en|er|erna)?",
    r"exploder\w*",
    r"översvämm\w*",
    r"svämma\w* över",
    r"\w*översvämning(?:en|ar|arna)?",
    r"står under vatten",
    r"vatten i (?:källaren|källare|källarna)",
    r"(?:ån|älven|sjön|vattnet|vattennivån) stiger",
    r"\w*kokningsrekommendation\w*",
    r"\w*kokningsråd\w*",
    r"koka (?:dricks)?vattnet",
    r"(?:el|elen|ström|strömmen|vatten|vattnet)(?: är)? borta",
    r"(?:syns|ser|såg) (?:\w+ )?rök|rök (?:som )?syns",
    r"vattenavstängning\w*",
    r"(?:inget|utan) (?:dricks)?vatten",
    r"\w*vattenläcka\w*",
    r"otjänligt",
    r"\w*(?:ström|el)avbrott\w*",
    r"strömlös\w*",
    r"(?:utan|ingen) (?:el|ström)",
    r"(?:strömmen|elen) (?:har )?gått",
    r"evakuer\w*",
    r"\w*skottlossning\w*",
    r"(?!(?:ut|upp|fram|till|på)skjutning)\w*skjutning(?:en|ar|arna)?",  # compound heads: skolskjutningen, gängskjutningar
    r"knivhugg\w*",
    r"knivattack\w*",
    r"knivbråk\w*",
    r"mord(?:et|försök\w*)?",
    r"bombhot\w*",
    r"beväpnad\w*",
    r"vma",
    r"viktigt meddelande till allmänheten",
    r"gasläck\w*",
    r"\w*gasläcka\w*",
    r"luktar (?:\w+ ){0,3}gas",
    r"gaslukt\w*",
)
_CRISIS_WEAK = _rx(
    r"rök(?:en)?",
    r"\w*rökutveckling\w*",
    r"ryker",
    r"brandkår\w*",
    r"räddningstjänst\w*",
    r"brandbil\w*",
    r"brandm[aä]n\w*",
    r"ambulans\w*",
    r"polis(?:en|er|bil\w*)?",
    r"blåljus",
    r"siren\w*",
    r"\w*larm(?:et|en|ar)?",
    r"akut",
    r"ringt 112|ringde 112",
    r"brunt|gult|grumligt|missfärgat",
    r"dricka (?:det|vattnet)",
    r"smakar (?:klor|konstigt|jord|metall)",
    r"(?:säkert|farligt|ok|okej) att dricka",
    r"storm(?:en|ar|ade)?",
    r"havere\w*",
    r"diesel|bensin|kemikalie\w*",
    r"krock\w*|\w*olycka(?:n)?|kört in i",
    r"koka(?:r)?",
    r"dricksvatt\w*",
    r"kranvatt\w*",
    r"avlopp\w*",
    r"läck(?:er|t|te|a)",
    r"rasat|rasade|kollaps\w*|störtat",
    r"spärra av",
    r"gnistr\w*",
    r"fallit (?:över|på)",
    r"skott(?:en)?",
    r"smäll(?:ar|en|de)?",
    r"kniv(?:en)?",
    r"vatten på (?:vägen|gatan|vägarna)",
    r"sitter fast",
)
# Situations (issue 15): each names what is happening, so the explanation says which one
# matched. A situation fires on one of its `report` patterns, or on a `cue` together with one of
# its `context` patterns (people, places or harm that make the cue an event, not a word).
_PERSON = (
    r"(?:min|vår|mitt|vårt|hans|hennes|deras) (?:son|dotter|barn|pappa|mamma|far|mor|mormor|morfar|farmor|farfar|"
    r"bror|syster|make|maka|fru|man|sambo|pojke|flicka|kille|tjej|vän|kompis|granne)|\d+[- ]?år(?:ing|iga)?\w*|"
    r"\w*pojke(?:n)?|\w*flick(?:a|an)|äldre (?:man|kvinna|dam|herre)|dement\w*|demens\w*|\w*elev(?:en|er|erna)?|"
    r"(?:de )?boende|person(?:en)?|barn(?:en|et)?|mamma|pappa|skolskjuts\w*|\w*buss(?:en)?"
)
_SITUATIONS: list[tuple[str, re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]] = [
    (
        "missing_person",  # försvunnen person
        _rx(r"efterlys\w*", r"letar efter (?:en|ett|vår|min|mitt|vårt) \w+", r"gått hemifrån", r"skallgång\w*",
            r"(?:polis\w*|frivilliga) (?:\w+ )?letar"),
        _rx(r"försvunn\w*|försvann|försvinner|saknas|saknad|inte kommit hem|hittas inte|hittades inte|hittade inte|är borta|"
            r"svarar inte(?: i telefon)?"),
        _rx(_PERSON),
    ),
    (
        "violence",  # våld eller vapen
        _rx(r"sköts|sköt (?:mot|på|ihjäl|ner)|blev skjuten|skjutits|skjutna|skjuten", r"kulhål",
            r"knivh[öu]gg\w*", r"knivskur\w*", r"knivslagsmål\w*", r"\w*huggen", r"hittats död|hittades död",
            r"(?:hotade|hotar) (?:\w+ )?med (?:kniv|vapen|pistol|gevär)",
            r"(?:en |ett )?(?:man|kvinna|person|kille) med (?:ett |en )?(?:\w*gevär|vapen|pistol|kniv|yxa)",
            r"hotar att skjuta", r"beväpnad\w*", r"(?:låst|låser) in sig"),
        _rx(r"skott(?:en)?|slagsmål\w*|misshandl\w*|rån(?:et|ad\w*)?|knivar?"),
        _rx(r"polis\w*|ambulans\w*|skola\w*|\w*gård(?:en)?|skadade?s?|sjukhus\w*|avspärr\w*|spärrat av"),
    ),
    (
        "fire",  # brand eller explosion
        _rx(r"brinner (?:i|på|vid|upp|ner|ordentligt|fortfarande)(?! i knutarna)", r"det brann", r"brann (?:i|vid|ner|upp)",
            r"larmet (?:går|gick|har gått) (?:\w+ ){0,4}(?:gå|gått|springa) ut",
            r"\w+brand(?:en)?", r"i lågor", r"rök(?:en)? väller", r"(?:svart|tjock|kraftig) rök", r"rökskad\w*",
            r"exploder(?:ade|at)", r"har exploderat", r"\w*explosion(?:en)?"),
        _rx(r"brinner|brann|brand(?:en)?|rök(?:en)?|small|smäll(?:en)?|explosion"),
        _rx(r"\w*hus(?:et)?|\w*lägenhet\w*|balkong\w*|garage\w*|skog(?:en)?|\w*boende(?:t)?|evakuer\w*|fönster|"
            r"folk|skadade?|räddningstjänst\w*|brandkår\w*|112|springer ut|ut ur"),
    ),
    (
        "contamination",  # förorenat vatten eller mat
        _rx(r"\w*kokningsrekommendation\w*", r"salmonella\w*", r"legionella\w*", r"kolibakteri\w*", r"e-?coli",
            r"matförgift\w*", r"vattnet (?:är|har blivit) (?:\w+ )?(?:brunt|grönt|missfärgat|grumligt)"),
        _rx(r"magsjuk\w*|kräk\w*|diarré\w*|(?:blivit|blev|är) (?:\w+ )?sjuka?|förgift\w*|luktar avlopp|stinker|"
            r"döda fiskar|konstigt grönt|brunt|missfärgat"),
        _rx(r"\w*vatt(?:en|net)|kranen|\w*lunch\w*|\w*mat(?:en)?|\w*skolmat\w*|\w*fisk\w*|\w*förskola\w*|\w*skola\w*"),
    ),
    (
        "flooding",  # översvämning eller oväder
        _rx(r"spola(?:ts|des) bort", r"\w*ras(?:at|ade) (?:in|ihop|ner)", r"avskur(?:en|et|na)",
            r"(?:fällt|fallit|blåst ner) (?:\w+ )?träd|träd (?:över|på) vägen", r"våg av vatten",
            r"(?:vatten|vattnet) (?:upp till|forsar|tränger in)", r"\w*översvämmad\w*"),
        _rx(r"storm(?:en)?|oväd(?:er|ret)|snöoväd\w*|ras(?:at|ade|et)?|översvämm\w*|vatten(?:nivån)?"),
        _rx(r"vägen|bron|taket|husen|\w*hall(?:en)?|avstängd|strömlös\w*|lägenhet\w*|byn|evakuer\w*|in i"),
    ),
    (
        "outage",  # stort avbrott
        _rx(r"(?:ligger|är) nere i hela", r"(?:mobilnät\w*|internet|telefon\w*|elnät\w*|nät(?:et)?) (?:ligger|är) nere",
            r"utan (?:ström|el|vatten|värme)(?: och \w+)? (?:i|sedan|sen) \w+", r"strömlöst", r"inget vatten i kranen",
            r"(?:går|gick) inte att nå", r"kan inte ringa 112", r"utan värme"),
        None,
        None,
    ),
    (
        "school_threat",  # hot mot skola eller offentlig byggnad
        _rx(r"bombhot\w*", r"hotar att (?:skjuta|spränga|bränna)", r"hot mot (?:\w+ )?skola\w*"),
        None,
        None,
    ),
]
# Figurative uses that the lexicons above would read as events.
_FIGURATIVE = _rx(
    r"brinner i knutarna", r"brinner (?:verkligen |så )?för", r"brann för", r"eldsjäl\w*",
    r"(?:svämmar|svämmade) över av", r"översvämmad av \w+", r"exploder\w* av", r"explosion av", r"har exploderat av",
    r"dödar (?:mig|en)", r"dö av skratt", r"drunknar i", r"en bomb under", r"stormtriv\w*", r"stormande",
    # negated events: "det brinner inte längre", "ingen brand"
    r"(?:brinner|brann|ryker|rök|läcker|läckte) inte(?: längre)?",
    r"(?:ingen|inte någon|inget) (?:brand|rök|fara|explosion|läcka)",
)
# Not an event now: an exercise, a visit or a show, preparation, history.
_CRISIS_VETO = _rx(
    r"\w*övning\w*", r"öva[rd]?", r"övade", r"öppet hus", r"på besök", r"\w*besöket", r"studiebesök\w*",
    r"visning\w*", r"temadag\w*", r"förbered\w* (?:sig|mig|oss|dig)", r"förebygga", r"på \d0-talet", r"\d{4}-talet",
    r"(?:år |i )?1[5-9]\d\d",
)
_NEGATED = re.compile(r"(?:inte|ingen|inget|inga|aldrig)\s+(?:\w+\s+)?$", _F)


def _situation(text: str) -> tuple[str, list[str]] | None:
    for name, report, cue, context in _SITUATIONS:
        if (m := report.search(text)) and not _NEGATED.search(text[max(0, m.start() - 30) : m.start()]):
            return name, [m.group(0)]
        if cue and context and (c := cue.search(text)) and (x := context.search(text)):
            if not _NEGATED.search(text[max(0, c.start() - 30) : c.start()]) and c.group(0).lower() != x.group(0).lower():
                return name, [c.group(0), x.group(0)]
    return None


def _crisis(text: str, threatened: bool) -> Tag | None:
    """A situation, else one strong or two weak lexicon terms; a threat ("…dör i en brand") needs two."""
    if _CRISIS_VETO.search(text):
        return None
    literal = _FIGURATIVE.sub(" ", text)
    advice = part("advice.crisis")
    if not threatened and (found := _situation(literal)):
        name, words = found
        return Tag("crisis", (part("situation_matched", situation={"t": f"situation.{name}"}, words=_quote(words)),
                              advice))
    strong, weak = _hits(_CRISIS_STRONG, literal), _hits(_CRISIS_WEAK, literal)
    evidence = len({w.lower() for w in strong + weak})
    if (strong and not threatened) or evidence >= 2:
        return Tag("crisis", (part("matched", words=_quote(strong + weak)), advice))
    return None


# --------------------------------------------------------------------------- threat

_KILL = (
    r"döda[rs]?|mörda[rs]?|misshandla[rs]?|knivhugga[rs]?|strypa|stryper|spö(?:a|ar)|bränn(?:a|er)(?: jag| vi)? ner"
    r"|ge (?:\w+ ){0,3}(?:en (?:rejäl |ordentlig )?omgång|på käften|stryk)"
    r"|krossa (?:skallen|käken|näsan|huvudet)"
)
_HARM = (
    r"bränn(?:a|er)(?: jag| vi)? upp|tänd(?:a|er)?(?: jag| vi)? eld på|spräng(?:a|er)?"
    r"|skjut(?:a|er)?(?! upp| på| fram| till)|storma[r]?|hänga[rs]?|slå(?:r)? (?:ner|sönder)"
)
_VIOLENT = _rx(_KILL, _HARM)
_KILL_ONLY = re.compile(rf"^(?:{_KILL})$", _F)
_INTENT = _rx(
    r"ska|skall|kommer(?: att)?|tänker|borde|vill|svär", r"så \w+ (?:jag|vi)",
    r"(?:jag|vi)(?= (?:skjuter|dödar|mördar|spränger|bränner|knivhugger|misshandlar))",  # "jag skjuter den första som ..."
)
_IMPERATIVE = re.compile(r"^(?:spräng|bränn|döda|mörda|skjut(?! upp| på)|häng|tänd eld på|storma)(?!\w)", _F)
_PERSON_TARGET = _rx(
    r"dig|er|era|ert|honom|henne|hen|dem|dom|allihop\w*",
    r"\w*politiker\w*|\w*handläggare\w*|tjänstem[aä]n\w*|\w*chef(?:en|er|erna)?|personal\w*|jäveln",
    r"(?:alla|varenda|hela) \w+",  # "skjut alla invandrare", "döda varenda en"
)
_PROPERTY_TARGET = _rx(r"\w*hus(?:et)?", r"\w*boende(?:t)?", r"\w*skola(?:n)?", r"bil(?:ar|arna|en)?")
_THREAT_PHRASE = _rx(
    r"(?:ni|du) (?:kommer (?:att )?|ska )få se",
    r"vet var (?:du|ni|hon|han|hen|de|dom) bor",
    r"kula i (?:huvudet|skallen|pannan)",
    r"skjuta? ihjäl",
    r"slå(?:r)? ihjäl(?! tid)",
    r"ta livet av (?:dig|er|honom|henne|hen|dem|dom)",
    r"borde (?:skjutas|hängas|mördas|sprängas|brännas|dö)",
    r"ta med (?:tillhyggen|vapen|knivar)",
    r"hoppas (?:ni|du|han|hon|hen|de|dom)(?: alla)? (?:dör|dödas|ruttnar|brinner)",
    r"vad jag är kapabel till",
    r"göra (?:ditt|ert|hans|hennes|deras) liv till ett helvete",
    r"slut(?:a|ar) (?:med|i) blod",
)
# Intimidation (issue 15): knowing where someone lives, what they drive, when they go home.
_INTIMIDATION = _rx(
    r"(?:jag|vi) vet (?:var|vilken|vilket|vilka|när) (?:\w+ ){0,3}(?:bor|bil|bilar|kör|barn|skola|förskola|slutar|"
    r"går hem|jobbar)",
    r"(?:jag|vi) har (?:koll på|sparat|tagit reda på) (?:\w+ ){0,3}(?:adress\w*|bil\w*|slutar|bor|barn)",
    r"(?:jag|vi) vet vilken (?:\w+ )?(?:skola|förskola) (?:\w+ )?(?:barn|son|dotter|unge)\w*",
    r"(?:kommer att|ska) hitta (?:dig|er|honom|henne)",
    r"akta (?:dig|er|sig)(?! för)(?: \w+){0,4} (?:vägen hem|går hem|noga|ikväll|i kväll|nästa gång)",
    r"kan hända vad som helst", r"råka illa ut", r"(?:blir|bli) inte trevligt", r"hälsa på (?:dig|er) (?:hemma|på)",
    r"göra (?:dig|er|honom|henne) illa", r"få (?:en smäll|stryk|på käften|så det känns)",
    r"se likadan\w* ut", r"ingen ska få gå därifrån", r"hälsa (?:familjen|frugan|barnen)",
    r"tänk på det när ni", r"(?:hända|händer) något med (?:er|dig|din|era)",
    r"det lovar jag", r"vore (?:synd|tråkigt) om (?:\w+ ){0,4}(?:brann|brinner|sprängs|fick en repa|hände)",
    r"ni har blivit varnade", r"du har blivit varnad",
    r"(?:se till att|ska) (?:du|ni|han|hon|hen) (?:får|ska få) lida", r"(?:du|ni) ska få lida",
)
# Wishes of death or harm: a wish word and a harm word in one sentence.
_WISH = _rx(r"hoppas|önskar|förtjänar|vore bra om|borde|må (?:ni|du|de)")
_HARM_WORD = _rx(
    r"dö|dör|döda[rs]?|dödas|ihjäl|cancer|skjut\w*|sköt|häng(?:as|s|a)|brinn\w*|sätter eld|eld på|mörda\w*|"
    r"misshandla\w*|våldta\w*|plåga\w*|lida|straffas|ta livet av|tar livet av"
)
_WEAPON = _rx(r"vapen|vapnet|\w*gevär\w*|bössa(?:n)?|pistol\w*|kniv(?:ar|en)?|yxa(?:n)?|järnrör|basebollträ|tillhygg\w*|bomb\w*")
_BRING = _rx(r"(?:kommer|ska|tänker|tar|ta) (?:\w+ ){0,5}(?:med|till)")
_PLACE = _rx(
    r"\w*hus(?:et)?|\w*skola(?:n)?|\w*kontor(?:et)?|\w*möte(?:t)?|mötet|jobbet|förvaltning\w*|receptionen|socialen|"
    r"\w*nämnd\w*|fullmäktige\w*|er|dig|hem till"
)
# Violent verbs used figuratively ("döda tiden", "skjut mig, jag glömde"): removed before reading threats.
_THREAT_FIGURATIVE = _rx(
    r"döda (?:alla |allt )?(?:hopp\w*|tid\w*|(?:den här |denna |hela )?(?:veckan|dagen|kvällen|helgen)|stämningen|"
    r"handeln|\w+ idé\w*|\w*lust\w*)",
    r"skjut mig", r"skjuta (?:sig själv|sig) i foten", r"döda inte", r"spräng(?:a|er|de)? budgeten",
    r"(?:skjut|sköt)\w* (?:inte |aldrig )?(?:upp|fram|på|till)",
)
_ARSON = _rx(
    r"spräng(?:a|er|s|de)?|(?:bränn(?:a|er|s)?|brände) (?:ner|upp)|(?:tänd(?:a|er)?|tände) eld på|(?:sätt(?:a|er)?|satte) eld på"
)
_BUILDING = _rx(
    r"\w*hus(?:et)?|\w*skola(?:n)?|\w*kontor(?:et)?|förvaltning\w*|\w*bibliotek(?:et)?|moské\w*|\w*kyrka(?:n)?|"
    r"synagog\w*|\w*boende(?:t)?"
)
_WEAPON_USE = (
    _rx(r"vapen|\w*gevär\w*|bössa(?:n)?|pistol\w*|kniv(?:ar|en)?|yxa(?:n)?|järnrör|basebollträ|tillhygg\w*"),
    _rx(r"använda (?:dem|det|den)", r"kom(?:ma|mer) (?:hit|dit|förbi|till)", r"lär(?:a)? \w+ en läxa",
        r"vet (?:var|vart|när) (?:\w+ ){0,3}(?:ligger|bor|finns|slutar|jobbar)"),
)
_MENACE = (
    _rx(r"akta (?:dig|er)", r"passa (?:dig|er)", r"se upp"),
    _rx(r"vi ses", r"ensam", r"kvällarna", r"i mörkret", r"inte sista gången", r"vet var"),
)


def _threat(text: str) -> Tag | None:
    text = _THREAT_FIGURATIVE.sub(" ", text)
    if m := _THREAT_PHRASE.search(text):
        return _threat_tag(part("matched", words=f"'{m.group(0).lower()}'"))
    for sentence in _sentences(text):
        question = sentence.rstrip().endswith("?")
        if not question and (m := _INTIMIDATION.search(sentence)):
            if not re.search(r"\b(?:för (?:jag|vi)|eftersom)\b", sentence[m.end() :], _F):
                return _threat_tag(part("menacing", words=f"'{m.group(0).lower()}'"))
        if (w := _WISH.search(sentence)) and (h := _HARM_WORD.search(sentence, w.end())):
            if not re.search(r"\b(?:inte|aldrig|ingen|inga|slipp\w*)\b", sentence[w.start() : h.start()], _F):
                return _threat_tag(part("wish_of_harm", words=_quote([w.group(0), h.group(0)])))
        if (a := _ARSON.search(sentence)) and (b := _BUILDING.search(sentence, a.end())):
            return _threat_tag(part("threat_property", verb=a.group(0).lower(), target=b.group(0)))
        if not question and (b := _BRING.search(sentence)) and (wp := _WEAPON.search(sentence)) and _PLACE.search(sentence):
            return _threat_tag(part("intent_weapon", words=_quote([b.group(0).split()[0], wp.group(0)])))
    for first, second in (_WEAPON_USE, _MENACE):
        if (a := first.search(text)) and (b := second.search(text)):
            return _threat_tag(part("matched", words=_quote([a.group(0), b.group(0)])))
    for sentence in _sentences(text):
        # Each pattern runs once per sentence (per verb it made long sentences quadratic, issue 16).
        intents = [m.end() for m in _INTENT.finditer(sentence)]
        imperative = _IMPERATIVE.match(sentence) is not None
        people = list(_PERSON_TARGET.finditer(sentence))
        things = list(_PROPERTY_TARGET.finditer(sentence))
        for verb in _VIOLENT.finditer(sentence):
            if not (imperative or (intents and intents[0] <= verb.end())):
                continue
            if target := _first_after(people, verb.end()):
                return _threat_tag(part("threat_person", verb=verb.group(0).lower(), target=target.group(0)))
            if target := _first_after(things, verb.end()):
                return _threat_tag(part("threat_property", verb=verb.group(0).lower(), target=target.group(0)))
            if _KILL_ONLY.match(verb.group(0)):
                return _threat_tag(part("threat_intent", verb=verb.group(0).lower()))
    return None


def _first_after(matches: list[re.Match[str]], end: int) -> re.Match[str] | None:
    """The first match starting at or after `end` (matches in text order)."""
    i = bisect_left(matches, end, key=lambda m: m.start())
    return matches[i] if i < len(matches) else None


def _threat_tag(why: Part) -> Tag:
    return Tag("threat", (why, part("advice.threat")), ground="threats_crime")


# --------------------------------------------------------------------------- personal attack

_INSULT_NOUN = (
    r"\w*idiot(?:en|er|erna)?|pucko\w*|dumskall\w*|dumhuvud\w*|mongo\w*|pajas\w*|clown\w*|kärring\w*|"
    r"fitt(?:a|an|or)|hor(?:a|an|or)|råtta|råttor|äckel|parasit(?:er|erna)?|fån(?:e|ar)|nolla|loser|svin|"
    r"skitstövel\w*|monster|kräk|jävel|jäveln|dåre|dårar|as|fegis|lögnare|stolle|tönt\w*|mupp\w*|dumbom|"
    r"knäppgök"
)
_INSULT_ADJ = (
    r"korkad\w*|dum i huvudet|dumma|efterblivn?\w*|äcklig\w*|värdelös\w*|inkompetent\w*|fega?|patetisk\w*|"
    r"hjärndöd\w*|vidrig\w*|oduglig\w*|inte klok"
)
_INSULT = _rx(_INSULT_NOUN, _INSULT_ADJ)
_INSULT_NOUN_RX = re.compile(_INSULT_NOUN, _F)
_SELF = re.compile(r"(?:jag är|jag var|mig som|jag känner mig som|jag kände mig som|jag är en)\s+(?:\w+\s+)?$", _F)
_ADDRESSEE = _rx(
    r"du|din|ditt|dina|ni|er|era|dig",
    r"(?:han|hon|hen|de|dom) är",
    r"\w*tjänstem[aä]n\w*|\w*politiker\w*|\w*handläggare\w*|\w*sekreterare\w*|\w*kommunikatör\w*|\w*personal\w*|"
    r"rektor\w*|lärare\w*|läraren|\w*chef(?:en|er|erna)?",
)
_PLURAL_PEOPLE = re.compile(r"^\w+(?:erna|arna|orna|na)$", _F)
_PREDICATE = re.compile(r"\bär (?:en|ett) (?:\w+ )?$", _F)  # "X är ett äckel" (not "jag är en …")
_WINDOW = 80  # characters before an insult that _SELF, _POINTING and _PREDICATE read
_POINTING = re.compile(r"(?:den|det|de|dom)(?: där)?\s+(?:\w+\s+)?$", _F)  # "den jäveln", "den där idioten"


def _personal_attack(text: str, named: str | None) -> Tag | None:
    for sentence in _sentences(text):
        addressed = _ADDRESSEE.search(sentence) is not None
        starts_with_jag = re.match(r"jag(?!\w)", sentence, _F) is not None
        for m in _INSULT.finditer(sentence):
            # The patterns read only the words just before the insult: a bounded window keeps
            # a sentence of thousands of insults linear (issue 16).
            before = sentence[max(0, m.start() - _WINDOW) : m.start()]
            if _SELF.search(before):
                continue
            word, noun = m.group(0), _INSULT_NOUN_RX.fullmatch(m.group(0))
            pointed = noun and (
                _PLURAL_PEOPLE.match(word)
                or _POINTING.search(before)
                or (not starts_with_jag and _PREDICATE.search(before))
                or sentence.startswith(" som ", m.end())  # "idioten som planerat korsningen"
            )
            if named or pointed or addressed:
                return Tag("personal_attack", (part("insult", word=word.lower()), part("advice.personal_attack")),
                           ground="personal_attack")
    return None


# --------------------------------------------------------------------------- offensive personal data

_NAME = r"[A-ZÅÄÖ][a-zåäöéü]+"
_ROLE = (  # role words are matched case-insensitively inside the otherwise case-sensitive name patterns
    r"(?i:handläggaren|rektorn|läraren|lärarinnan|vaktmästaren|socialsekreteraren|sjuksköterskan|biträdet|"
    r"pedagogen|grannen|granne|pedofilen|tjejen|killen|kvinnan|mannen|\w*tränaren|\w*chefen)"
)
# Each pattern captures the identifying words in group "who".
_IDENTIFIED = [
    re.compile(rf"(?<=\w[\s,(])(?<![.!?]\s)(?P<who>{_NAME} {_NAME})\b"),  # full name inside a sentence
    re.compile(rf"^(?P<who>{_NAME} {_NAME})(?= (?:på|i|är|har|från|som|tar|snor|ljuger)\b)", re.M),
    re.compile(rf"\b(?P<who>{_ROLE} {_NAME})\b"),
    re.compile(rf"\b(?P<who>{_ROLE} (?:på|i|för) (?:\w+ (?:på|i) )?{_NAME})"),
    re.compile(rf",\s*(?P<who>{_NAME}(?: {_NAME})?)\s*,"),  # appositive: "Vaktmästaren på Ekbacken, Stefan, …"
    re.compile(
        rf"(?:^|[.!?]\s+)(?P<who>{_NAME} (?:på|i|från) \w*(?:kontoret|förvaltningen|avdelningen|nämnden|tjänsten|"
        r"enheten|skolan|receptionen|kassan|köket|växeln|kundtjänst))\b"
    ),
    re.compile(rf"^(?P<who>{_NAME}),\s*(?:din|du|ditt|dina)\b"),  # vocative + second person
]
_ACCUSATION = _rx(
    r"(?:full|berusad|onykter|påverkad|dricker|super) på (?:jobbet|arbetet|arbetstid)|skiter i|korruption\w*|"
    r"rattfull\w*|kör (?:full|onykter|berusad)|"
    r"alkoholist\w*|alkis|fyllo|knarka\w*|knarkare|langa\w*|tar mutor|mutad|korrupt\w*|snor|stjäl|"
    r"snattar|tjuv\w*|ljuger|lögnare|misshandlar|slår (?:sina|sin|sitt)|pedofil\w*|våldtäkt\w*|rasist\w*|nazist\w*|"
    r"otrevlig\w*|lat|oduglig\w*|mobbar\w*|trakasserar",
    _INSULT_NOUN,
    _INSULT_ADJ,
)


def _identified_person(text: str) -> str | None:
    for pattern in _IDENTIFIED:
        if m := pattern.search(text):
            return m.group("who")
    return None


def _offensive_personal_data(text: str, named: str | None) -> Tag | None:
    if named and (m := _ACCUSATION.search(text)):
        why = part("identified_person", who=named, word=m.group(0).lower())
        return Tag("offensive_personal_data", (why, part("advice.offensive_personal_data")), ground="personal_data")
    return None


# --------------------------------------------------------------------------- confidential

_ID_NUMBER = re.compile(r"(?<![\d-])((?:18|19|20)?\d{6})([-+]?)(\d{4})(?![\d-])")
_MOBILE = re.compile(r"(?<![\d+])(?:\+46|0046|0)[\s-]?7[02369](?:[\s-]?\d){7}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(?:(?:\+46|0046)[\s-]?[1-9]\d{0,2}|0[1-9]\d{0,2})[\s-](?:\d[\s-]?){5,7}\d(?!\d)")
# Starts only where a run of address characters starts: from anywhere inside a run a failed
# attempt rescans the rest of it, which made long runs of "a." quadratic (issue 16).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", _F)


def _luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        value = int(ch) * (2 - i % 2)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _date_ok(centuries: tuple[int, ...], yy: int, month: int, day: int) -> bool:
    for century in centuries:
        try:
            date(century + yy, month, day)
            return True
        except ValueError:
            pass
    return False


def _identity_kind(match: re.Match[str]) -> str | None:
    """'personnummer', 'samordningsnummer' or None when the date or Luhn check fails."""
    head, sep, tail = match.groups()
    ten = head[-6:] + tail
    if not _luhn_ok(ten):
        return None
    yy, month, day = int(ten[0:2]), int(ten[2:4]), int(ten[4:6])
    kind = "samordningsnummer" if day > 60 else "personnummer"
    day -= 60 if day > 60 else 0
    if len(head) == 8:
        centuries: tuple[int, ...] = (int(head[:2]) * 100,)
    else:  # '+' marks someone aged 100 or more; without a clock accept any plausible century
        centuries = (1800, 1900) if sep == "+" else (1900, 2000)
    return kind if _date_ok(centuries, yy, month, day) else None


def find_identity_numbers(text: str) -> list[str]:
    """Personnummer and samordningsnummer (10 or 12 digits, '-', '+' or no separator), as written,
    that pass both the Luhn check and the date check."""
    return [m.group(0) for m in _ID_NUMBER.finditer(text) if _identity_kind(m)]


def _mask_digits(number: str, keep: int) -> str:
    seen, out = 0, []
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def _confidential(text: str, public: PublicContacts) -> Tag | None:
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for m in _ID_NUMBER.finditer(text):
        if _MOBILE.fullmatch(m.group(0)):
            continue  # a bare 07x-number is read as a phone number
        if kind := _identity_kind(m):
            head, sep, _ = m.groups()
            found.append((kind, f"{head}{sep or '-'}****"))  # kind: personnummer | samordningsnummer
            taken.append(m.span())
    for pattern in (_MOBILE, _LANDLINE):
        for m in pattern.finditer(text):
            if not any(a <= m.start() < b for a, b in taken):
                taken.append(m.span())
                if not public.is_public_phone(m.group(0)):
                    found.append(("telefonnummer", _mask_digits(m.group(0).strip(), 3)))
    for m in _EMAIL.finditer(text):
        if public.is_public_email(m.group(0)):
            continue
        local, domain = m.group(0).split("@", 1)
        found.append(("e-postadress", f"{local[0]}***@{domain}"))
    if not found:
        return None
    kinds = ", ".join(dict.fromkeys(kind for kind, _ in found))
    shown = [{"t": "found_data", "kind": {"t": f"data.{_DATA_KINDS[kind]}"}, "masked": masked} for kind, masked in found]
    return Tag("confidential", (part("listed", items=shown), part("advice.confidential")), "personal_data", kinds)


_DATA_KINDS = {"personnummer": "personnummer", "samordningsnummer": "samordningsnummer",
               "telefonnummer": "phone", "e-postadress": "email"}


# --------------------------------------------------------------------------- political

_PARTY = _rx(
    r"socialdemokrat\w*|sossar\w*|moderaterna\w*|moderater|sverigedemokrat\w*|centerpartie\w*|centern|"
    r"vänsterpartie\w*|kristdemokrat\w*|liberalerna\w*|miljöpartie\w*|de rödgröna|alliansen|"
    r"parti(?:et|er|erna|ets)?|politiker(?:na)?|styret|oppositionen|majoriteten"
)
_PARTY_LETTER = re.compile(r"(?<!\w)(?:S|M|C|V|L|KD|MP|SD)(?!\w)")
_STANCE = _rx(
    r"tycker|tyckte|anser|ansåg|ståndpunkt\w*|åsikt\w*|rösta(?:r|de|t)?|vill|emot|lovade|lovat|\w*löfte\w*|"
    r"styr|styra|samarbet\w*|koalition\w*|lagt (?:något |ett )?förslag|politik|(?:är|var|står) för"
)
_VOTE_ADVICE = _rx(r"(?:vem|vilket parti|vilka) ska (?:jag|vi|man) rösta på", r"\w*vallöfte\w*")
_CAMPAIGN = re.compile(r"(?:^|[.!?]\s+)(rösta (?:på|bort)|gå med i)(?!\w)", _F | re.M)
_CAMPAIGN_COLOUR = _rx(r"rösta (?:rött|blått|grönt|rödgrönt)")


def _political(text: str) -> Tag | None:
    if m := _VOTE_ADVICE.search(text):
        why = f"'{m.group(0).lower()}'"
    else:
        party = _PARTY.search(text) or _PARTY_LETTER.search(text)
        stance = _STANCE.search(text)
        if not (party and stance):
            return None
        why = _quote([party.group(0), stance.group(0)])
    return Tag("political", (part("party_political", words=why), part("advice.political")))


# --------------------------------------------------------------------------- authority advice

_ADVICE = _rx(
    r"(?:(?:får|måste|behöver) (?:jag|vi)|om (?:jag|vi) (?:får|måste|behöver)) (?:\w+ )?"
    r"(?:bygga|riva|bygg\w*|ha|hålla|ställa|sätta upp|hyra ut|fälla|elda|ansluta|gräva|"
    r"söka (?:bygg|mark|riv)lov|söka tillstånd)",
    r"behöver (?:jag|vi) (?:söka )?(?:bygglov|marklov|rivningslov|tillstånd|anmäla)",
    r"(?:(?:har|hade) (?:jag|vi)|om (?:jag|vi) (?:har|hade)) (?:\w+ )?rätt till",
    r"blir det (?:\w+are) för (?:mig|oss)",
    r"kostar det (?:för )?(?:mig|oss)",
    r"(?:sänks|höjs|ändras|påverkas) (?:då )?(?:\w+ )?\w*(?:avgift|skatt|bidrag|stöd)\w* "
    r"(?:\w+ ){0,3}för (?:mig|oss)",
    r"(?:får (?:jag|vi)|blir det) avslag",
    r"(?:avslag|avslogs|avslagen|nekad\w*|fick nej)\b.{0,300}?\b"
    r"(?:vad (?:ska|bör|kan) (?:jag|vi) göra|(?:ska|bör) (?:jag|vi))",
    r"(?:kan|får|kommer) (?:jag|vi) (?:att )?få (?:\w+ )?"
    r"(?:bygglov|bistånd|\w*bidrag|\w*stöd|ersättning|tillstånd|bostadsanpassning|bostadstillägg|\w*plats)",
    r"räknas (?:jag|vi) som",
    r"(?:ska|bör|borde) (?:jag|vi) överklaga",
    r"(?:lönt|värt|idé) (?:att )?överklaga",
    r"lönar det sig för (?:mig|oss)",
    r"vad blir (?:\w*skatten|\w*avgiften|kostnaden) för (?:mig|oss)",
    r"(?:hur (?:mycket|stor|hög)) blir (?:\w*skatten|\w*avgiften|kostnaden)",
    r"måste (?:jag|vi) betala",
    r"påverka\w* (?:mitt|min|mina|vårt|vår|våra) \w+",
    r"blir det återkrav",
)


def _authority_advice(text: str) -> Tag | None:
    if m := _ADVICE.search(text):
        return Tag("authority_advice", (part("matched", words=f"'{m.group(0).lower()}'"), part("advice.authority_advice")))
    return None


# --------------------------------------------------------------------------- removal grounds (M1)

_FOLK = r"(?:invandrar\w*|muslim\w*|jud(?:ar|arna|e)|romer\w*|somalier\w*|araber\w*|flykting(?:ar|arna))"
# A sum of money: digits in groups of thousands ("10 000 kr"), one way to read each (issue 16: linear).
_AMOUNT = r"\d+(?:[ \u00a0]\d+)*\s*(?:kr|kronor|:-)"
_GROUND_RULES: list[tuple[str, re.Pattern[str]]] = [  # shown as classify.ground_label.<ground>
    (
        "offensive_remarks",
        _rx(
            r"kärring\w*|fjoll\w*|mongo\w*|efterbliv\w*|hor(?:a|an|or)",
            r"(?:typiskt|alla|såna|sådana|jävla) "
            r"(?:kvinnor|tjejer|fruntimmer|bögar|flator|gamlingar|tanter|gubbar)",
            r"(?:kvinnor|tjejer|bögar|gamlingar) (?:ska|borde|kan|klarar) (?:ju )?inte",
        ),
    ),
    (
        "hate",
        _rx(
            r"zigenar\w*|svartskall\w*|blatt(?:e|ar|arna)|negr\w*",
            r"\w*pack(?:et)?(?= har| ska| borde)",
            rf"(?:jävla|förbannade|äckliga|smutsiga) {_FOLK}",
        ),
    ),
    (
        "illegal_imagery",
        _rx(r"\w*porr\w*", r"porn\w*", r"nakenbild\w*", r"nudes", r"xxx"),
    ),
    (
        "copyright",
        _rx(
            r"piratkopi\w*|torrent\w*|piratebay",
            r"(?:streama|ladda ner|se hela) (?:\S+ ){0,3}gratis",
            r"\w+filmen gratis",
        ),
    ),
    (
        "impersonation",
        _rx(
            r"jag är (?:kommunchef(?:en)?|kommundirektör(?:en)?|kommunstyrelsens ordförande|borgmästare(?:n)?|"
            r"polis(?:en)?) (?:och|som) (?:\w+ )?(?:meddelar|beslutat|beslutar|informerar)",
            r"officiellt (?:besked|meddelande) från",
        ),
    ),
    (
        "money_offers",
        _rx(
            rf"(?:jag|vi) (?:betalar|ger|bjuder) (?:\w+ )?{_AMOUNT}",
            rf"(?<!\d[ \u00a0]){_AMOUNT} till (?:den|de) som",
            r"tjäna (?:\d[\d\s]*(?:kr|kronor|:-)|extra pengar|snabba pengar)",
            r"gratis (?:iphone|ipad|presentkort\w*)",
            r"vinn (?:en|ett)",
            r"de första \d+ som",
        ),
    ),
    (
        "harmful_links",
        _rx(
            r"(?:bit\.ly|tinyurl\.com|goo\.gl|t\.co|is\.gd)/\S+",
            r"(?<!\S)\S*(?:faceb00k|g00gle|paypa1|swedbenk|bankid-\w+)\S*",  # whole tokens: linear
            r"(?<!\S)\S+\.(?:ru|cn|xyz|top|click)(?:/\S*)?",
            r"verifiera (?:ditt |ert )?konto\w*",
            r"ditt konto (?:kommer att )?(?:stängas|spärras)",
        ),
    ),
    (
        "advertising",
        _rx(
            r"köp (?:nu|här|\w*billig\w*)",
            r"\w*rabattkod\w*",
            r"bästa pris\w*|bra pris",
            r"boka nu|beställ (?:nu|här)",
            r"länk(?:en)? i (?:min |vår )?(?:profil|bio)",
            r"klicka (?:här|på länken)",
            r"gratis frakt",
            r"\d+ ?% rabatt|med koden|\d+ för \d+",
            r"följ (?:min|vår) sida",
            r"(?:gratis )?erbjudanden",
            r"(?:jobba|tjäna|arbeta|pengar)\w*(?: \w+){0,4} hemifrån",
        ),
    ),
]
# Profanity (issue 15) is its own low-weight tag: swearing alone is no removal ground. The tag
# carries the ground "profanity" so that a policy which lists it (Vaggeryd, Tyresö) can still
# suggest removal; other policies never do (moderation only suggests grounds the policy allows).
_PROFANITY = _rx(
    r"jävl\w*|jävel|jäveln|(?<!till ett )\w*helvet\w*|satan\w*|fitt(?:a|an|or|orna)|kuk(?:en|ar)?|knull\w*|fanskap\w*|"
    r"förbannad\w*",
    r"(?:fy|vad|för|å|men|ta mig|dra åt|så in i|när|hur|var|varför|vem|nu) fan",
    r"fan (?:också|heller|va|vad|är|har|ska|kan|ta|i helvete)",
    r"^fan",
    r"skit(?:dålig|snack|stövel|jobb|tråkig|kass|bra|kul|mycket)\w*",  # swearing intensifiers; not "skitig"
    r"skit i (?:att|det|er|dig)",
    flags=_F | re.M,
)


def _profanity(text: str) -> Tag | None:
    if hits := _hits(_PROFANITY, text):
        return Tag("profanity", (part("profanity", words=_quote(hits[:3])), part("advice.profanity")),
                   ground="profanity")
    return None


# Identity-based hate without a slur (issue 15): a group named by origin or religion (hate) or by
# sex, sexuality, disability or age (offensive remarks) together with a demeaning, excluding or
# dehumanising statement, anywhere in the comment.
_HATE_GROUP = _rx(
    _FOLK,
    r"invandrar\w*|muslim\w*|jud(?:ar|arna|e|iska)|rom(?:er|erna|ska)|somali\w*|arab\w*|flykting\w*|asylsökande|"
    r"afghan\w*|utlänning\w*|afrikan\w*|svarta|nysvensk\w*|irakier\w*|syrier\w*|eritrean\w*|polack\w*|zigenar\w*",
)
_OTHER_GROUP = _rx(
    r"kvinnor(?:na)?|tjejer(?:na)?|fruntimmer|bögar(?:na)?|homosexuella|flator|lesbiska|transperson\w*|"
    r"handikappade|funktionshindrade|rullstolsburna|autister|utvecklingsstörda|gamlingar(?:na)?"
)
_HATE_CUE = _rx(
    r"skicka (?:hem|tillbaka)|åk(?:a|er)? hem|ut ur|förstör\w*|parasit\w*|kör bort|köras ut|kasta ut|stoppa moské\w*|"
    r"utrota\w*|ohyra|pack(?:et)?|råttor|kackerlackor|djur(?:en)?",
    r"utvisa\w*|deporter\w*|styr (?:allt|världen|medierna|bankerna)|hör inte hemma|ska inte (?:få )?bo",
    r"(?:ska|borde|bör) inte få (?:bo|jobba|arbeta|gå|vara|leda|finnas)|hållas borta|stängas ute",
    r"lägre intelligens|(?:psykiskt )?sjuka i huvudet|psykiskt sjuka|onaturlig\w*|äckliga|efterblivna",
    r"våldtäktsmän|kriminella allihop|ligger bakom (?:all|alla)|(?:är )?en fara för|tar över|förökar sig|"
    r"\w+håla|riktiga svenskar|stjäl allt|snyltar\w*|snyltare|försörja alla|klarar inte (?:att|av)|"
    r"(?:till|i) (?:ett )?läger",
    r"(?:borde|ska|bör) (?:\w+ )?(?:skjutas|hängas|dö|avrättas|gasas|brännas|dödas|utrotas)",
    r"(?:skjut|döda|mörda|häng|bränn|spräng|gasa|utrota)a? (?:alla|dem|varenda|hela)",
    r"hålla käften|vid spisen|inte (?:är )?människor",
)


def _removals(text: str) -> list[Tag]:
    tags = []
    for ground, pattern in _GROUND_RULES:
        hits = _hits(pattern, text)
        if ground == "hate" and (group := _HATE_GROUP.search(text)) and (cue := _HATE_CUE.search(text)):
            hits += [group.group(0), cue.group(0)]
        if ground == "offensive_remarks" and (group := _OTHER_GROUP.search(text)) and (cue := _HATE_CUE.search(text)):
            hits += [group.group(0), cue.group(0)]
        if hits:
            tags.append(Tag("removal", (part("ground_matched", ground={"t": f"ground_label.{ground}"},
                                                 words=_quote(hits[:3])),), ground=ground))
    if m := _CAMPAIGN_COLOUR.search(text):
        tags.append(Tag("removal", (part("campaign", words=f"'{m.group(0).lower()}'"),), ground="political"))
    elif (m := _CAMPAIGN.search(text)) and (party := _PARTY.search(text) or _PARTY_LETTER.search(text)):
        tags.append(Tag("removal", (part("campaign", words=_quote([m.group(1), party.group(0)])),), ground="political"))
    return sorted(tags, key=lambda t: GROUND_IDS.index(t.ground or ""))


# --------------------------------------------------------------------------- no reply needed

_CHATTER = re.compile(
    r"^\s*(?:@\S+ kommun\s+)?(?:@(?!\S*kommun)\S+|(?:stort |tusen |varmt |ett stort )?tack\b|grattis\b|"
    r"håller (?:helt |fullständigt )?med\b|(?:ha){2,}|(?:he){2,}|lol\b"
    rf"|(?-i:{_NAME} {_NAME})\s+(?:kolla|titta|läs|se)\b)",
    _F,
)


def _no_reply_needed(text: str) -> Tag | None:
    if not re.search(r"[^\W\d_]", text):
        return Tag("no_reply_needed", (part("only_symbols"), part("advice.no_reply_needed")))
    if m := _CHATTER.match(text):
        return Tag("no_reply_needed", (part("chatter", words=m.group(0).strip()), part("advice.no_reply_needed")))
    return None


# --------------------------------------------------------------------------- entry point


def classify(text: str, public: PublicContacts | None = None) -> list[Tag]:
    """All tags for one item, in TAG_IDS order; removal tags in GROUND_IDS order.

    `public` holds the municipality's own contact details (config `municipality.public_phones`,
    `public_email_domains`): quoting them is never personal data."""
    named = _identified_person(text)
    question = _question_reason(text)
    threat = _threat(text)
    tags: list[Tag | None] = [
        Tag("question", (question,)) if question else None,
        _synpunkt(text),
        _crisis(text, threat is not None),
        *_removals(text),
        _offensive_personal_data(text, named),
        _personal_attack(text, named),
        threat,
        _confidential(text, public or PublicContacts()),
        _political(text) if question else None,
        _authority_advice(text) if question else None,
        _profanity(text),
    ]
    found = [t for t in tags if t]
    if not found and (quiet := _no_reply_needed(text)):
        found.append(quiet)
    return sorted(found, key=lambda t: TAG_IDS.index(t.id))
