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


def manifest_is_fresh() -> bool:
    """True when ``target/manifest.json`` is newer than every file of the dbt project."""
    manifest = revstack_dbt.manifest_path
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    skip = {revstack_dbt.target_path.name, "logs", "dbt_packages"}
    for path in revstack_dbt.project_dir.rglob("*"):
        relative = path.relative_to(revstack_dbt.project_dir)
        if relative.parts[0] in skip or not path.is_file():
            continue
        if path.stat().st_mtime > built:
            return False
    return True


def prepare_if_stale() -> Path:
    """Parse only when a model, macro or config changed since the last parse."""
    return revstack_dbt.manifest_path if manifest_is_fresh() else prepare()


def prepare_if_dev() -> None:
    """Under ``dagster dev``, re-parse when the project changed (picks up model edits)."""
    if revstack_dbt.preparer.using_dagster_dev():
        prepare_if_stale()
