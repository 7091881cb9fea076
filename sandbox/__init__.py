"""The bot without Telegram: an in-process fake Bot API (and its HTTP server), the sandbox that puts people in front
of the real bot on it, the console in the terminal and the guide's scenarios. Imported by the console, the tests
and the benchmarks, never by the bot itself."""
