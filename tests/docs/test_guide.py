"""The user guide stays true: every scenario of docs/scenarios/ is replayed and must give, word for word, the
transcript docs/guide.md shows. After a deliberate change of wording, `python -m sandbox.scenarios` rewrites them."""

import difflib

from sandbox.scenarios import GUIDE, blocks, scripts, shown, transcripts

SLIPS = ("(aucun bouton", "(durée non comprise", "(directive inconnue", "(aucun lien d'invitation")


async def test_the_guide_shows_what_the_bot_answers(tmp_path):
    found = await transcripts(tmp_path)
    guide = blocks(GUIDE.read_text(encoding="utf-8"))
    names = [p.stem for p in scripts() if shown(p)]
    assert sorted(guide) == sorted(names), "each shown scenario appears once in docs/guide.md, and only those"
    for name in names:
        if found[name] != guide[name]:
            diff = "\n".join(difflib.unified_diff(guide[name].splitlines(), found[name].splitlines(),
                                                  "docs/guide.md", "le bot aujourd'hui", lineterm="", n=2))
            raise AssertionError(f"scenario {name} no longer matches the guide (python -m sandbox.scenarios):\n{diff}")
    for name, text in found.items():  # the preparation scripts too: a step that did nothing is a broken scenario
        assert not any(slip in text for slip in SLIPS), f"{name}: {next(s for s in SLIPS if s in text)}"
