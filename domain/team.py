"""The team's roles: the CLS's chargée de mission, the CPTS's health professionals, and who administers the bot."""

ROLES = ("cls", "cpts", "admin")
