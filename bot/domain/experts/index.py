"""`ExpertIndex`: profiles and their item vectors laid out once, for one-matrix-product ranking.

Built once and reused for every query: at 100k people x 5 items the item matrix is 768 MB of float32,
and a query costs one pass over it. Large indexes also keep a float16 copy (`HalfPrecisionMatrix`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot.domain.experts.generality import profile_generality
from bot.domain.experts.half_precision import (
    HALF_PRECISION_DTYPES,
    HALF_PRECISION_MIN_ITEMS,
    HalfPrecisionMatrix,
    half_precision_copy,
    half_precision_pays,
)
from bot.domain.experts.profiles import ExpertProfile, ProfileItem


@dataclass(frozen=True, eq=False)
class ExpertIndex:
    """Profiles and their item vectors, laid out for one-matrix-product scoring.

    Build with `build_expert_index`, keep it while the directory is unchanged and rank with
    `rank_indexed_experts`. The arrays are read-only, so one index can serve many threads.

    Attributes:
        profiles: People with at least one item, in the order given.
        items: All items, grouped by person in `profiles` order; their vectors are rows of `matrix`.
        matrix: ``(len(items), dimension)`` float32 item vectors, row i is ``items[i]``.
        layout: ``(widest profile, len(profiles))`` row numbers of each person's items: column p holds
            person p's rows, padded with ``len(items)`` (one past the end, read as "no item"). People
            run along the contiguous axis so per-person reductions are a few passes over long rows,
            not 100k tiny ones (0.2 ms instead of 5 ms at 100k people).
        counts: Items per person.
        opted_out: Per person.
        over_cap: Per person.
        discipline_codes: Per person, an index into `disciplines`.
        disciplines: Distinct casefolded disciplines.
        positions: Person id to position in `profiles`.
        half_precision: A float16 copy of `matrix` for the first pass of ranking, kept for indexes of
            at least HALF_PRECISION_MIN_ITEMS items when torch is installed and its product measures
            faster than the float32 one on this machine; None otherwise.
        generality: Per person, how close their profile is to everyone else's work
            (`bot.domain.experts.generality`); the ranking discounts it.
    """

    profiles: tuple[ExpertProfile, ...]
    items: tuple[ProfileItem, ...]
    matrix: np.ndarray
    layout: np.ndarray
    counts: np.ndarray
    opted_out: np.ndarray
    over_cap: np.ndarray
    discipline_codes: np.ndarray
    disciplines: tuple[str, ...]
    positions: dict[str, int]
    half_precision: HalfPrecisionMatrix | None = None
    generality: np.ndarray = field(default_factory=lambda: frozen_array(np.zeros(0, dtype=np.float32)))

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return len(self.profiles)


@dataclass(frozen=True, eq=False)
class ItemGrouping:
    """Items grouped by person, vectors stacked: the layout `ExpertIndex` and `score_people` share."""

    person_ids: tuple[str, ...]
    items: tuple[ProfileItem, ...]
    matrix: np.ndarray
    layout: np.ndarray
    counts: np.ndarray


def build_expert_index(
    profiles: Sequence[ExpertProfile],
    items: Sequence[ProfileItem],
    *,
    half_precision_min_items: int = HALF_PRECISION_MIN_ITEMS,
    generality: np.ndarray | None = None,
    half_precision_dtype: str | None = None,
) -> ExpertIndex:
    """Lay out profiles and items for fast ranking.

    Args:
        profiles: Everyone who may be suggested (opted-out people may be included; they are filtered
            at ranking time). People without items cannot be scored and are left out.
        items: Their embedded profile items, in any order.
        half_precision_min_items: From this many items on, also keep a float16 copy of the matrix
            for ranking (`HalfPrecisionMatrix`; needs torch, else ranking stays float32 only); from
            HALF_PRECISION_MIN_ITEMS on only if it measures faster (`half_precision_pays`). Costs half
            the matrix's memory again.
        half_precision_dtype: "float16" or "bfloat16" to force the copy's format (tests); None:
            chosen by measurement at production size.

    Returns:
        The index.

    Raises:
        ValueError: Duplicate person ids, items of unknown people, or vectors of different lengths.
    """
    positions: dict[str, int] = {}
    for profile in profiles:
        if profile.person_id in positions:
            raise ValueError(f"duplicate profile for person {profile.person_id!r}")
        positions[profile.person_id] = len(positions)
    unknown = {item.person_id for item in items if item.person_id not in positions}
    if unknown:
        raise ValueError(f"items refer to people without a profile: {sorted(unknown)[:5]}")
    grouping = group_items(items, order=[profile.person_id for profile in profiles])
    by_id = {profile.person_id: profile for profile in profiles}
    kept = tuple(by_id[person_id] for person_id in grouping.person_ids)
    disciplines: dict[str, int] = {}
    codes = [disciplines.setdefault(profile.discipline.casefold(), len(disciplines)) for profile in kept]
    # Rebind every item to its row of the index matrix, so the caller's copies of the vectors can be
    # freed: at 100k people x 5 items that is 768 MB instead of twice as much.
    items_in_index = tuple(
        ProfileItem(item.person_id, item.kind, item.text, grouping.matrix[row])
        for row, item in enumerate(grouping.items)
    )
    return ExpertIndex(
        profiles=kept,
        items=items_in_index,
        matrix=grouping.matrix,
        layout=grouping.layout,
        counts=grouping.counts,
        opted_out=frozen_array(np.array([p.opted_out for p in kept], dtype=bool)),
        over_cap=frozen_array(np.array([p.over_cap for p in kept], dtype=bool)),
        discipline_codes=frozen_array(np.array(codes, dtype=np.int64)),
        disciplines=tuple(disciplines),
        positions={profile.person_id: position for position, profile in enumerate(kept)},
        half_precision=_half_precision(grouping.matrix, half_precision_min_items, half_precision_dtype),
        generality=frozen_array(
            profile_generality(grouping.matrix, grouping.counts)
            if generality is None
            else np.asarray(generality, dtype=np.float32).copy()
        ),
    )


def _half_precision(matrix: np.ndarray, min_items: int, dtype: str | None) -> HalfPrecisionMatrix | None:
    """The 16-bit copy for an index of `matrix`, from `min_items` rows on: in `dtype` if given, else
    at production sizes (HALF_PRECISION_MIN_ITEMS) the first of HALF_PRECISION_DTYPES that measures
    faster than the float32 product (none if neither does), and float16 below them (tests)."""
    if matrix.shape[0] < min_items:
        return None
    if dtype is not None or matrix.shape[0] < HALF_PRECISION_MIN_ITEMS:
        return half_precision_copy(matrix, dtype or "float16")
    for candidate in HALF_PRECISION_DTYPES:
        if _PAYS_BY_FORMAT.get(candidate) is False:
            continue
        half = half_precision_copy(matrix, candidate)
        if half is None:
            continue
        if candidate not in _PAYS_BY_FORMAT:
            _PAYS_BY_FORMAT[candidate] = half_precision_pays(matrix, half)
        if _PAYS_BY_FORMAT[candidate]:
            return half
    return None


# Per 16-bit format, whether its product measured faster on this machine: timed once per process (the
# first production-size build), not at every rebuild after a profile edit.
_PAYS_BY_FORMAT: dict[str, bool] = {}


def with_over_cap(index: ExpertIndex, person_ids: Collection[str]) -> ExpertIndex:
    """The same index with exactly `person_ids` marked over their cap.

    Caps change with every intro request while the item matrix does not, so a cached index is
    re-marked per query instead of rebuilt; the matrix and item arrays are shared, not copied.

    Args:
        index: From `build_expert_index`.
        person_ids: People now at their cap (ids not in the index are ignored).

    Returns:
        A new index sharing `index`'s arrays, with `over_cap` and the profiles' flags replaced.
    """
    over_cap = np.zeros(len(index.profiles), dtype=bool)
    positions = [index.positions[p] for p in person_ids if p in index.positions]
    if positions:
        over_cap[positions] = True
    profiles = tuple(
        profile if profile.over_cap == flag else replace(profile, over_cap=bool(flag))
        for profile, flag in zip(index.profiles, over_cap, strict=True)
    )
    return replace(index, profiles=profiles, over_cap=frozen_array(over_cap))


def frozen_array(array: np.ndarray) -> np.ndarray:
    """`array`, made read-only in place: an index is shared by every thread that ranks with it."""
    array.flags.writeable = False
    return array


def empty_expert_index() -> ExpertIndex:
    """An index of nobody (a directory without embedded profiles).

    `build_expert_index` cannot stack zero vectors; ranking an empty index returns nothing before it
    looks at the matrix, so the matrix's width does not matter.
    """
    return ExpertIndex(
        profiles=(),
        items=(),
        matrix=frozen_array(np.zeros((0, 0), dtype=np.float32)),
        layout=frozen_array(np.zeros((0, 0), dtype=np.int64)),
        counts=frozen_array(np.zeros(0, dtype=np.int64)),
        opted_out=frozen_array(np.zeros(0, dtype=bool)),
        over_cap=frozen_array(np.zeros(0, dtype=bool)),
        discipline_codes=frozen_array(np.zeros(0, dtype=np.int64)),
        disciplines=(),
        positions={},
        generality=frozen_array(np.zeros(0, dtype=np.float32)),
    )


def group_items(items: Sequence[ProfileItem], *, order: Sequence[str] | None) -> ItemGrouping:
    """Group items by person (in `order`, else first appearance) and stack their vectors."""
    groups: dict[str, list[ProfileItem]] = {person_id: [] for person_id in order} if order is not None else {}
    for item in items:
        groups.setdefault(item.person_id, []).append(item)
    groups = {person_id: group for person_id, group in groups.items() if group}
    ordered = tuple(item for group in groups.values() for item in group)
    dimensions = {np.shape(item.vector) for item in ordered}
    if len(dimensions) > 1:
        raise ValueError(f"item vectors have different shapes: {sorted(dimensions)[:3]}")
    if ordered and len(next(iter(dimensions))) != 1:
        raise ValueError("item vectors must be 1-D")
    matrix = np.ascontiguousarray(np.stack([item.vector for item in ordered]), dtype=np.float32)
    counts = np.fromiter((len(group) for group in groups.values()), dtype=np.int64, count=len(groups))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slots = np.arange(int(counts.max()))[:, None]
    layout = starts[None, :] + slots
    layout[slots >= counts[None, :]] = len(ordered)
    return ItemGrouping(
        person_ids=tuple(groups),
        items=ordered,
        matrix=frozen_array(matrix),
        layout=frozen_array(layout),
        counts=frozen_array(counts),
    )
