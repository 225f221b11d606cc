"""The schema, only ever changed by appending a migration.

Times are UTC epoch seconds (INTEGER); calendar dates are ISO text (YYYY-MM-DD,
Europe/Stockholm). The audit log is append-only, enforced by triggers.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("uppsikt")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            name TEXT NOT NULL,
            channel TEXT NOT NULL,
            unit TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'approved',
            documentation TEXT NOT NULL DEFAULT '{}',
            intensified_until INTEGER,
            intensified_every_hours INTEGER,
            next_intensified_at INTEGER,
            last_activity_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE people (
            email TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL DEFAULT '',
            roles TEXT NOT NULL DEFAULT '[]',
            chat_id TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE absences (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL,
            start_date TEXT NOT NULL,
            end_date TEXT NOT NULL,
            substitute TEXT,
            reason TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            removed_at INTEGER
        );
        CREATE INDEX idx_absences_person ON absences(person, start_date, end_date);
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            kind TEXT NOT NULL DEFAULT 'comment',
            author TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            permalink TEXT NOT NULL DEFAULT '',
            received_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            is_question INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            assignee TEXT,
            assigned_reason TEXT NOT NULL DEFAULT '',
            first_reply_due INTEGER,
            full_answer_due INTEGER,
            next_nudge_at INTEGER,
            nudge_stage INTEGER NOT NULL DEFAULT 0,
            first_reply_at INTEGER,
            answered_at INTEGER,
            answered_by TEXT,
            answer TEXT NOT NULL DEFAULT '',
            closed_reason TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX idx_items_first_reply_due ON items(first_reply_due);
        CREATE INDEX idx_items_full_answer_due ON items(full_answer_due);
        CREATE INDEX idx_items_next_nudge_at ON items(next_nudge_at);
        CREATE INDEX idx_items_assignee_status ON items(assignee, status);
        CREATE INDEX idx_items_account ON items(account_id, received_at);
        CREATE TABLE item_history (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT,
            assignee TEXT,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_item_history_item ON item_history(item_id);
        CREATE TABLE oversight_log (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            day TEXT NOT NULL,
            checked_at INTEGER NOT NULL,
            person TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            via TEXT NOT NULL
        );
        CREATE INDEX idx_oversight_log_account_day ON oversight_log(account_id, day);
        CREATE TABLE dispatched (
            key TEXT PRIMARY KEY,
            at INTEGER NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            created_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            account_id TEXT,
            item_id INTEGER,
            message TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL DEFAULT 0,
            sent_at INTEGER,
            error TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_outbox_pending ON outbox(status, next_attempt_at, id);
        CREATE TABLE history_answers (
            id INTEGER PRIMARY KEY,
            question TEXT NOT NULL DEFAULT '',
            answer TEXT NOT NULL,
            answered_by TEXT NOT NULL,
            answered_at INTEGER NOT NULL,
            source TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TABLE state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_moderation_crisis_records_accounts(db: Database) -> None:
    db.executescript(
        """
        ALTER TABLE items ADD COLUMN diarium INTEGER NOT NULL DEFAULT 0;   -- marked for the diarium (R1, R3, R6)
        ALTER TABLE items ADD COLUMN diarium_reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE items ADD COLUMN flag TEXT NOT NULL DEFAULT '';         -- e.g. M5 "besvara inte, ta bort"
        ALTER TABLE items ADD COLUMN crisis INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX idx_items_diarium ON items(diarium, received_at);
        CREATE INDEX idx_items_author ON items(author);
        CREATE TABLE removals (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            account_id TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            permalink TEXT NOT NULL DEFAULT '',
            posted_at INTEGER NOT NULL,
            ground TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            decided_by TEXT NOT NULL,
            decided_at INTEGER NOT NULL,
            confidential INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX idx_removals_author ON removals(author, ground, decided_at);
        CREATE INDEX idx_removals_decided ON removals(decided_at);
        CREATE TABLE crisis_periods (
            id INTEGER PRIMARY KEY,
            started_at INTEGER NOT NULL,
            started_by TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            ended_at INTEGER,
            ended_by TEXT,
            next_prompt_at INTEGER
        );
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            taken_at INTEGER NOT NULL,
            taken_by TEXT NOT NULL,
            reference TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_snapshots_account ON snapshots(account_id, taken_at);
        CREATE TABLE major_changes (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            marked_at INTEGER NOT NULL,
            marked_by TEXT NOT NULL,
            description TEXT NOT NULL,
            snapshot_id INTEGER
        );
        CREATE TABLE account_requests (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            data TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            manager_decision TEXT,
            manager_by TEXT,
            manager_at INTEGER,
            communicator_decision TEXT,
            communicator_by TEXT,
            communicator_at INTEGER,
            reason TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE attestations (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            person TEXT NOT NULL,
            attested_at INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_attestations ON attestations(account_id, person, attested_at);
        """
    )


@migrations()
def m003_chat_adapters(db: Database) -> None:
    """State the chat adapters keep: where each card was posted, resolved users, seen events."""
    db.executescript(
        """
        CREATE TABLE chat_messages (
            platform TEXT NOT NULL,
            card TEXT NOT NULL,            -- the message's card key, e.g. item:12
            channel TEXT NOT NULL,         -- platform channel / conversation id
            ts TEXT NOT NULL,              -- platform message id (Slack ts, Teams activity id)
            PRIMARY KEY (platform, card)
        );
        CREATE TABLE chat_users (
            platform TEXT NOT NULL,
            email TEXT NOT NULL,
            user_id TEXT NOT NULL,
            resolved_at INTEGER NOT NULL,
            PRIMARY KEY (platform, email)
        );
        CREATE INDEX idx_chat_users_id ON chat_users(platform, user_id);
        CREATE TABLE chat_channels (
            platform TEXT NOT NULL,
            name TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            PRIMARY KEY (platform, name)
        );
        CREATE TABLE events_seen (
            event_id TEXT PRIMARY KEY,
            at INTEGER NOT NULL
        );
        """
    )


@migrations()
def m004_conversation_refs(db: Database) -> None:
    """Stored conversation references (Teams): where the bot may post proactively.

    `key` is ``channel:<name>`` for a channel (its display name, normalised) or
    ``person:<e-mail>`` for a person's one-to-one chat with the bot;
    `conversation_id` is the conversation without any ``;messageid=`` thread
    suffix, for finding the channel a message came from.
    """
    db.executescript(
        """
        CREATE TABLE conversation_refs (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            reference_json TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (platform, key)
        );
        CREATE INDEX idx_conversation_refs_conversation ON conversation_refs(platform, conversation_id);
        """
    )


@migrations()
def m005_indexes_for_weeding_and_event_dedupe(db: Database) -> None:
    """Weeding deletes outbox rows by item; the event dedupe forgets old ids by time."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_outbox_item ON outbox(item_id);
        CREATE INDEX IF NOT EXISTS idx_events_seen_at ON events_seen(at);
        """
    )


@migrations()
def m006_answer_author_late_first_reply_intensified_slots(db: Database) -> None:
    """Q4: the answer's author (`answered_by`) and the person who recorded it are kept apart.
    Q2: a first reply given after its deadline is recorded. O3: every intensified-oversight slot
    is kept with when it was checked, reminded and escalated, so a missed one can be reported."""
    db.executescript(
        """
        ALTER TABLE items ADD COLUMN answer_recorded_by TEXT;               -- who pressed "answered" (Q4)
        ALTER TABLE items ADD COLUMN first_reply_late INTEGER NOT NULL DEFAULT 0;  -- after first_reply_due (Q2)
        UPDATE items SET answer_recorded_by = answered_by WHERE answered_by IS NOT NULL;
        UPDATE items SET first_reply_late = 1
            WHERE first_reply_at IS NOT NULL AND first_reply_due IS NOT NULL AND first_reply_at > first_reply_due;
        CREATE TABLE intensified_slots (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            due_at INTEGER NOT NULL,          -- when the check was asked for
            every_hours INTEGER NOT NULL,
            checked_at INTEGER,               -- the first check logged in the slot
            checked_by TEXT,
            reminded_at INTEGER,
            escalated_at INTEGER,
            next_at INTEGER,                  -- the next reminder or escalation; NULL when settled
            UNIQUE (account_id, due_at)
        );
        CREATE INDEX idx_intensified_slots_open ON intensified_slots(account_id, checked_at);
        CREATE INDEX idx_intensified_slots_next ON intensified_slots(next_at);
        """
    )


@migrations()
def m007_platform_writes(db: Database) -> None:
    """Issue 11: every write to Facebook and Instagram (reply, hide, unhide, delete, block) with its outcome,
    and the platform's id of each citizen who wrote something (for replies to direct messages and blocks)."""
    db.executescript(
        """
        CREATE TABLE platform_writes (
            id INTEGER PRIMARY KEY,
            item_id INTEGER,
            account_id TEXT NOT NULL,
            kind TEXT NOT NULL,                  -- reply | hide | unhide | delete | block
            source TEXT NOT NULL,                -- facebook | instagram | messenger | instagram_dm
            object_id TEXT NOT NULL,             -- the comment or message, or the user to block
            text TEXT NOT NULL DEFAULT '',       -- a reply's text as published (with the signature)
            author TEXT,                         -- a reply's author (Q4)
            actor TEXT NOT NULL,                 -- who pressed
            status TEXT NOT NULL DEFAULT 'queued',  -- queued | done | waiting | failed | cancelled
            uncertain INTEGER NOT NULL DEFAULT 0,   -- the request may have reached Meta: read back before retrying
            attempts INTEGER NOT NULL DEFAULT 0,
            platform_id TEXT,                    -- the published reply's id
            permalink TEXT,
            problem TEXT,                        -- token | permission | gone | blocked | window | ...
            error TEXT NOT NULL DEFAULT '',
            removal_id INTEGER,
            created_at INTEGER NOT NULL,
            not_before INTEGER NOT NULL DEFAULT 0,
            done_at INTEGER
        );
        CREATE INDEX idx_platform_writes_item ON platform_writes(item_id);
        CREATE TABLE platform_authors (
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            PRIMARY KEY (source, external_id)
        );
        """
    )


@migrations()
def m008_search_index(db: Database) -> None:
    """Issue 17 point 4: an FTS5 trigram index over items and removals for /sök and `uppsikt search`,
    filled now and kept in sync by triggers (see bot/store/fts.py)."""
    # The text of bot/store/fts.py schema_sql(), written out (a migration's SQL is fixed; a test checks it).
    db.executescript(M008_SEARCH_INDEX)


M008_SEARCH_INDEX = """CREATE TABLE IF NOT EXISTS search_exotic (tbl TEXT NOT NULL, row_id INTEGER NOT NULL, PRIMARY KEY (tbl, row_id)) WITHOUT ROWID;

        CREATE VIRTUAL TABLE items_fts USING fts5(text, author, answer, content='items', content_rowid='id', tokenize='trigram');
        INSERT INTO items_fts(items_fts) VALUES ('rebuild');
        INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'items', id FROM items WHERE text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR answer GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
            INSERT INTO items_fts(rowid, text, author, answer) VALUES (new.id, new.text, new.author, new.answer);
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'items', new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.answer GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;
        CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, text, author, answer) VALUES ('delete', old.id, old.text, old.author, old.answer);
            DELETE FROM search_exotic WHERE tbl = 'items' AND row_id = old.id;
        END;
        CREATE TRIGGER items_fts_update AFTER UPDATE OF text, author, answer ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, text, author, answer) VALUES ('delete', old.id, old.text, old.author, old.answer);
            INSERT INTO items_fts(rowid, text, author, answer) VALUES (new.id, new.text, new.author, new.answer);
            DELETE FROM search_exotic WHERE tbl = 'items' AND row_id = old.id;
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'items', new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.answer GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;

        CREATE VIRTUAL TABLE removals_fts USING fts5(text, author, note, content='removals', content_rowid='id', tokenize='trigram');
        INSERT INTO removals_fts(removals_fts) VALUES ('rebuild');
        INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'removals', id FROM removals WHERE text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR note GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        CREATE TRIGGER removals_fts_insert AFTER INSERT ON removals BEGIN
            INSERT INTO removals_fts(rowid, text, author, note) VALUES (new.id, new.text, new.author, new.note);
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'removals', new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.note GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;
        CREATE TRIGGER removals_fts_delete AFTER DELETE ON removals BEGIN
            INSERT INTO removals_fts(removals_fts, rowid, text, author, note) VALUES ('delete', old.id, old.text, old.author, old.note);
            DELETE FROM search_exotic WHERE tbl = 'removals' AND row_id = old.id;
        END;
        CREATE TRIGGER removals_fts_update AFTER UPDATE OF text, author, note ON removals BEGIN
            INSERT INTO removals_fts(removals_fts, rowid, text, author, note) VALUES ('delete', old.id, old.text, old.author, old.note);
            INSERT INTO removals_fts(rowid, text, author, note) VALUES (new.id, new.text, new.author, new.note);
            DELETE FROM search_exotic WHERE tbl = 'removals' AND row_id = old.id;
            INSERT OR IGNORE INTO search_exotic (tbl, row_id) SELECT 'removals', new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.author GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*' OR new.note GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;
"""


@migrations()
def m009_robust_parked_posts(db: Database) -> None:
    """Issue 16: a chat post acknowledged while its channel's name could not be read (the platform's API
    failed) is parked here until the name can be read, then taken in; nothing acknowledged is dropped."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS parked_posts (
            platform TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            text TEXT NOT NULL,
            author TEXT NOT NULL,
            parked_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (platform, channel_id, ts)
        );
        """
    )


@migrations()
def m010_archive(db: Database) -> None:
    """Issue 12: the complete archive. Every post, comment, reply and message on a watched account, the
    municipality's own included, with every version of its text and every event in its life (captured,
    edited, hidden, unhidden, deleted, removed, registered, weeded), and legal holds that stop weeding.
    Read by snapshots (R4), the E-ARK SIP export and search (R7); weeded by the records-management plan (R5)."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS archive_objects (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            source TEXT NOT NULL,                    -- facebook | instagram | messenger | instagram_dm | intake
            external_id TEXT NOT NULL,               -- the platform's id of the post, comment or message
            kind TEXT NOT NULL,                      -- post | comment | dm
            parent_external_id TEXT NOT NULL DEFAULT '',  -- a comment's post or parent comment
            own INTEGER NOT NULL DEFAULT 0,          -- 1: written by the municipality (its posts and replies)
            author TEXT NOT NULL DEFAULT '',
            author_id TEXT NOT NULL DEFAULT '',
            permalink TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,             -- when it was posted on the platform
            first_seen_at INTEGER NOT NULL,          -- when Uppsikt first learned of it
            via TEXT NOT NULL DEFAULT 'webhook',     -- webhook | backfill | uppsikt (published through Uppsikt)
            state TEXT NOT NULL DEFAULT 'visible',   -- visible | hidden | deleted
            item_id INTEGER,                         -- the item it became, if any
            record INTEGER NOT NULL DEFAULT 0,       -- 1: a public record to keep (not of minor importance)
            weeded_at INTEGER,                       -- its content was weeded (R5); the row and events stay
            UNIQUE (source, external_id)
        );
        CREATE INDEX IF NOT EXISTS idx_archive_objects_account ON archive_objects(account_id, created_at);
        CREATE INDEX IF NOT EXISTS idx_archive_objects_parent ON archive_objects(source, parent_external_id);
        CREATE INDEX IF NOT EXISTS idx_archive_objects_item ON archive_objects(item_id);
        CREATE TABLE IF NOT EXISTS archive_versions (
            id INTEGER PRIMARY KEY,
            object_id INTEGER NOT NULL REFERENCES archive_objects(id),
            version INTEGER NOT NULL,                -- 1 is the text as first seen
            text TEXT NOT NULL,
            raw_json TEXT NOT NULL DEFAULT '',       -- the platform's original JSON of this version
            captured_at INTEGER NOT NULL,
            UNIQUE (object_id, version)
        );
        CREATE TABLE IF NOT EXISTS archive_events (
            id INTEGER PRIMARY KEY,
            object_id INTEGER NOT NULL REFERENCES archive_objects(id),
            kind TEXT NOT NULL,                      -- captured | edited | hidden | unhidden | deleted | removed
                                                     -- | registered | weeded | held | released
            at INTEGER NOT NULL,
            actor TEXT NOT NULL DEFAULT '',          -- author | platform | uppsikt | a colleague's id
            detail TEXT NOT NULL DEFAULT '{}'        -- JSON: ground, decision-maker, diarium reference, ...
        );
        CREATE INDEX IF NOT EXISTS idx_archive_events_object ON archive_events(object_id, at);
        CREATE TABLE IF NOT EXISTS archive_holds (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            object_id INTEGER,                       -- NULL: the whole account is held
            reason TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at INTEGER NOT NULL,
            released_by TEXT,
            released_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_archive_holds_account ON archive_holds(account_id);
        """
    )


@migrations()
def m011_health_channel_health(db: Database) -> None:
    """Issue 12 (channel health and backfill): per account with a platform connection, what the daily check
    found and when intake last heard from the platform; a backfill that failed waits here to be tried again."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS channel_health (
            account_id TEXT PRIMARY KEY,
            last_event_at INTEGER,                   -- the last webhook delivery for the account (bot clock)
            last_check INTEGER,                      -- the last check that could read the platform
            last_attempt INTEGER,                    -- the last check tried (it may have failed)
            problems TEXT NOT NULL DEFAULT '[]',     -- JSON: [{"code", "severity", "detail"}] found by the last check
            token_expires_at INTEGER,                -- 0: never; NULL: unknown
            seen_until INTEGER,                      -- everything created before this is taken in (last backfill)
            backfill_since INTEGER,                  -- a backfill to do (or try again) from this time
            backfill_due_at INTEGER,                 -- when to try it (again)
            backfill_attempts INTEGER NOT NULL DEFAULT 0,
            backfill_error TEXT NOT NULL DEFAULT '',
            last_backfill_at INTEGER,
            last_backfill_count INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m012_snapshots_files(db: Database) -> None:
    """Issue 12 point 4: automatic snapshots (R4). Uppsikt renders an account's archived posts and comment
    threads to PDF/A with the original JSON beside it, under the data folder; the snapshot row keeps the files
    (relative to the data folder) with their SHA-256, and the exact period it covers (epoch seconds, so the
    next automatic snapshot starts where this one ended). Snapshots logged by hand keep the defaults."""
    db.executescript(
        """
        ALTER TABLE snapshots ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE snapshots ADD COLUMN path TEXT NOT NULL DEFAULT '';         -- the PDF/A
        ALTER TABLE snapshots ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
        ALTER TABLE snapshots ADD COLUMN json_path TEXT NOT NULL DEFAULT '';    -- the original JSON beside it
        ALTER TABLE snapshots ADD COLUMN json_sha256 TEXT NOT NULL DEFAULT '';
        ALTER TABLE snapshots ADD COLUMN period_start INTEGER;                  -- [start, end) epoch seconds
        ALTER TABLE snapshots ADD COLUMN period_end INTEGER;
        ALTER TABLE snapshots ADD COLUMN objects INTEGER NOT NULL DEFAULT 0;
        """
    )


@migrations()
def m013_agenda_next_steps(db: Database) -> None:
    """Issue 17 point 3: the scheduler agenda. Each account's next oversight step (prompt, reminder,
    escalation) and each open item's whole reminder plan are stored when they are made or change, and the
    daily jobs keep their next run, so a tick reads what is due from indexes and recomputes nothing."""
    db.executescript(
        """
        ALTER TABLE accounts ADD COLUMN next_oversight_at INTEGER;
        ALTER TABLE items ADD COLUMN nudge_plan TEXT;
        CREATE TABLE IF NOT EXISTS jobs (
            name TEXT PRIMARY KEY,
            next_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_accounts_next_oversight_at ON accounts(next_oversight_at);
        CREATE INDEX IF NOT EXISTS idx_accounts_next_intensified_at ON accounts(next_intensified_at);
        """
    )


@migrations()
def m014_archive_search_and_secrecy(db: Database) -> None:
    """Issue 12: search covers the archive (R7) and the archive keeps secrecy flags.

    An FTS5 trigram index over archive_versions.text, filled now and kept in sync by triggers, for /sök and
    `uppsikt search` (bot/store/fts.py `archive_schema_sql`; rows with an exotic character are listed in
    archive_search_exotic). `archive_objects.secrecy`: 1 when the content is confidential (R3: a removal on the
    ground of personal data with an identity number, or a diarium mark "sekretess"); read by the SIP export."""
    # The text of bot/store/fts.py archive_schema_sql(), written out (a migration's SQL is fixed; a test checks it).
    db.executescript(M014_ARCHIVE_SEARCH)
    db.executescript("ALTER TABLE archive_objects ADD COLUMN secrecy INTEGER NOT NULL DEFAULT 0;")


M014_ARCHIVE_SEARCH = """CREATE TABLE IF NOT EXISTS archive_search_exotic (row_id INTEGER PRIMARY KEY);
        CREATE VIRTUAL TABLE archive_versions_fts USING fts5(text, content='archive_versions', content_rowid='id', tokenize='trigram');
        INSERT INTO archive_versions_fts(archive_versions_fts) VALUES ('rebuild');
        INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT id FROM archive_versions WHERE text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        CREATE TRIGGER archive_versions_fts_insert AFTER INSERT ON archive_versions BEGIN
            INSERT INTO archive_versions_fts(rowid, text) VALUES (new.id, new.text);
            INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;
        CREATE TRIGGER archive_versions_fts_delete AFTER DELETE ON archive_versions BEGIN
            INSERT INTO archive_versions_fts(archive_versions_fts, rowid, text) VALUES ('delete', old.id, old.text);
            DELETE FROM archive_search_exotic WHERE row_id = old.id;
        END;
        CREATE TRIGGER archive_versions_fts_update AFTER UPDATE OF text ON archive_versions BEGIN
            INSERT INTO archive_versions_fts(archive_versions_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO archive_versions_fts(rowid, text) VALUES (new.id, new.text);
            DELETE FROM archive_search_exotic WHERE row_id = old.id;
            INSERT OR IGNORE INTO archive_search_exotic (row_id) SELECT new.id WHERE new.text GLOB '*[\u00b5\u00df\u0130\u0149\u017f\u01f0\u0250-\u029e\u0345\u0370-\u0587\u10a0-\u10ff\u13a0-\u13fd\u1c80-\u1cbf\u1d79-\u1d8e\u1e00-\u1ffc\u2126-\u2184\u24b6-\u24e9\u2c00-\u2d2d\ua640-\ua69b\ua722-\ua7f6\uab53-\uabbf\ufb00-\ufb17\uff21-\uff5a\U00010400-\U0001044f\U000104b0-\U000104fb\U00010570-\U000105bc\U00010c80-\U00010cf2\U000118a0-\U000118df\U00016e40-\U00016e7f\U0001e900-\U0001e943]*';
        END;
"""


@migrations()
def m015_outbox_queue_per_target(db: Database) -> None:
    """Issue 17 point 2: the outbox reads a target's first waiting rows (and which targets have any, one seek
    per target) from this index, whatever waits for other targets; sent rows are cleaned up by `sent_at`."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_outbox_target ON outbox(status, target, id);
        CREATE INDEX IF NOT EXISTS idx_outbox_sent ON outbox(sent_at) WHERE status = 'sent';
        """
    )


@migrations()
def m016_inbox_events(db: Database) -> None:
    """Issue 17 point 5: a chat platform's raw, signature-verified events, stored before they are acknowledged
    and processed after, in arrival order (`id`), exactly once (bot/inbox.py). One row per (platform, event id):
    a retry of a stored event is acknowledged and not stored again. A processed row keeps its event id (and
    loses its body) for a day, then it is deleted."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS inbox (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            event_id TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            retry_num INTEGER NOT NULL DEFAULT 0,
            processed_at INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT ''
        );
        CREATE UNIQUE INDEX IF NOT EXISTS inbox_event ON inbox (platform, event_id);
        CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (platform, id) WHERE processed_at IS NULL;
        CREATE INDEX IF NOT EXISTS inbox_processed ON inbox (processed_at) WHERE processed_at IS NOT NULL;
        """
    )


@migrations()
def m017_archive_media(db: Database) -> None:
    """The archive keeps the attachments (bot/core/media.py): one row per archived object and media link found
    in its original JSON, with the download's state (pending, done, failed, refused, weeded), attempts and the
    next one, the last error, and for a stored file its path under the data folder, SHA-256, MIME type, size
    and when it was fetched."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS archive_media (
            id INTEGER PRIMARY KEY,
            object_id INTEGER NOT NULL REFERENCES archive_objects(id),
            account_id TEXT NOT NULL,
            url TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            path TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            mime TEXT NOT NULL DEFAULT '',
            size INTEGER,
            fetched_at INTEGER,
            found_at INTEGER NOT NULL,
            UNIQUE (object_id, url)
        );
        CREATE INDEX IF NOT EXISTS archive_media_due ON archive_media (next_attempt_at) WHERE status = 'pending';
        CREATE INDEX IF NOT EXISTS archive_media_path ON archive_media (path) WHERE path != '';
        """
    )
