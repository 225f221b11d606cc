"""What a chat platform's adapter remembers between restarts, in the bot's SQLite store.

Card positions (`chat_messages`), people's platform ids (`chat_users`), channel ids
(`chat_channels`) and Teams conversation references (`conversation_refs`), one platform at a
time. Every method takes the facade's entry-point lock itself (an RLock, so the outbox may call
them while holding it) for its own short SQL only: never call a chat platform while holding it.
Adapters get theirs from `Bot.memory(platform)` and never see the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import sqlite_utils

from bot.clock import Clock


@dataclass
class ChatMemory:
    """One platform's memory (`platform` is the value of the tables' platform column)."""

    db: sqlite_utils.Database
    platform: str
    clock: Clock | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def _now(self) -> int:
        return int(self.clock.now().timestamp()) if self.clock is not None else 0

    def _one(self, sql: str, args: list) -> tuple | None:
        with self.lock:
            return self.db.execute(sql, [self.platform, *args]).fetchone()

    def _write(self, sql: str, args: list) -> int:
        with self.lock, self.db.atomic():
            return self.db.execute(sql, [self.platform, *args]).rowcount

    # ------------------------------------------------------------------ cards
    def card_ref(self, card: str) -> tuple[str, str] | None:
        """(channel or conversation id, message ts or activity id) where the card was posted, if it was."""
        row = self._one("SELECT channel, ts FROM chat_messages WHERE platform = ? AND card = ?", [card])
        return (str(row[0]), str(row[1])) if row else None

    def card_at(self, channel: str, ts: str) -> str | None:
        """The card key of the message at (channel, ts), e.g. for a reaction; None if not a card."""
        row = self._one("SELECT card FROM chat_messages WHERE platform = ? AND channel = ? AND ts = ?", [channel, ts])
        return str(row[0]) if row else None

    def remember_card(self, card: str, channel: str, ts: str) -> None:
        self._write("INSERT OR REPLACE INTO chat_messages (platform, card, channel, ts) VALUES (?, ?, ?, ?)",
                    [card, channel, ts])

    def forget_card(self, card: str) -> None:
        self._write("DELETE FROM chat_messages WHERE platform = ? AND card = ?", [card])

    # ------------------------------------------------------------------ channels
    def channel_id(self, name: str) -> str | None:
        row = self._one("SELECT channel_id FROM chat_channels WHERE platform = ? AND name = ?", [name])
        return str(row[0]) if row else None

    def channel_name(self, channel_id: str) -> str | None:
        row = self._one("SELECT name FROM chat_channels WHERE platform = ? AND channel_id = ?", [channel_id])
        return str(row[0]) if row else None

    def remember_channels(self, channels: dict[str, str]) -> None:
        """name -> channel id, in one transaction."""
        with self.lock, self.db.atomic():
            for name, channel_id in channels.items():
                self.db.execute("INSERT OR REPLACE INTO chat_channels (platform, name, channel_id) VALUES (?, ?, ?)",
                                [self.platform, name, channel_id])

    def forget_channel(self, name: str) -> bool:
        """False when no such name was remembered."""
        return self._write("DELETE FROM chat_channels WHERE platform = ? AND name = ?", [name]) > 0

    # ------------------------------------------------------------------ parked posts (issue 16)
    def park_post(self, channel_id: str, ts: str, text: str, author: str, error: str) -> None:
        """Keep a post whose channel's name could not be read (acknowledged already: never dropped)."""
        self._write("INSERT OR IGNORE INTO parked_posts (platform, channel_id, ts, text, author, parked_at, last_error) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [channel_id, ts, text, author, self._now(), error[:500]])

    def parked_posts(self, limit: int = 100) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT channel_id, ts, text, author, attempts FROM parked_posts WHERE platform = ? "
                                   "ORDER BY parked_at, ts LIMIT ?", [self.platform, limit]).fetchall()
        return [dict(zip(("channel_id", "ts", "text", "author", "attempts"), r)) for r in rows]

    def has_parked_posts(self) -> bool:
        return self._one("SELECT 1 FROM parked_posts WHERE platform = ? LIMIT 1", []) is not None

    def parked_failed(self, channel_id: str, ts: str, error: str) -> None:
        with self.lock, self.db.atomic():
            self.db.execute("UPDATE parked_posts SET attempts = attempts + 1, last_error = ? "
                            "WHERE platform = ? AND channel_id = ? AND ts = ?", [error[:500], self.platform, channel_id, ts])

    def unpark(self, channel_id: str, ts: str) -> None:
        self._write("DELETE FROM parked_posts WHERE platform = ? AND channel_id = ? AND ts = ?", [channel_id, ts])

    # ------------------------------------------------------------------ people
    def user(self, email: str) -> tuple[str, int] | None:
        """(platform user id, when it was learned) for an e-mail address, if known."""
        row = self._one("SELECT user_id, resolved_at FROM chat_users WHERE platform = ? AND email = ?", [email.lower()])
        return (str(row[0]), int(row[1])) if row else None

    def email_of(self, user_id: str) -> str | None:
        row = self._one("SELECT email FROM chat_users WHERE platform = ? AND user_id = ? "
                        "ORDER BY resolved_at DESC LIMIT 1", [user_id])
        return str(row[0]) if row else None

    def remember_user(self, email: str, user_id: str) -> None:
        self._write("INSERT OR REPLACE INTO chat_users (platform, email, user_id, resolved_at) VALUES (?, ?, ?, ?)",
                    [email.lower(), user_id, self._now()])

    def forget_user(self, email: str) -> None:
        self._write("DELETE FROM chat_users WHERE platform = ? AND email = ?", [email.lower()])

    # ------------------------------------------------------------------ conversation references (Teams)
    def save_reference(self, key: str, conversation_id: str, reference_json: str) -> None:
        self._write("INSERT OR REPLACE INTO conversation_refs (platform, key, conversation_id, reference_json, "
                    "updated_at) VALUES (?, ?, ?, ?, ?)", [key, conversation_id, reference_json, self._now()])

    def reference(self, key: str) -> str | None:
        row = self._one("SELECT reference_json FROM conversation_refs WHERE platform = ? AND key = ?", [key])
        return str(row[0]) if row else None

    def forget_reference(self, key: str) -> None:
        self._write("DELETE FROM conversation_refs WHERE platform = ? AND key = ?", [key])

    def reference_key(self, conversation_id: str, prefix: str) -> str | None:
        """The newest key starting with `prefix` stored for this conversation id."""
        row = self._one("SELECT key FROM conversation_refs WHERE platform = ? AND conversation_id = ? AND key LIKE ? "
                        "ORDER BY updated_at DESC LIMIT 1", [conversation_id, prefix.replace("%", "") + "%"])
        return str(row[0]) if row else None

    def any_reference(self) -> str | None:
        """The most recently stored reference of this platform."""
        row = self._one("SELECT reference_json FROM conversation_refs WHERE platform = ? "
                        "ORDER BY updated_at DESC LIMIT 1", [])
        return str(row[0]) if row else None


__all__ = ["ChatMemory"]
