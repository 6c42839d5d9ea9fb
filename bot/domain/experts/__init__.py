"""Expert suggestions: rank people by how well their profile texts match a need.

Each person has a few profile items (an expertise paragraph, publications), each embedded as a unit
vector. Everything here is numpy: no database, no Slack, no model.

- `profiles`: people, profile items and matches.
- `aggregation`: how a person's item similarities become one score.
- `index`: the item matrix, laid out once per directory (`ExpertIndex`).
- `half_precision`: the float16 first pass of large indexes.
- `diversity`: maximal marginal relevance, so five suggestions are not five people of one discipline.
- `lexical`: TF-IDF cosines of a need with every item (the word half of the hybrid score).
- `sentences`: sentence-level matching of long needs (a project's sentences) and its re-rank.
- `explanations`: which project sentence each suggested person is quoted against.
- `hygiene`: which works a profile embeds (20 most recent, no duplicates) and how a work becomes text.
- `ranking`: scoring and ranking a query against an index.
"""

from __future__ import annotations
