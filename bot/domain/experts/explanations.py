"""Which sentence of a project each suggested person is shown against ("project text: ...").

A project's text is split into sentences (description sentences, open blockers, open milestone titles:
`bot.experts.search`). For each suggested person the sentence closest to the profile items that made
them relevant is quoted. Taken alone, that choice tends to quote the same sentence for everyone: the
one that states what the whole project is about is close to every relevant profile. So a sentence's
closeness to a person is discounted by its mean closeness to everyone suggested
(`SHARED_DISCOUNT`): the quote is the sentence this person matches *in particular*, and different
people get different sentences whenever the project has them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# How much of a sentence's mean closeness to all suggested people is subtracted from its closeness to
# one person. 0 quotes each person's closest sentence; 1 quotes the sentence they match most above
# the average, even if it is far from them.
SHARED_DISCOUNT = 0.75


def matched_sentences(
    sentence_vectors: np.ndarray, people_item_vectors: Sequence[np.ndarray]
) -> list[int | None]:
    """Per person, the row of `sentence_vectors` to quote.

    Args:
        sentence_vectors: ``(sentences, dimension)`` unit vectors of the project's sentences.
        people_item_vectors: Per suggested person, ``(items, dimension)`` unit vectors of the items
            that explain their match (one or two); an empty array when nothing does.

    Returns:
        Per person, a sentence row, or None when they have no item or the project no sentence.
    """
    if len(sentence_vectors) == 0:
        return [None] * len(people_item_vectors)
    sentences = np.asarray(sentence_vectors, dtype=np.float32)
    closeness = np.full((len(people_item_vectors), len(sentences)), np.nan, dtype=np.float32)
    for person, vectors in enumerate(people_item_vectors):
        if len(vectors):
            # A sentence is as close to a person as to the nearest of their explaining items.
            closeness[person] = (np.asarray(vectors, dtype=np.float32) @ sentences.T).max(axis=0)
    known = ~np.isnan(closeness[:, 0])
    if not known.any():
        return [None] * len(people_item_vectors)
    shared = closeness[known].mean(axis=0)
    distinct = closeness - SHARED_DISCOUNT * shared[None, :]
    return [int(np.argmax(distinct[person])) if known[person] else None for person in range(len(known))]
