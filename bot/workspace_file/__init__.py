"""The workspace YAML file: the import and export format of a whole workspace.

The format is that of `bot/data/adtech-alliance.yaml` (see docs/workspace-format.md). The package is
split by direction:

- `document`: the validated document model, the format's constants and `WorkspaceFileError`;
- `field_reader` and `parse`: YAML text to a validated document, reporting every problem by line;
- `importer`: a document into the database, as an idempotent upsert with optional date rebasing
  (by whole weeks) and warnings for what imports but looks wrong;
- `export`: a workspace from the database back to YAML that imports to the same data.
"""

from __future__ import annotations

from bot.workspace_file.document import (
    BlockerEntry,
    MilestoneEntry,
    PersonEntry,
    Problem,
    ProjectEntry,
    PublicationEntry,
    WorkspaceDocument,
    WorkspaceEntry,
    WorkspaceFileError,
)
from bot.workspace_file.export import export_workspace
from bot.workspace_file.importer import ImportReport, import_workspace, import_workspace_file, rebase_shift
from bot.workspace_file.parse import load_workspace_document, parse_workspace_document

__all__ = [
    "BlockerEntry",
    "ImportReport",
    "MilestoneEntry",
    "PersonEntry",
    "Problem",
    "ProjectEntry",
    "PublicationEntry",
    "WorkspaceDocument",
    "WorkspaceEntry",
    "WorkspaceFileError",
    "export_workspace",
    "import_workspace",
    "import_workspace_file",
    "load_workspace_document",
    "parse_workspace_document",
    "rebase_shift",
]
