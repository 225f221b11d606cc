"""An archival package per account and period: E-ARK SIP 2.1 (CSIP 2.1), which is what Riksarkivet's
FGS Paketstruktur 2.0 is (issue 12 point 5; `uppsikt export sip`).

Layout (CSIP folder structure)::

    METS.xml                                 root METS: CSIP/SIP profile, agents (Uppsikt as software creator,
                                             the archive creator as ARCHIVIST, the municipality as submitter)
    documentation/om-paketet.txt             what the package holds, in the municipality's language
    schemas/                                 mets.xsd, xlink.xsd and the DILCIS CSIP and SIP extensions
    metadata/descriptive/dc.xml              Dublin Core of the package
    metadata/descriptive/records.xml         every object: kind, author, time, diarium references, secrecy
    metadata/preservation/premis.xml         PREMIS 3: the objects and every event of archive_events
                                             (captured, edited, hidden, unhidden, deleted, removed with
                                             ground and decision-maker, registered, weeded) and the agents
    representations/rep1/METS.xml            the representation's own METS
    representations/rep1/data/original.json  the platform's original JSON of every version
    representations/rep1/data/rendering.pdf  the same threads as PDF/A-2b (bot/export/pdfa.py)
    representations/rep1/data/media/         the attachments the archive fetched (bot/core/media.py), named by
                                             their SHA-256; records.xml and original.json say which object each
                                             belongs to, and list an attachment that could not be fetched with
                                             its status and reason (the readme counts them)
    representations/rep1/metadata/preservation/premis.xml   the data files with format, size and fixity

Every file is listed with its MIME type, size and SHA-256 checksum. The package is written to a hidden
folder beside the target and moved into place at the end, so bad input or a failure writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from bot import __version__
from bot.clock import from_epoch, to_epoch
from bot.core import media
from bot.core.context import Context
from bot.export import archive_view, pdfa, rendering

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
RECORDS_NS = "urn:uppsikt:records:1"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMAS = ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd")
SCHEMA_LOCATION = (f"{METS_NS} schemas/mets.xsd {XLINK_NS} schemas/xlink.xsd "
                   f"{CSIP_NS} schemas/DILCISExtensionMETS.xsd {SIP_NS} schemas/DILCISExtensionSIPMETS.xsd")
REP = "rep1"
CONTENT_TYPE = "Social media (Uppsikt: original JSON and PDF/A)"
MIME = {".xml": "application/xml", ".xsd": "application/xml", ".json": "application/json",
        ".pdf": "application/pdf", ".txt": "text/plain", **{ext: mime for mime, ext in media.MEDIA_TYPES.items()}}
# PRONOM ids of the data files' formats (E-ARK SIP: sip:FILEFORMATREGISTRY / FILEFORMATKEY)
PRONOM = {".json": ("JSON", "fmt/817"), ".pdf": ("PDF/A-2b", "fmt/476")}

for prefix, uri in (("mets", METS_NS), ("xlink", XLINK_NS), ("xsi", XSI_NS), ("csip", CSIP_NS), ("sip", SIP_NS),
                    ("premis", PREMIS_NS), ("dc", DC_NS), ("oai_dc", OAI_DC_NS),
                    ("records", RECORDS_NS)):
    ET.register_namespace(prefix, uri)


@dataclass(frozen=True)
class Package:
    path: Path
    objid: str
    objects: int
    events: int
    files: int
    attachments: int = 0  # attachment files in the package (bot/core/media.py)
    missing: int = 0  # attachments of its objects that are not in it (failed, refused, pending, weeded, missing)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _m(tag: str) -> str:
    return _q(METS_NS, tag)


def _sub(_parent: ET.Element, _tag: str, _text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(_parent, _tag, {k: v for k, v in attrs.items()})
    if _text is not None:
        el.text = _text
    return el


def _iso(ts: int | dt.datetime) -> str:
    return (from_epoch(ts) if isinstance(ts, int) else ts).isoformat(timespec="seconds")


def _write_xml(root: ET.Element, path: Path) -> None:
    ET.indent(root, space="  ")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


# --------------------------------------------------------------------------- input


def resolve_account(ctx: Context, account_id: str):
    """A watched account, or one closed since (its row in the accounts table)."""
    key = (account_id or "").strip().lower()
    if key in ctx.accounts:
        return ctx.accounts[key]
    row = ctx.db.execute("SELECT id, platform, name, documentation FROM accounts WHERE id = ?", [key]).fetchone()
    if row is None:
        raise ctx.refusal("snapshots.sip.unknown_account", "account", account=account_id,
                          known=", ".join(ctx.accounts))
    try:
        url = json.loads(row[3] or "{}").get("url", "")
    except ValueError:
        url = ""
    return SimpleNamespace(id=row[0], platform=row[1], name=row[2], url=url)


def check_out(ctx: Context, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ctx.refusal("snapshots.sip.not_a_folder", "out", path=str(out))
    if out.is_dir() and any(out.iterdir()):
        raise ctx.refusal("snapshots.sip.not_empty", "out", path=str(out), suggestion=f"{out.name}-ny")


# --------------------------------------------------------------------------- files


class _Files:
    """Every file written, with its MIME type, size, checksum and a METS id."""

    def __init__(self, root: Path, created: str):
        self.root = root
        self.created = created
        self.info: dict[str, dict] = {}

    def add(self, rel: str, fid: str) -> dict:
        path = self.root / rel
        info = {"rel": rel, "id": fid, "size": str(path.stat().st_size), "sha": pdfa.sha256(path).upper(),
                "mime": MIME.get(path.suffix, "application/octet-stream"), "suffix": path.suffix}
        self.info[rel] = info
        return info

    def file_element(self, grp: ET.Element, info: dict, href: str, *, data: bool = False) -> ET.Element:
        attrs = {"ID": info["id"], "MIMETYPE": info["mime"], "SIZE": info["size"], "CREATED": self.created,
                 "CHECKSUM": info["sha"], "CHECKSUMTYPE": "SHA-256"}
        if data and info["suffix"] in PRONOM:
            name, key = PRONOM[info["suffix"]]
            attrs |= {_q(SIP_NS, "FILEFORMATNAME"): name, _q(SIP_NS, "FILEFORMATREGISTRY"): "PRONOM",
                      _q(SIP_NS, "FILEFORMATKEY"): key}
        f = _sub(grp, _m("file"), **attrs)
        _sub(f, _m("FLocat"), **{"LOCTYPE": "URL", _q(XLINK_NS, "type"): "simple", _q(XLINK_NS, "href"): href})
        return f

    def md_ref(self, parent: ET.Element, info: dict, href: str, mdtype: str, other: str = "") -> ET.Element:
        attrs = {"ID": info["id"], "LOCTYPE": "URL", _q(XLINK_NS, "type"): "simple", _q(XLINK_NS, "href"): href,
                 "MDTYPE": mdtype, "MIMETYPE": info["mime"], "SIZE": info["size"], "CREATED": self.created,
                 "CHECKSUM": info["sha"], "CHECKSUMTYPE": "SHA-256"}
        if other:
            attrs["OTHERMDTYPE"] = other
        return _sub(parent, _m("mdRef"), **attrs)


# --------------------------------------------------------------------------- metadata


def _dc(ctx: Context, account, start: dt.date, end: dt.date, objid: str, label: str) -> ET.Element:
    root = ET.Element(_q(OAI_DC_NS, "dc"))
    platform = ctx.platform_name(account.platform)
    for tag, value in (("title", label), ("creator", rendering.archive_creator(ctx)),
                       ("publisher", ctx.settings.municipality.name),
                       ("date", f"{start.isoformat()}/{end.isoformat()}"), ("type", ctx.t("snapshots.dc.type")),
                       ("format", "application/json; application/pdf"), ("identifier", objid),
                       ("language", ctx.lang), ("source", account.url or account.id),
                       ("description", ctx.t("snapshots.dc.description", account=account.name, platform=platform))):
        _sub(root, _q(DC_NS, tag), value)
    return root


def _records(entries: list[archive_view.Entry], attachments: dict[int, list[dict]] | None = None) -> ET.Element:
    root = ET.Element(_q(RECORDS_NS, "records"))
    attachments = attachments or {}
    for top in entries:
        for e in top.walk():
            o = e.obj
            r = _sub(root, _q(RECORDS_NS, "record"), id=f"obj-{o['id']}", kind=o["kind"], source=o["source"],
                     externalId=o["external_id"], parent=o["parent_external_id"], own=str(bool(o["own"])).lower(),
                     created=_iso(o["created_at"]), state=o["state"], inPeriod=str(e.in_period).lower(),
                     secrecy=str(e.secret).lower(), versions=str(len(e.versions)))
            _sub(r, _q(RECORDS_NS, "author"), o["author"])
            if o["permalink"]:
                _sub(r, _q(RECORDS_NS, "permalink"), o["permalink"])
            for ref in e.references:
                _sub(r, _q(RECORDS_NS, "diariumReference"), ref)
            if e.item is not None and e.item.get("diarium_reason"):
                _sub(r, _q(RECORDS_NS, "diariumReason"), e.item["diarium_reason"])
            if e.removal is not None:
                _sub(r, _q(RECORDS_NS, "removal"), ground=e.removal["ground"], decidedBy=e.removal["decided_by"],
                     decidedAt=_iso(e.removal["decided_at"]))
            for m in attachments.get(o["id"], []):  # the attachments: the stored file, or why there is none
                attrs = {"url": m["url"], "status": m["status"]}
                if m["file"]:
                    attrs |= {"file": f"representations/{REP}/{m['file']}", "sha256": m["sha256"], "mime": m["mime"],
                              "size": str(m["size"])}
                if m["reason"]:
                    attrs["reason"] = m["reason"]
                _sub(r, _q(RECORDS_NS, "media"), **attrs)
    return root


def _premis(ctx: Context, entries: list[archive_view.Entry]) -> tuple[ET.Element, int]:
    """PREMIS 3: one intellectual entity per archived object, every event, every agent. Returns (root, events)."""
    p = lambda tag: _q(PREMIS_NS, tag)  # noqa: E731
    root = ET.Element(p("premis"), {"version": "3.0"})
    agents: dict[str, tuple[str, str]] = {"uppsikt": (f"Uppsikt {__version__}", "software")}
    objects, events = [], []
    for top in entries:
        for e in top.walk():
            o = e.obj
            obj = ET.Element(p("object"), {_q(XSI_NS, "type"): "premis:intellectualEntity"})
            ident = _sub(obj, p("objectIdentifier"))
            _sub(ident, p("objectIdentifierType"), "uppsikt-archive")
            _sub(ident, p("objectIdentifierValue"), f"obj-{o['id']}")
            ident = _sub(obj, p("objectIdentifier"))
            _sub(ident, p("objectIdentifierType"), o["source"])
            _sub(ident, p("objectIdentifierValue"), o["external_id"])
            objects.append(obj)
            for ev in e.events:
                kind = ev["kind"]
                event = ET.Element(p("event"))
                ident = _sub(event, p("eventIdentifier"))
                _sub(ident, p("eventIdentifierType"), "uppsikt-archive-event")
                _sub(ident, p("eventIdentifierValue"), f"event-{ev['id']}")
                _sub(event, p("eventType"), kind)
                _sub(event, p("eventDateTime"), _iso(ev["at"]))
                info = _sub(event, p("eventDetailInformation"))
                _sub(info, p("eventDetail"), rendering.event_text(ctx, e, ev))
                actor = ev["actor"] or "platform"
                role = "executing program" if actor in ("uppsikt", "platform") else "implementer"
                extra: list[tuple[str, str]] = []
                if kind == "removed":
                    ground, by = archive_view.removal_of(e, ev)
                    outcome = _sub(event, p("eventOutcomeInformation"))
                    _sub(outcome, p("eventOutcome"), ground or "removed")
                    note = _sub(outcome, p("eventOutcomeDetail"))
                    _sub(note, p("eventOutcomeDetailNote"), rendering._ground(ctx, ground))
                    actor, role = by or actor, "decision-maker"
                elif kind == "registered" and e.references:
                    outcome = _sub(event, p("eventOutcomeInformation"))
                    _sub(outcome, p("eventOutcome"), "registered")
                    note = _sub(outcome, p("eventOutcomeDetail"))
                    ref = archive_view.first(archive_view.detail(ev), archive_view.REFERENCE_KEYS)
                    _sub(note, p("eventOutcomeDetailNote"), str(ref or ", ".join(e.references)))
                if actor == "author":
                    actor_id = f"author:{o['source']}:{o['author_id'] or o['author']}"
                    agents.setdefault(actor_id, (o["author"] or o["author_id"] or "–", "person"))
                elif actor == "platform":
                    actor_id = f"platform:{o['source']}"
                    agents.setdefault(actor_id, (ctx.platform_name(o["source"]), "organization"))
                elif actor == "uppsikt":
                    actor_id = "uppsikt"
                else:
                    actor_id = actor
                    agents.setdefault(actor_id, (ctx.name_of(actor), "person"))
                for a_id, a_role in [(actor_id, role), *extra]:
                    link = _sub(event, p("linkingAgentIdentifier"))
                    _sub(link, p("linkingAgentIdentifierType"), "uppsikt-agent")
                    _sub(link, p("linkingAgentIdentifierValue"), a_id)
                    _sub(link, p("linkingAgentRole"), a_role)
                link = _sub(event, p("linkingObjectIdentifier"))
                _sub(link, p("linkingObjectIdentifierType"), "uppsikt-archive")
                _sub(link, p("linkingObjectIdentifierValue"), f"obj-{o['id']}")
                events.append(event)
    root.extend(objects)
    root.extend(events)
    for a_id, (name, kind) in agents.items():
        agent = _sub(root, p("agent"))
        ident = _sub(agent, p("agentIdentifier"))
        _sub(ident, p("agentIdentifierType"), "uppsikt-agent")
        _sub(ident, p("agentIdentifierValue"), a_id)
        _sub(agent, p("agentName"), name)
        _sub(agent, p("agentType"), kind)
    return root, len(events)


def _rep_premis(files: list[dict], owners: dict[str, list[int]] | None = None) -> ET.Element:
    """PREMIS 3 of the representation's data files; an attachment (`owners`: its file relative to the
    representation -> the archived objects it belongs to) is linked to each object's intellectual entity of the
    package's PREMIS (`obj-N`) by a structural relationship."""
    p = lambda tag: _q(PREMIS_NS, tag)  # noqa: E731
    root = ET.Element(p("premis"), {"version": "3.0"})
    owners = owners or {}
    for info in files:
        obj = _sub(root, p("object"), **{_q(XSI_NS, "type"): "premis:file"})
        ident = _sub(obj, p("objectIdentifier"))
        _sub(ident, p("objectIdentifierType"), "local")
        _sub(ident, p("objectIdentifierValue"), info["rel"])
        ch = _sub(obj, p("objectCharacteristics"))
        fixity = _sub(ch, p("fixity"))
        _sub(fixity, p("messageDigestAlgorithm"), "SHA-256")
        _sub(fixity, p("messageDigest"), info["sha"].lower())
        _sub(ch, p("size"), info["size"])
        fmt = _sub(ch, p("format"))
        name, key = PRONOM.get(info["suffix"], (info["mime"], ""))
        des = _sub(fmt, p("formatDesignation"))
        _sub(des, p("formatName"), name)
        if key:
            reg = _sub(fmt, p("formatRegistry"))
            _sub(reg, p("formatRegistryName"), "PRONOM")
            _sub(reg, p("formatRegistryKey"), key)
        for object_id in owners.get(info["rel"].split(f"{REP}/", 1)[-1], []):
            rel = _sub(obj, p("relationship"))
            _sub(rel, p("relationshipType"), "structural")
            _sub(rel, p("relationshipSubType"), "is part of")
            related = _sub(rel, p("relatedObjectIdentifier"))
            _sub(related, p("relatedObjectIdentifierType"), "uppsikt-archive")
            _sub(related, p("relatedObjectIdentifierValue"), f"obj-{object_id}")
    return root


