"""Slack adapter: a thin layer over the core (slack-bolt, Socket Mode or HTTP)."""
