"""The samples under docs/samples/ (issue 12 "Done when"): a snapshot PDF of the example account that a
records officer can open, and a small SIP. They are made by `python -m tests.samples`; this checks that they
are there, carry the PDF/A markers, pass the E-ARK validator and are what the generator makes today."""

from __future__ import annotations

import zipfile

from tests import samples
from tests.archive.eark import validate
from tests.archive.pdfa_markers import problems


def test_the_committed_snapshot_is_pdfa_and_the_sip_is_valid(tmp_path):
    pdf = samples.SAMPLES / f"{samples.SNAPSHOT}.pdf"
    assert pdf.is_file() and problems(pdf) == []
    with zipfile.ZipFile(samples.SAMPLES / f"{samples.SIP}.zip") as z:
        z.extractall(tmp_path)
    package = tmp_path / samples.SIP
    assert (package / "METS.xml").is_file() and validate(package) == []
    assert problems(package / "representations/rep1/data/rendering.pdf") == []


def test_the_samples_are_what_the_generator_makes(tmp_path):
    written = samples.generate(tmp_path)
    assert {p.name for p in written} == {p.name for p in samples.SAMPLES.iterdir()}
    for name in (f"{samples.SNAPSHOT}.json", f"{samples.SIP}.txt"):
        assert (tmp_path / name).read_bytes() == (samples.SAMPLES / name).read_bytes(), (
            f"docs/samples/{name} is out of date: run python -m tests.samples")
