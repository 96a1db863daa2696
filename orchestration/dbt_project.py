"""The dbt project as Dagster sees it.

Kept apart from the asset definitions so that the CLI and the tests can prepare the manifest
(``dbt parse``) before the definitions that read it are imported.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from revstack import config

revstack_dbt = DbtProject(project_dir=config.DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The environment's own dbt, so that dbt runs even when the venv is not activated."""
    for bin_dir in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        candidate = bin_dir / "dbt"
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def prepare() -> Path:
    """Parse the dbt project into ``target/manifest.json`` (about 6 s) and return its path.

    dagster-dbt's own preparer calls ``dbt`` from PATH; this one calls the environment's dbt,
    so ``dagster dev`` works without an activated venv.
    """
    DbtCliResource(project_dir=revstack_dbt, dbt_executable=dbt_executable()).cli(
        ["parse", "--quiet"], target_path=revstack_dbt.target_path
    ).wait()
    return revstack_dbt.manifest_path


def prepare_if_dev() -> None:
    """Re-parse on every load under ``dagster dev`` (picks up model edits), as dagster-dbt does."""
    if revstack_dbt.preparer.using_dagster_dev():
        prepare()
