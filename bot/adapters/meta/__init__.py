"""The Meta Graph API client (issue 11): a platform library of its own, wired in by bot.cli."""
