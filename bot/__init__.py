"""Uppsikt: a chat bot for a Swedish municipality's social-media oversight duty."""

__version__ = "0.1.0"
