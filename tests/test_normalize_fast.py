"""Normalisation's shortcuts (lines ftfy provably leaves alone, lines remembered) change nothing."""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

import ftfy
from cleaner.config import NormalizeConfig
from cleaner.normalize import _ftfy_config, _untouched, normalize_line, normalize_text

CONFIGS = [NormalizeConfig(), NormalizeConfig(uncurl_quotes=True), NormalizeConfig(fix_character_width=True),
           NormalizeConfig(normalization="NFKC"), NormalizeConfig(fix_encoding=False)]
#: Characters the fixers care about: mojibake pieces, ligatures, full-width forms, quotes, controls.
_PIECES = "ÃƒÂ©â€™Ã¢â‚¬Å“ ﬁﬂﬀĳ　ＡＢ１‘’“”ʼ\u00ad\ufeff\ufffc\u200b\u2028\x85e\u0301é&;<>àäöüßçñ€ł中文ğış"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.sampled_from(_PIECES) | st.characters(), max_size=40), st.sampled_from(CONFIGS))
@example("Biden’s statement", NormalizeConfig())
@example("ﬁnal ＡＢ", NormalizeConfig())
@example("sÃ³", NormalizeConfig())
@example("café", NormalizeConfig())
@example("cafe\u0301", NormalizeConfig())
def test_a_line_called_untouched_is_one_ftfy_leaves_alone(line, config):
    fixer = _ftfy_config(config)
    if _untouched(line, fixer):
        assert ftfy.fix_and_explain(line, fixer).text == line


def test_the_shortcut_takes_ordinary_non_ascii_lines_and_leaves_the_rest_to_ftfy():
    fixer = _ftfy_config(NormalizeConfig())
    assert _untouched("Ärger über die Straße in Köln, sagte der Bürgermeister.", fixer)
    assert _untouched("中文新闻报道。", fixer)
    assert not _untouched("ＡＢＣ", _ftfy_config(NormalizeConfig(fix_character_width=True)))
    for line in ("sÃ³ far", "the ﬁnal", "a&amp;b", "cafe\u0301", "soft\u00adhyphen", "x\ufffcy"):
        assert not _untouched(line, fixer), line


def test_remembered_lines_give_what_normalising_them_gives():
    text = "Straße\nsÃ³ far\n\nStraße\nsÃ³ far\n"
    first, second = normalize_text(text), normalize_text(text)
    assert first == second
    assert first.text == "Straße\nsó far\n\nStraße\nsó far"
    assert [fix.line for fix in first.fixes] == [2, 5]
    assert first.fixes[0].codes == first.fixes[1].codes == ("NRM001",)
    assert normalize_line("sÃ³ far", NormalizeConfig())[0] == "só far"
