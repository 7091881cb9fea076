"""Reading typed answers: every kind, with French reasons when they do not fit."""

from datetime import datetime

import pytest

from domain.dates import PARIS
from domain.forms import Form, InvalidAnswer, Kind, Option, Question, display, read_answer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
CHOICE = Question("mode", "Mode", "?", Kind.CHOICE, (Option("liberal", "Libéral"), Option("salarie", "Salarié"),
                                                     Option("mixte", "Mixte")))


@pytest.mark.parametrize("typed,expected", [("06 12 34 56 78", "06 12 34 56 78"), ("0612345678", "06 12 34 56 78"),
                                            ("+33 6 12 34 56 78", "06 12 34 56 78"), ("06.12.34.56.78", "06 12 34 56 78"),
                                            ("+41 79 123 45 67", "+41791234567")])
def test_phones(typed, expected):
    assert read_answer(Question("p", "T", "?", Kind.PHONE), typed, NOW) == expected


@pytest.mark.parametrize("typed", ["12 34", "06 12 34 56", "téléphone", "00000000000000000000"])
def test_bad_phones(typed):
    with pytest.raises(InvalidAnswer, match="numéro de téléphone valide"):
        read_answer(Question("p", "T", "?", Kind.PHONE), typed, NOW)


def test_numbers_in_digits_or_words_with_bounds():
    q = Question("n", "Enfants", "?", Kind.NUMBER, minimum=0, maximum=12)
    assert read_answer(q, "2", NOW) == 2 and read_answer(q, "deux", NOW) == 2
    with pytest.raises(InvalidAnswer, match="n'est pas un nombre"):
        read_answer(q, "quelques-uns", NOW)
    with pytest.raises(InvalidAnswer, match="au plus 12"):
        read_answer(q, "40", NOW)


def test_choice_typed_by_label_without_accents():
    assert read_answer(CHOICE, "salarie", NOW) == "salarie"
    assert read_answer(CHOICE, "LIBÉRAL", NOW) == "liberal"
    with pytest.raises(InvalidAnswer, match="boutons"):
        read_answer(CHOICE, "fonctionnaire", NOW)


def test_multi_choice_typed():
    q = Question("m", "Modes", "?", Kind.MULTI, CHOICE.options)
    assert read_answer(q, "libéral et mixte", NOW) == ["liberal", "mixte"]
    assert display(q, ["liberal", "mixte"]) == "Libéral, Mixte"


def test_yes_no():
    q = Question("y", "?", "?", Kind.YESNO)
    assert read_answer(q, "Oui", NOW) is True and read_answer(q, "non.", NOW) is False
    with pytest.raises(InvalidAnswer):
        read_answer(q, "peut-être", NOW)


def test_a_text_up_to_its_limit_is_kept_intact_and_one_past_it_refused():
    text = "é 😀" * 500  # 1,500 characters: a free text's limit
    assert read_answer(Question("t", "T", "?", Kind.TEXT), text, NOW) == text
    with pytest.raises(InvalidAnswer, match="C'est trop long pour « T » : 1\u202f501 caractères, 1\u202f500 au plus"):
        read_answer(Question("t", "T", "?", Kind.TEXT), text + "x", NOW)
    with pytest.raises(InvalidAnswer, match="301 caractères, 300 au plus"):  # a date is a few words
        read_answer(Question("d", "D", "?", Kind.DAY), "x" * 301, NOW)
    assert read_answer(Question("n", "Nom", "?", Kind.TEXT, max_length=100), "N" * 100, NOW) == "N" * 100


def test_conditional_questions_and_navigation():
    form = Form("f", "F", (
        Question("a", "A", "?", Kind.CHOICE, (Option("x", "X"), Option("y", "Y"))),
        Question("b", "B", "?", Kind.TEXT, when=lambda ans: ans.get("a") == "y"),
        Question("c", "C", "?", Kind.TEXT),
    ))
    assert [q.key for q in form.applicable({"a": "x"})] == ["a", "c"]
    assert form.next_after("a", {"a": "y"}).key == "b"
    assert form.previous_before("c", {"a": "x"}).key == "a"
    assert form.progress("c", {"a": "y"}) == (3, 3)
    assert form.first_unanswered({"a": "x"}, {"a"}).key == "c"


def test_callback_data_is_read_typed_or_not_at_all():
    from domain.callbacks import read

    def answer(data):
        return read(data, "p", int, int, int, {"o", "s", "n"})

    assert answer("p:12:3:45:o") == (12, 3, 45, "o")
    assert read("c:7:view", "c", int, str, int, optional=1) == (7, "view", None)
    assert read("c:7:fix:2", None, int, str, int, optional=1) == (7, "fix", 2)
    forged = ["p:12:3:45:z", "p:12:3:4x:o", "q:12:3:45:o", "p:12:3:45", "p:12:3:45:o:1", "p:-1:3:45:o", "p:١٢:3:45:o",
              "p::3:45:o", "", None, "p:" + "9" * 70 + ":1:1:o"]
    assert [answer(data) for data in forged] == [None] * len(forged)
    assert read("c:7::2", "c", int, str, int) is None  # an empty word
