"""Long texts cut into messages Telegram accepts: within 4,096 UTF-16 units, tags balanced, cut between lines, else
words, never inside a tag or an entity — checked over generated texts with the fake Bot API's own HTML parser."""

import html
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.messages import LIMIT, fit_html, split_html, utf16_len, visible_len
from sandbox.fakeapi import parse_html

# what users type: letters, accents, emoji (two UTF-16 units each), HTML's own characters, spaces and new lines
TYPED = st.text(st.sampled_from(list("abcdeé çàÉ") + ["😀", "🏥", "<", ">", "&", "\n", " ", "’"]),
                max_size=9000)


def _shown(text: str) -> str:
    return parse_html(text)[0]  # raises as Telegram would on an unbalanced tag or a broken entity


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_text_that_fits_is_left_as_it_is():
    assert split_html("<b>bonjour</b>") == ["<b>bonjour</b>"]


def test_lines_are_kept_whole_when_they_fit():
    text = "\n".join(f"ligne {i} " + "x" * 90 for i in range(200))
    parts = split_html(text)
    assert len(parts) > 1 and all(len(p) <= LIMIT for p in parts)
    assert "\n".join(parts) == text  # cut only between lines


def test_a_single_huge_line_is_cut_between_words():
    text = " ".join(["mot"] * 3000)
    parts = split_html(text)
    assert all(len(p) <= LIMIT for p in parts) and " ".join(parts) == text


def test_a_tag_open_at_a_cut_is_closed_then_opened_again():
    text = "<b>" + "L é " * 1300 + "</b>"
    first, second = split_html(text)
    assert first.startswith("<b>") and first.endswith("</b>") and second.startswith("<b>")
    assert _shown(first) and _shown(second)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b", "i", "code", None]), TYPED), min_size=1, max_size=6),
       st.sampled_from([LIMIT, 300, 50]))
def test_any_text_cuts_into_parts_telegram_accepts_and_loses_nothing(pieces, limit):
    """Lines as the bot writes them: typed text escaped, some of it in tags."""
    text = "\n".join(f"<{tag}>{html.escape(t, quote=False)}</{tag}>" if tag else html.escape(t, quote=False)
                     for tag, t in pieces)
    assume(_shown(text).strip())  # the bot never sends a message with nothing to show
    parts = split_html(text, limit)
    for part in parts:
        shown = _shown(part)
        assert shown.strip() and utf16_len(shown) <= limit
    assert _squeezed("".join(_shown(p) for p in parts)) == _squeezed(_shown(text))


@settings(max_examples=60, deadline=None)
@given(TYPED)
def test_a_text_fitted_into_one_message_is_its_beginning(typed):
    text = "<i>" + html.escape(typed, quote=False) + "</i>"
    fitted = fit_html(text)
    assert visible_len(fitted) <= LIMIT
    shown = _shown(fitted)
    if fitted != text:
        assert shown.endswith(" …") and _squeezed(_shown(text)).startswith(_squeezed(shown[:-2]))
