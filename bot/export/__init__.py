"""Records leaving Uppsikt (issue 12): the archive read for a period (`archive_view`), snapshots rendered to
PDF/A (`pdfa`, `rendering`) and E-ARK SIP 2.1 / FGS Paketstruktur 2.0 packages (`sip`). Everything here
only READS the archive tables (bot/core/archive.py writes them)."""
