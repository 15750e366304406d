"""The support rule shared by the Answer validators and the evals."""

from assistant.support import quote_in, supports

CHUNK = (
    "Radiofrequency ablation requires two diagnostic medial branch blocks, each giving at least 80% relief. "
    "Repeat ablation requires at least 50% relief for 6 months."
)


def test_a_verbatim_sentence_is_supported():
    assert supports("Radiofrequency ablation requires two diagnostic medial branch blocks.", CHUNK)


def test_a_changed_number_is_not_supported():
    assert not supports("Radiofrequency ablation requires at least 60% relief.", CHUNK)


def test_an_added_negation_is_not_supported():
    assert not supports("Radiofrequency ablation does not require diagnostic medial branch blocks.", CHUNK)


def test_words_scattered_across_a_long_chunk_do_not_add_up():
    long_chunk = "ablation " + "filler words here. " * 60 + "requires blocks relief"
    assert not supports("ablation requires blocks relief", long_chunk)


def test_a_claim_stitched_from_two_chunks_is_refused_by_each():
    a = "Epidural steroid injections treat radicular pain."
    b = "Facet joint interventions require axial pain."
    claim = "Epidural steroid injections require axial pain."
    assert not supports(claim, a) and not supports(claim, b)


def test_empty_claims_are_never_supported():
    assert not supports("", CHUNK) and not supports("the of and", CHUNK)


def test_quote_must_be_contiguous_and_in_order():
    assert quote_in("each giving at least 80% relief", CHUNK)
    assert not quote_in("relief 80% least at", CHUNK)
