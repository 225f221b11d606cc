"""The E-ARK validator (PyPI eark-validator) run offline.

eark-validator 1.1 builds its Schematron vocabulary tests at import by reading four CSIP vocabularies
from their URLs (earkcsip.dilcis.eu), although the same files ship inside the package
(eark_validator/ipxml/resources/vocabs). Tests never call the internet, so the import is made with
`urlopen` answering those URLs from the shipped copies and refusing every other address."""

from __future__ import annotations

import urllib.request
from importlib.resources import files
from pathlib import Path

VOCABULARY_URL = "https://earkcsip.dilcis.eu/schema/"


def _offline_urlopen(url, *args, **kwargs):
    url = getattr(url, "full_url", url)
    name = str(url).rsplit("/", 1)[-1]
    if str(url).startswith(VOCABULARY_URL):
        path = Path(str(files("eark_validator.ipxml.resources.vocabs").joinpath(name)))
        if path.is_file():
            return path.open("rb")
    raise AssertionError(f"the E-ARK validator tried to fetch {url}; tests never call the internet")


def _import_validator():
    real = urllib.request.urlopen
    urllib.request.urlopen = _offline_urlopen
    try:
        from eark_validator.packages import PackageValidator
    finally:
        urllib.request.urlopen = real
    return PackageValidator


def _only_the_software_creator(mets: Path) -> bool:
    """The package names exactly one CREATOR agent: the software, with its one SOFTWARE VERSION note (CSIP10-16)."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://www.loc.gov/METS/"}
    csip = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}NOTETYPE"
    creators = ET.parse(mets).getroot().findall("m:metsHdr/m:agent[@ROLE='CREATOR']", ns)
    if len(creators) != 1:
        return False
    agent = creators[0]
    notes = agent.findall("m:note", ns)
    return (agent.get("TYPE"), agent.get("OTHERTYPE")) == ("OTHER", "SOFTWARE") and len(notes) == 1 \
        and notes[0].get(csip) == "SOFTWARE VERSION"


def known_contradiction(path: Path, rule_id: str, location: str) -> bool:
    """eark-validator 1.1.3's SIP14 asks the CREATOR agent's note for an unqualified NOTETYPE attribute of value
    IDENTIFICATIONCODE, while CSIP15 and CSIP16 (the same validator) require that agent to be the software with
    exactly one note whose csip:NOTETYPE is SOFTWARE VERSION, and the METS schema allows no unqualified attribute
    on a note. No schema-valid package satisfies both, so SIP14 on that one note is the only error let through,
    and only when the package has nothing but the software as its creator."""
    return rule_id == "SIP14" and "mets:agent[@ROLE = 'CREATOR']/mets:note" in location \
        and _only_the_software_creator(Path(path) / "METS.xml")


def validate(path: Path) -> list[str]:
    """Every ERROR the validator reports for the package folder (structure, METS schema, CSIP and SIP
    Schematron rules), as "RULE: message" lines, less the one known contradiction above; an empty list is a
    valid package."""
    report = _import_validator()(Path(path)).validation_report
    problems = [f"{m.rule_id}: {m.message}" for m in report.structure.messages if m.severity.value == "Error"]
    if report.metadata is None:
        return problems + ["the validator produced no metadata results"]
    for results in (report.metadata.schema_results, report.metadata.schematron_results):
        problems += [f"{m.rule_id}: {m.location} {m.message}" for m in results.messages
                     if m.severity.value == "Error" and not known_contradiction(path, m.rule_id, m.location)]
    return problems


def report(path: Path):
    return _import_validator()(Path(path)).validation_report
