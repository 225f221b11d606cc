"""Installed as the package ``bot._config`` (see pyproject.toml): the files in this folder are data
(the example config, the policy presets, scenarios, the Slack and Teams manifests), read through
importlib.resources by bot/paths.py. This file only makes the folder a package."""
