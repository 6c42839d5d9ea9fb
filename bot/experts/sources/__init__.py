"""Expert profiles from where researchers keep them: ORCID, OpenAlex, BibTeX and CSV (issue 15)."""
