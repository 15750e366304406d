"""Procedure matching: contrast phase and modality are categories, the rest is word overlap."""

import pytest

from assistant.clinical.procedures import match_score, signature
from core.textnorm import expand


@pytest.mark.parametrize(
    ("asked", "contrast"),
    [
        ("CT A/P w/ and w/o", "both"),
        ("MRI with and without contrast", "both"),
        ("non-con CT head", "none"),
        ("MRI ankle w/o?", "none"),
        ("contrast CT of the abdomen", "with"),
        ("CT abdomen with IV contrast", "with"),
        ("US abdomen", None),
    ],
)
def test_contrast_phase_is_read_from_physician_shorthand(asked, contrast):
    assert signature(asked).contrast == contrast


def test_abbreviations_expand_to_guideline_words():
    assert expand("CT A/P") == "ct abdomen and pelvis"
    assert expand("C-spine films") == "cervical spine xray"
    assert "lumbar spine" in expand("L-spine")


@pytest.mark.parametrize(
    ("asked", "right", "wrong"),
    [
        ("CT A/P w/ and w/o", "CT abdomen and pelvis without and with contrast", "CT abdomen and pelvis with contrast"),
        ("Non-contrast head CT", "CT head without contrast", "CT head without and with contrast"),
        ("Chest x-ray", "X-ray chest", "CT chest without contrast"),
        ("Bone scan of the shoulder", "Tc-99m bone scan shoulder", "MRI shoulder without contrast"),
        ("Scrotal MRI without contrast", "MRI pelvis (scrotum) without contrast", "US scrotum"),
    ],
)
def test_the_right_row_outscores_its_neighbours(asked, right, wrong):
    assert match_score(asked, right) > match_score(asked, wrong)
