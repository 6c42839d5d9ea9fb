"""Expert profiles from where researchers keep them: ORCID, OpenAlex, BibTeX and CSV (issue 15).

- `records`: what a source yields (works, an expertise hint), ORCID iD and OpenAlex id checks, dedup.
- `http_client`: the one HTTP client (timeouts, Retry-After, polite User-Agent, ETag/Last-Modified).
- `orcid`, `openalex`: the two public APIs; `fetch`: a linked record read completely over the network.
- `uploads`: BibTeX (`bibtexparser` 2.x) and CSV files.
- `store`: writing a fetch to a profile in one transaction, links, unlinks, hiding, the `/profile` view.
- `service`: what `/profile link|unlink`, `liaison profiles` and the refresh job call.
- `tables`: `profile_source_link`, `source_work`, `http_cache_entry` (docs/profiles.md).
"""
