"""Thin Telegram adapters, one module per protocol step: parse the update, call bot/ and storage/, reply."""
