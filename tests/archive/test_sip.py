"""The archival package (issue 12 point 5): `uppsikt export sip` writes an E-ARK SIP 2.1 / FGS Paketstruktur
2.0 package that the E-ARK validator (PyPI eark-validator) accepts, with every archive event in PREMIS, the
original JSON and a PDF/A rendering, SHA-256 checksums, the archive creator, diarium references and secrecy
flags. Bad input gets a Swedish message and writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lxml import etree

from bot.cli import main
from bot.export import sip
from bot.settings import DEFAULT_CONFIG, load_settings
from tests.archive import world
from tests.archive.eark import validate
from tests.archive.pdfa_markers import problems
from tests.conftest import Harness, local

NS = {"m": sip.METS_NS, "x": sip.XLINK_NS, "p": sip.PREMIS_NS, "r": sip.RECORDS_NS, "dc": sip.DC_NS,
      "csip": sip.CSIP_NS}
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def filled(tmp_path):
    h = Harness(load_settings(DEFAULT_CONFIG), local(2026, 3, 2, 8, 0), db=tmp_path / "data" / "uppsikt.db")
    ids = world.fill(h)
    h.clock.set(local(2026, 4, 2, 10, 0))
    return h, ids


def _files(package: Path) -> list[tuple[str, ET.Element]]:
    """Every file and metadata reference of both METS files, with its path from the package root."""
    out = []
    for mets, base in ((package / "METS.xml", ""), (package / "representations/rep1/METS.xml", "representations/rep1/")):
        root = ET.parse(mets).getroot()
        for f in root.iter(f"{{{sip.METS_NS}}}file"):
            out.append((base + f.find("m:FLocat", NS).get(f"{{{sip.XLINK_NS}}}href"), f))
        for ref in root.iter(f"{{{sip.METS_NS}}}mdRef"):
            out.append((base + ref.get(f"{{{sip.XLINK_NS}}}href"), ref))
    return out


def test_a_package_passes_the_eark_validator_and_keeps_every_event(filled, tmp_path):
    h, ids = filled
    out = tmp_path / "paket"
    package = sip.write(h.ctx, "facebook", *MARCH, out)
    assert validate(out) == []
    assert (package.objects, package.files) == (len(ids), 13)

    # every file in the package is listed with its size, MIME type and SHA-256, and nothing is unlisted
    listed = _files(out)
    for rel, el in listed:
        data = (out / rel).read_bytes()
        assert el.get("CHECKSUMTYPE") == "SHA-256"
        assert el.get("CHECKSUM") == hashlib.sha256(data).hexdigest().upper(), rel
        assert el.get("SIZE") == str(len(data)), rel
        assert el.get("MIMETYPE") == sip.MIME[Path(rel).suffix], rel
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk - {rel for rel, _ in listed} == {"METS.xml"}
    assert not list(tmp_path.glob(".paket.*"))  # the temporary folder is gone

    # both METS files are valid against the METS schema shipped in the package
    schema = etree.XMLSchema(etree.parse(str(out / "schemas" / "mets.xsd")))
    for mets in (out / "METS.xml", out / "representations/rep1/METS.xml"):
        assert schema.validate(etree.parse(str(mets))), schema.error_log

    root = ET.parse(out / "METS.xml").getroot()
    assert root.get("OBJID") == "uppsikt-facebook-2026-03-01-2026-03-31" and root.get("PROFILE") == sip.SIP_PROFILE
    assert root.get(f"{{{sip.CSIP_NS}}}CONTENTINFORMATIONTYPE") == "MIXED"
    archivist = root.find("m:metsHdr/m:agent[@ROLE='ARCHIVIST']", NS)
    assert archivist.find("m:name", NS).text == "Ekby kommun, kommunstyrelsen"
    assert archivist.find("m:note", NS).text == "212000-0000"
    assert archivist.find("m:note", NS).get(f"{{{sip.CSIP_NS}}}NOTETYPE") == "IDENTIFICATIONCODE"

    # PREMIS: every event the archive holds, with the ground and the decision-maker of a removal
    premis = ET.parse(out / "metadata/preservation/premis.xml").getroot()
    kinds = [e.find("p:eventType", NS).text for e in premis.findall("p:event", NS)]
    assert set(kinds) == {"captured", "edited", "hidden", "unhidden", "deleted", "removed", "registered", "weeded"}
    assert len(kinds) == h.ctx.db["archive_events"].count
    removals = [e for e in premis.findall("p:event", NS) if e.find("p:eventType", NS).text == "removed"]
    attack = next(e for e in removals if e.find("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue", NS).text
                  == f"obj-{ids['c4']}")
    assert attack.find("p:eventOutcomeInformation/p:eventOutcome", NS).text == "personal_attack"
    agent = attack.find("p:linkingAgentIdentifier", NS)
    assert (agent.find("p:linkingAgentIdentifierValue", NS).text, agent.find("p:linkingAgentRole", NS).text) == (
        "lena@example.se", "decision-maker")
    names = {a.find("p:agentIdentifier/p:agentIdentifierValue", NS).text: a.find("p:agentName", NS).text
             for a in premis.findall("p:agent", NS)}
    assert names["lena@example.se"] == "Lena Berg" and names["karin@example.se"] == "Karin Sjöberg"
    deleted = next(e for e in premis.findall("p:event", NS) if e.find("p:eventType", NS).text == "deleted")
    assert deleted.find("p:linkingAgentIdentifier/p:linkingAgentRole", NS).text == "implementer"

    # descriptive: diarium references and secrecy flags where set
    records = {r.get("externalId"): r for r in ET.parse(out / "metadata/descriptive/records.xml").getroot()}
    assert [x.text for x in records["c5"].findall("r:diariumReference", NS)] == ["KS 2026/123"]
    assert records["c6"].get("secrecy") == "true" and records["c5"].get("secrecy") == "false"
    assert records["c4"].get("state") == "deleted" and records["p1"].get("own") == "true"
    dc = ET.parse(out / "metadata/descriptive/dc.xml").getroot()
    assert dc.find("dc:creator", NS).text == "Ekby kommun, kommunstyrelsen"
    assert dc.find("dc:date", NS).text == "2026-03-01/2026-03-31"

    # the representation: the original JSON of every version, and the PDF/A rendering
    original = json.loads((out / "representations/rep1/data/original.json").read_text(encoding="utf-8"))
    c1 = next(o for o in original if o["external_id"] == "c1")
    assert [v["raw"]["message"] for v in c1["versions"]] == ["Varför är badet stängt?", "Varför är badet stängt i dag?"]
    assert problems(out / "representations/rep1/data/rendering.pdf") == []
    rep = ET.parse(out / "representations/rep1/METS.xml").getroot()
    pdf = rep.find("m:fileSec/m:fileGrp/m:file[@MIMETYPE='application/pdf']", NS)
    assert pdf.get(f"{{{sip.SIP_NS}}}FILEFORMATKEY") == "fmt/476"


def test_the_period_decides_what_is_in_the_package(filled, tmp_path):
    h, _ = filled
    sip.write(h.ctx, "facebook", dt.date(2026, 3, 3), dt.date(2026, 3, 3), tmp_path / "tredje")
    assert validate(tmp_path / "tredje") == []
    original = json.loads((tmp_path / "tredje/representations/rep1/data/original.json").read_text(encoding="utf-8"))
    # the comments of the 3rd, under their post from the 2nd shown as context
    assert [(o["external_id"], o["in_period"]) for o in original] == [
        ("p1", False), ("c2", True), ("c3", True), ("c4", True), ("c5", True), ("c6", True), ("c7", True)]
    empty = sip.write(h.ctx, "instagram", *MARCH, tmp_path / "tomt")
    assert empty.objects == 0 and validate(tmp_path / "tomt") == []


def _cli(tmp_path: Path, *args: str) -> int:
    return main(["export", "sip", "--config", str(DEFAULT_CONFIG), "--db", str(tmp_path / "data" / "uppsikt.db"),
                 *args])


def test_cli_writes_a_valid_package(filled, tmp_path, capsys):
    out = tmp_path / "ut" / "paket"
    assert _cli(tmp_path, "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert "Arkivpaketet för Ekby kommun" in said and "9 inlägg" in said and str(out) in said
    assert validate(out) == []


@pytest.mark.parametrize("args, says", [
    (("--account", "youtube", "--from", "2026-03-01", "--to", "2026-03-31"), "känner inte till kontot \"youtube\""),
    (("--account", "facebook", "--from", "2026-13-01", "--to", "2026-03-31"), "2026-13-01"),
    (("--account", "facebook", "--from", "1 mars", "--to", "2026-03-31"), "1 mars"),
    (("--account", "facebook", "--from", "2026-03-31", "--to", "2026-03-01"), "före från-datumet"),
])
def test_cli_bad_input_gets_a_swedish_message_and_writes_nothing(filled, tmp_path, capsys, args, says):
    out = tmp_path / "paket"
    assert _cli(tmp_path, *args, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert says in err
    assert not out.exists() and not list(tmp_path.glob(".paket.*"))


def test_cli_refuses_a_folder_that_is_not_empty_or_a_file(filled, tmp_path, capsys):
    out = tmp_path / "paket"
    out.mkdir()
    (out / "annat.txt").write_text("mitt", encoding="utf-8")
    assert _cli(tmp_path, "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out)) == 2
    assert "finns redan och är inte tom" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["annat.txt"] and not list(tmp_path.glob(".paket.*"))
    file = tmp_path / "fil"
    file.write_text("x", encoding="utf-8")
    assert _cli(tmp_path, "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(file)) == 2
    assert "är en fil" in capsys.readouterr().err and file.read_text(encoding="utf-8") == "x"
    empty = tmp_path / "tom"
    empty.mkdir()
    assert _cli(tmp_path, "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(empty)) == 0
    assert validate(empty) == []


def test_a_failure_while_writing_leaves_nothing(filled, tmp_path, monkeypatch):
    h, _ = filled
    from bot.export import pdfa

    def broken(*args, **kwargs):
        raise OSError("disken är full")

    monkeypatch.setattr(pdfa, "render", broken)
    with pytest.raises(OSError):
        sip.write(h.ctx, "facebook", *MARCH, tmp_path / "paket")
    assert not (tmp_path / "paket").exists() and not list(tmp_path.glob(".paket.*"))


def test_the_validator_check_can_fail(filled, tmp_path):
    """A package with a wrong checksum structure or a missing representation is refused (the check is real)."""
    h, _ = filled
    out = tmp_path / "paket"
    sip.write(h.ctx, "facebook", *MARCH, out)
    text = (out / "METS.xml").read_text(encoding="utf-8")
    (out / "METS.xml").write_text(text.replace(' OBJID="uppsikt-facebook-2026-03-01-2026-03-31"', ""), encoding="utf-8")
    assert any(p.startswith("CSIP1:") or "OBJID" in p for p in validate(out))
    import shutil

    shutil.rmtree(out / "representations")
    assert validate(out)


def test_without_pango_the_cli_says_what_to_install_and_writes_nothing(filled, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if WeasyPrint or Pango could not be loaded
    out = tmp_path / "paket"
    assert _cli(tmp_path, "--account", "facebook", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "inget paket är skrivet" in err and "libpango-1.0-0" in err
    assert not out.exists() and not list(tmp_path.glob(".paket.*"))
