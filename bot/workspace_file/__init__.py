"""The workspace YAML file: the import and export format of a whole workspace."""

from __future__ import annotations