# --------------------------------------------------------------------------- METS


def _group(sec: ET.Element, gid: str, use: str) -> ET.Element:
    """A file group with its content information type declared (CSIP62/63: OTHER, named): the groups hold
    social-media records as JSON and PDF/A, for which no content information type specification exists."""
    return _sub(sec, _m("fileGrp"), ID=gid, USE=use, **{_q(CSIP_NS, "CONTENTINFORMATIONTYPE"): "OTHER",
                                                         _q(CSIP_NS, "OTHERCONTENTINFORMATIONTYPE"): CONTENT_TYPE})


def _mets_root(objid: str, label: str) -> ET.Element:
    return ET.Element(_m("mets"), {
        "OBJID": objid, "LABEL": label, "TYPE": "Other", _q(CSIP_NS, "OTHERTYPE"): "Social media",
        _q(CSIP_NS, "CONTENTINFORMATIONTYPE"): "MIXED", "PROFILE": SIP_PROFILE,
        _q(XSI_NS, "schemaLocation"): SCHEMA_LOCATION,
    })


def _header(ctx: Context, mets: ET.Element, created: str, *, full: bool) -> None:
    hdr = _sub(mets, _m("metsHdr"), CREATEDATE=created, LASTMODDATE=created, RECORDSTATUS="NEW",
               **{_q(CSIP_NS, "OAISPACKAGETYPE"): "SIP"})
    agent = _sub(hdr, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _sub(agent, _m("name"), "Uppsikt")
    _sub(agent, _m("note"), __version__, **{_q(CSIP_NS, "NOTETYPE"): "SOFTWARE VERSION"})
    if not full:
        return
    muni = ctx.settings.municipality
    agent = _sub(hdr, _m("agent"), ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    _sub(agent, _m("name"), rendering.archive_creator(ctx))
    if muni.archive_creator_id:
        _sub(agent, _m("note"), muni.archive_creator_id, **{_q(CSIP_NS, "NOTETYPE"): "IDENTIFICATIONCODE"})
    agent = _sub(hdr, _m("agent"), ROLE="OTHER", OTHERROLE="SUBMITTER", TYPE="ORGANIZATION")
    _sub(agent, _m("name"), muni.name)
    agent = _sub(hdr, _m("agent"), ROLE="IPOWNER", TYPE="ORGANIZATION")
    _sub(agent, _m("name"), rendering.archive_creator(ctx))


def _rep_mets(ctx: Context, files: _Files, objid: str, label: str, data: list[dict], premis: dict) -> ET.Element:
    mets = _mets_root(REP, label)
    _header(ctx, mets, files.created, full=False)
    amd = _sub(mets, _m("amdSec"), ID="amd-rep1")
    dp = _sub(amd, _m("digiprovMD"), ID="digiprov-rep1-premis", STATUS="CURRENT")
    files.md_ref(dp, premis, "metadata/preservation/premis.xml", "PREMIS")
    sec = _sub(mets, _m("fileSec"), ID="filesec-rep1")
    grp = _group(sec, "filegrp-rep1-data", "Data")
    for info in data:
        files.file_element(grp, info, info["rel"].split(f"{REP}/", 1)[1], data=True)
    smap = _sub(mets, _m("structMap"), ID="structmap-rep1", TYPE="PHYSICAL", LABEL="CSIP")
    top = _sub(smap, _m("div"), ID="div-rep1", LABEL=REP)
    _sub(top, _m("div"), ID="div-rep1-metadata", LABEL="Metadata", ADMID="digiprov-rep1-premis")
    div = _sub(top, _m("div"), ID="div-rep1-data", LABEL="Data")
    _sub(div, _m("fptr"), FILEID="filegrp-rep1-data")
    return mets


def _root_mets(ctx: Context, files: _Files, objid: str, label: str, *, docs: list[dict], schemas: list[dict],
               desc: list[tuple[dict, str, str]], premis: dict, rep_mets: dict) -> ET.Element:
    mets = _mets_root(objid, label)
    _header(ctx, mets, files.created, full=True)
    dmd_ids = []
    for info, mdtype, other in desc:
        dmd_id = f"dmd-{info['id']}"
        dmd_ids.append(dmd_id)
        dmd = _sub(mets, _m("dmdSec"), ID=dmd_id, CREATED=files.created, STATUS="CURRENT")
        files.md_ref(dmd, info, info["rel"], mdtype, other)
    amd = _sub(mets, _m("amdSec"), ID="amd")
    dp = _sub(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    files.md_ref(dp, premis, premis["rel"], "PREMIS")
    sec = _sub(mets, _m("fileSec"), ID="filesec")
    grp = _group(sec, "filegrp-documentation", "Documentation")
    for info in docs:
        files.file_element(grp, info, info["rel"])
    grp = _group(sec, "filegrp-schemas", "Schemas")
    for info in schemas:
        files.file_element(grp, info, info["rel"])
    grp = _group(sec, "filegrp-rep1", f"Representations/{REP}")
    files.file_element(grp, rep_mets, rep_mets["rel"])
    smap = _sub(mets, _m("structMap"), ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    top = _sub(smap, _m("div"), ID="div-package", LABEL=objid)
    _sub(top, _m("div"), ID="div-metadata", LABEL="Metadata", ADMID="digiprov-premis", DMDID=" ".join(dmd_ids))
    div = _sub(top, _m("div"), ID="div-documentation", LABEL="Documentation")
    _sub(div, _m("fptr"), FILEID="filegrp-documentation")
    div = _sub(top, _m("div"), ID="div-schemas", LABEL="Schemas")
    _sub(div, _m("fptr"), FILEID="filegrp-schemas")
    reps = _sub(top, _m("div"), ID="div-representations", LABEL="Representations")
    _sub(reps, _m("fptr"), FILEID="filegrp-rep1")
    div = _sub(reps, _m("div"), ID="div-rep1", LABEL=f"Representations/{REP}")
    _sub(div, _m("mptr"), **{"LOCTYPE": "URL", _q(XLINK_NS, "type"): "simple",
                             _q(XLINK_NS, "href"): rep_mets["rel"], _q(XLINK_NS, "title"): "filegrp-rep1"})
    return mets


# --------------------------------------------------------------------------- the package


def _attachments(ctx: Context, entries: list[archive_view.Entry], data_dir: Path
                 ) -> tuple[dict[int, list[dict]], list[str]]:
    """Copy every stored attachment of the package's objects into `data_dir/media/` (once per file) and describe
    each attachment row (object id -> list, `file` relative to the representation, "" when not in the
    package); returns (the descriptions, the copied files relative to the representation). A stored file that
    is missing or no longer matches its checksum is listed as `missing` with the reason, never packaged."""
    ids = [e.id for root in entries for e in root.walk()]
    rows = media.of_objects(ctx, ids)
    base = media.data_folder(ctx)
    copied: dict[str, str] = {}  # sha256 -> file relative to the representation
    out: dict[int, list[dict]] = {}
    for object_id, found in rows.items():
        for row in found:
            info = media.describe(row)
            info["file"] = ""
            if row["status"] == "done":
                rel = copied.get(row["sha256"])
                source = base / row["path"] if base is not None and row["path"] else None
                if rel is None and source is not None and source.is_file():
                    rel = f"data/media/{row['sha256']}{media.extension(row['mime'])}"
                    target = data_dir.parent / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                    if pdfa.sha256(target) != row["sha256"]:
                        target.unlink()
                        rel = None
                        info |= {"status": "missing", "reason": "the stored file no longer matches its SHA-256"}
                    else:
                        copied[row["sha256"]] = rel
                elif rel is None:
                    info |= {"status": "missing", "reason": "the stored file is missing"}
                info["file"] = rel or ""
            out.setdefault(object_id, []).append(info)
    return out, sorted(copied.values())


def package_id(account_id: str, start: dt.date, end: dt.date) -> str:
    return f"uppsikt-{account_id}-{start.isoformat()}-{end.isoformat()}"


def period(ctx: Context, start: dt.date, end: dt.date) -> tuple[int, int]:
    if end < start:
        raise ctx.refusal("records.end_before_start", ("from", "to"), start=start.isoformat(), end=end.isoformat())
    cal = ctx.calendar()
    return to_epoch(cal.local_midnight(start)), to_epoch(cal.local_midnight(end + dt.timedelta(days=1)))


def write(ctx: Context, account_id: str, start: dt.date, end: dt.date, out: Path) -> Package:
    """Write the package for the account's archive in [start, end] (Stockholm days) to the folder `out`.

    Refuses (and writes nothing) for an unknown account, an end before the start and an `out` that is a file
    or a folder that is not empty."""
    account = resolve_account(ctx, account_id)
    lo, hi = period(ctx, start, end)
    out = Path(out)
    check_out(ctx, out)
    entries = archive_view.threads(ctx, account.id, lo, hi)
    made = ctx.now()
    created = _iso(made)
    objid = package_id(account.id, start, end)
    platform = ctx.platform_name(account.platform)
    label = ctx.t("snapshots.sip.label", account=account.name, platform=platform, start=start, end=end)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = _Files(tmp, created)
        # documentation and schemas
        (tmp / "documentation").mkdir()
        (tmp / "documentation" / "om-paketet.txt").write_text(ctx.t(
            "snapshots.sip.readme", account=account.name, platform=platform, url=account.url or "–", start=start,
            end=end, archive_creator=rendering.archive_creator(ctx), made=made.strftime("%Y-%m-%d %H:%M")),
            encoding="utf-8")
        (tmp / "schemas").mkdir()
        schemas = []
        for name in SCHEMAS:
            shutil.copyfile(SCHEMA_DIR / name, tmp / "schemas" / name)
            schemas.append(files.add(f"schemas/{name}", f"file-schema-{name.removesuffix('.xsd').lower()}"))
        # the representation: original JSON, the PDF/A rendering and the attachments
        data_dir = tmp / "representations" / REP / "data"
        data_dir.mkdir(parents=True)
        attachments, media_files = _attachments(ctx, entries, data_dir)
        (data_dir / "original.json").write_text(
            json.dumps(archive_view.original_json(entries, attachments), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        if attachments:  # the readme says where the attachments are, and how many are missing
            missing = sum(1 for rows in attachments.values() for m in rows if not m["file"])
            extra = ctx.t("media.sip_readme") + "\n"
            if missing:
                extra += "\n" + ctx.t("media.sip_missing", count=missing) + "\n"
            with (tmp / "documentation" / "om-paketet.txt").open("a", encoding="utf-8") as fh:
                fh.write(extra)
        docs = [files.add("documentation/om-paketet.txt", "file-documentation-readme")]
        count = archive_view.count(entries)
        html = rendering.snapshot_html(ctx, account, entries, start, end, made=made, reason=label, count=count)
        pdfa.render(html, data_dir / "rendering.pdf", created=made)
        data = [files.add(f"representations/{REP}/data/original.json", "file-rep1-original-json"),
                files.add(f"representations/{REP}/data/rendering.pdf", "file-rep1-rendering-pdf")]
        data += [files.add(f"representations/{REP}/{rel}", f"file-rep1-media-{n}")
                 for n, rel in enumerate(media_files, 1)]
        owners: dict[str, list[int]] = {}
        for object_id, rows in attachments.items():
            for m in rows:
                if m["file"] and object_id not in owners.setdefault(m["file"], []):
                    owners[m["file"]].append(object_id)
        _write_xml(_rep_premis(data, owners), tmp / "representations" / REP / "metadata" / "preservation" / "premis.xml")
        rep_premis = files.add(f"representations/{REP}/metadata/preservation/premis.xml", "md-rep1-premis")
        _write_xml(_rep_mets(ctx, files, objid, label, data, rep_premis), tmp / "representations" / REP / "METS.xml")
        rep_mets = files.add(f"representations/{REP}/METS.xml", "file-rep1-mets")
        # package metadata
        _write_xml(_dc(ctx, account, start, end, objid, label), tmp / "metadata" / "descriptive" / "dc.xml")
        _write_xml(_records(entries, attachments), tmp / "metadata" / "descriptive" / "records.xml")
        premis_root, n_events = _premis(ctx, entries)
        _write_xml(premis_root, tmp / "metadata" / "preservation" / "premis.xml")
        desc = [(files.add("metadata/descriptive/dc.xml", "md-dc"), "DC", ""),
                (files.add("metadata/descriptive/records.xml", "md-records"), "OTHER", "UPPSIKT-RECORDS")]
        premis = files.add("metadata/preservation/premis.xml", "md-premis")
        _write_xml(_root_mets(ctx, files, objid, label, docs=docs, schemas=schemas, desc=desc, premis=premis,
                              rep_mets=rep_mets), tmp / "METS.xml")
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        tmp.replace(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    missing = sum(1 for rows in attachments.values() for m in rows if not m["file"])
    return Package(path=out, objid=objid, objects=count, events=n_events, files=len(files.info) + 1,
                   attachments=len(media_files), missing=missing)
