"""Weekly check-ins: per-project questions by DM, answers summarised to the channel (issue 14)."""
