"""Sending safely: long texts are split, not failed."""

from handlers.common import split_text


def test_short_text_untouched():
    assert split_text("bonjour") == ["bonjour"]


def test_long_text_split_on_lines_within_the_limit():
    text = "\n".join(f"ligne {i} " + "x" * 90 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text


def test_single_huge_line_split_on_spaces():
    text = " ".join(["mot"] * 3000)
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and " ".join(parts) == text
