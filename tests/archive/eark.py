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


def validate(path: Path) -> list[str]:
    """Every ERROR the validator reports for the package folder (structure, METS schema, CSIP and SIP
    Schematron rules), as "RULE: message" lines; an empty list is a valid package."""
    report = _import_validator()(Path(path)).validation_report
    problems = [f"{m.rule_id}: {m.message}" for m in report.structure.messages if m.severity.value == "Error"]
    if report.metadata is not None:
        for results in (report.metadata.schema_results, report.metadata.schematron_results):
            problems += [f"{m.rule_id}: {m.location} {m.message}" for m in results.messages
                         if m.severity.value == "Error"]
    return problems


def report(path: Path):
    return _import_validator()(Path(path)).validation_report
