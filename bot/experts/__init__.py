"""Expert suggestions: embeddings, the vector index, the one ranker, intros, profiles and evaluation.

- `embeddings`: the `Embedder` protocol, the model, the test stand-in, the cache, per-model calibration.
- `profile_items`, `vector_sync`, `index`: profile texts, their stored vectors, per-workspace indexes.
- `expert_command`, `search`, `ranking`: `/expert` lines, searches prepared from the database, and the
  one ranker behind `/expert` and "who knows about X?".
- `intros`: introductions (requests, caps, decisions, and the flow behind an `IntroMessenger`).
- `profiles`, `profile_edits`, `profile_version`: showing and editing profiles.
- `evaluation`: the offline evaluation of the ranking.
"""

from __future__ import annotations
