"""The dbt project as Dagster sees it.

Kept apart from the asset definitions so that the CLI and the tests can prepare the manifest
(``dbt parse``) before the definitions that read it are imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtProject

from revstack import config

revstack_dbt = DbtProject(project_dir=config.DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The venv's dbt, so that dbt runs even when the venv is not activated."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def prepare() -> Path:
    """Parse the dbt project into ``target/manifest.json`` (about 6 s) and return its path."""
    revstack_dbt.preparer.prepare(revstack_dbt)
    return revstack_dbt.manifest_path
