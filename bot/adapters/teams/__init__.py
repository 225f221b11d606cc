"""Uppsikt in Microsoft Teams (Microsoft 365 Agents SDK, aiohttp).

* ``app.py``   – `build_app(bot, auth=...)`: the aiohttp application serving
  ``POST /api/messages`` and ``GET /healthz``; credentials (`auth_from_env`).
* ``chat.py``  – `TeamsChat`: the chat port (proactive posts and card updates
  through stored conversation references).
* ``cards.py`` – Message -> Adaptive Card 1.5, and the follow-up forms.
* ``cli.py``   – `run_teams(bot, ...)` (``uppsikt run --teams``) and
  `build_package(out_path, ...)` (``uppsikt teams-package``).

The async SDK stays inside this package; the core is called through
``asyncio.to_thread``. Nothing is imported or started at import time of this
``__init__``.
"""
