"""Agreements register: NDAs, data-use and research agreements, their terms and dates (issue 17)."""
