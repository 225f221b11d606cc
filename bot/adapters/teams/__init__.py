"""Uppsikt in Microsoft Teams (Microsoft 365 Agents SDK, aiohttp). The same shape as bot/adapters/slack/:

* ``app.py``       – the SDK's handlers wired to the Bot facade; `mount(server, bot, auth=...)` adds
  ``POST /api/messages`` to the one aiohttp application (bot/server.py); credentials (`auth_from_env`).
* ``chat.py``      – `TeamsChat`: the chat port (proactive posts and card updates).
* ``directory.py`` – `Directory`: Entra ids, channels, cards and conversation references.
* ``cards.py``     – Message -> Adaptive Card 1.5, and the input cards of `FORM_ACTIONS`
  (Slack: ``blocks.py`` and modals).
* ``cli.py``       – `build_package(out_path, ...)` (``uppsikt teams-package``).

The async SDK stays inside this package; the core is called through ``asyncio.to_thread``.
Nothing is imported or started at import time of this ``__init__``.
"""

PLATFORM = "teams"  # the platform column of the chat memory and the source of items taken in from Teams
