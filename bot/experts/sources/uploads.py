"""Works from files: a BibTeX bibliography (`bibtexparser` 2.x) or a CSV with a header row.

A CSV needs a `title` column; `year`, `doi` and `abstract` are optional (header names are matched
ignoring case and surrounding spaces). LaTeX in BibTeX fields (`{\\"o}`, `\\&`, protective braces) is
decoded to text. Entries without a title are skipped and counted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.experts.sources.records import BIBTEX, CSV, FetchedProfile, make_work, merge_works

# Files of this size are bibliographies of whole groups; a person's fits easily.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_YEAR_RE = re.compile(r"\b(1[0-9]{3}|2[0-9]{3})\b")


@dataclass(frozen=True)
class UploadResult:
    """A parsed file: the works (as a `FetchedProfile`) and how many entries were skipped, and why."""

    profile: FetchedProfile
    skipped: int
    problems: tuple[str, ...] = ()


def parse_bibtex(text: str, name: str) -> UploadResult:
    """The works of a BibTeX file.

    Raises:
        InvalidInput: Nothing in the file is a BibTeX entry with a title.
    """
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    works = []
    skipped = 0
    for entry in library.entries:
        fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
        work = make_work(
            fields.get("title", "").replace("{", "").replace("}", ""),
            _year(fields.get("year")),
            fields.get("doi"),
            fields.get("abstract"),
        )
        if work is None:
            skipped += 1
        else:
            works.append(work)
    problems = tuple(
        f"an entry near line {getattr(block, 'start_line', 0) + 1} could not be read"
        for block in library.failed_blocks
    )
    if not works:
        raise InvalidInput(f"{name} has no BibTeX entries with a title.")
    return UploadResult(FetchedProfile(BIBTEX, name, merge_works(works)), skipped + len(problems), problems)


def parse_csv(text: str, name: str) -> UploadResult:
    """The works of a CSV file with a header row (`title`, and optionally `year`, `doi`, `abstract`).

    Raises:
        InvalidInput: No `title` column, or no row with a title.
    """
    reader = csv.DictReader(io.StringIO(text))
    columns = {(field or "").strip().lower(): field for field in reader.fieldnames or []}
    if "title" not in columns:
        raise InvalidInput(f"{name} has no `title` column (the first row must name the columns).")
    works = []
    skipped = 0
    for row in reader:

        def cell(column: str, row: dict[str, str | None] = row) -> str | None:
            field = columns.get(column)
            return row.get(field) if field is not None else None

        work = make_work(cell("title"), _year(cell("year")), cell("doi"), cell("abstract"))
        if work is None:
            skipped += 1
        else:
            works.append(work)
    if not works:
        raise InvalidInput(f"{name} has no rows with a title.")
    return UploadResult(FetchedProfile(CSV, name, merge_works(works)), skipped)


def parse_upload(data: bytes, name: str) -> UploadResult:
    """A BibTeX (`.bib`) or CSV (`.csv`) file's works, by its extension.

    Raises:
        InvalidInput: Too big, not UTF-8, another extension, or nothing usable in it.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} is not UTF-8 text.") from None
    lowered = name.lower()
    if lowered.endswith(".bib"):
        return parse_bibtex(text, name)
    if lowered.endswith(".csv"):
        return parse_csv(text, name)
    raise InvalidInput(f"{name}: expected a .bib (BibTeX) or .csv file.")


def _year(value: str | None) -> int | None:
    match = _YEAR_RE.search(value or "")
    return int(match.group(1)) if match else None
