"""The protocol's rules as plain functions: dates, statuses, forms, the croisement, polls, indicators, summaries,
exports. Nothing here imports Telegram, the handlers or storage."""
