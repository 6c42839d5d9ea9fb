"""Profile hygiene: recent works only, no duplicates, no doubled punctuation."""

from __future__ import annotations

from bot.domain.experts.hygiene import MAX_WORKS, Work, normalise_doi, select_works, work_text
from bot.experts.profile_items import item_texts


def test_work_text_never_doubles_punctuation() -> None:
    assert (
        work_text("Is consent fatigue real?", "We ask 500 people.")
        == "Is consent fatigue real? We ask 500 people."
    )
    assert work_text("Bid shading.", "We estimate it.") == "Bid shading. We estimate it."
    assert work_text("Bid  shading", " We estimate\nit. ") == "Bid shading. We estimate it."
    assert work_text("Privacy: a primer", None) == "Privacy: a primer"
    assert work_text("Consent, revisited…", "Again.") == "Consent, revisited… Again."


def test_duplicates_by_doi_or_normalised_title_count_once_and_the_abstract_wins() -> None:
    works = [
        Work(0, "Cookie walls and consent", None, 2024, "https://doi.org/10.1/ABC"),
        Work(1, "Cookie Walls and Consent.", "With an abstract.", 2024, None),
        Work(2, "A different title", None, 2023, "doi:10.1/abc"),
        Work(3, "Unrelated", None, 2020, None),
    ]
    kept = select_works(works)
    assert [work.position for work in kept] == [1, 3]
    assert normalise_doi(" DOI:10.1/Abc ") == "10.1/abc" and normalise_doi("  ") is None


def test_only_the_most_recent_works_are_kept_in_profile_order() -> None:
    works = [Work(i, f"Paper {i}", None, 2000 + i) for i in range(30)]
    works.append(Work(30, "Undated paper"))
    kept = select_works(works)
    assert len(kept) == MAX_WORKS
    assert [work.position for work in kept] == list(range(10, 30))
    # Undated works come after every dated one; with room, they are kept.
    assert [w.position for w in select_works(works[25:], limit=10)] == [25, 26, 27, 28, 29, 30]


def test_item_texts_apply_hygiene_to_stored_publications() -> None:
    items = item_texts(
        "Privacy law",
        [(0, "Is consent real?", "An abstract."), (1, "Is Consent Real", None), (2, "Notice.", "Text.")],
    )
    assert [(item.key, item.text) for item in items] == [
        ("expertise", "Privacy law"),
        ("publication:0", "Is consent real? An abstract."),
        ("publication:2", "Notice. Text."),
    ]
    many = item_texts(None, [(i, f"Title {i}", None) for i in range(25)])
    assert len(many) == MAX_WORKS
