"""The monthly compliance report (issue 14): charts (matplotlib), a self-contained HTML page, the monthly post.

The figures come from `bot.core.monthly` (pure, testable without matplotlib);
this package only draws and writes them.
"""
