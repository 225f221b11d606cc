"""Uppsikt in Slack (slack-bolt: Socket Mode, or HTTP on the one aiohttp application). The same shape as
bot/adapters/teams/:

* ``app.py``       – the Bolt app wired to the Bot facade; `mount(server, app)` adds ``POST /slack/events``
  to the one aiohttp application (bot/server.py); `connect` and `socket_mode` for ``uppsikt run``.
* ``chat.py``      – `SlackChat`: the chat port (posts, card updates, rate limits).
* ``directory.py`` – `Directory`: Slack users, channels and cards; `tell` answers the person who acted.
* ``blocks.py``    – Message -> Block Kit (Teams: ``cards.py``); ``home.py`` the App Home (Teams has none).
* ``ids.py``       – every action, callback and block id; ``listeners/`` the Bolt listeners (Teams: the
  handlers in ``app.py``).
"""

PLATFORM = "slack"  # the platform column of the chat memory and the source of items taken in from Slack
