"""The dbt docs site: generated after each successful build, served by ``revstack up``.

``dbt docs generate`` reads the catalog (every table's columns and types) from the working
warehouse, so it runs in the build path right after the build, while no other process holds the
warehouse's lock. It reuses the manifest the build parsed (``--no-compile``: no second parse or
compile) and writes ``$REVSTACK_HOME/docs/``: ``index.html`` (dbt's static page, with the manifest
and the catalog inlined, so it also opens from disk), ``manifest.json`` and ``catalog.json``.
Generated, never committed. The page makes no call outside: anonymous usage tracking is off in the
manifest it embeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb

from revstack import config
from revstack.locking import LOCK_WAIT_SECONDS, warehouse_lock

# what dbt writes -> what the site holds
PUBLISHED = {
    "static_index.html": "index.html",
    "manifest.json": "manifest.json",
    "catalog.json": "catalog.json",
}


class DocsError(Exception):
    """The docs site could not be generated; the message says why."""


def docs_dir() -> Path:
    """Where the generated site lives: ``$REVSTACK_HOME/docs``."""
    return config.home() / "docs"


def generate(warehouse: Path | None = None, out: Path | None = None) -> Path:
    """Generate the dbt docs site for ``warehouse`` into ``out``; return its ``index.html``.

    The warehouse must not be open in another process (DuckDB's lock): dbt opens it for the
    catalog. Each file is replaced atomically, so a reader never gets a half-written one.
    """
    from orchestration.dbt_project import dbt_executable, prepare_if_stale

    warehouse = warehouse or config.warehouse_path()
    out = out or docs_dir()
    if not warehouse.exists():
        raise DocsError(f"no warehouse at {warehouse}; run `revstack build`")
    parsed = prepare_if_stale()  # the build parsed it already: normally nothing to do
    target = out / ".dbt-target"
    target.mkdir(parents=True, exist_ok=True)
    _seed_target(parsed, target)
    project = str(config.DBT_PROJECT_DIR)
    cmd = [
        dbt_executable(), "docs", "generate", "--static", "--no-compile",
        "--project-dir", project, "--profiles-dir", project,
        "--target-path", str(target), "--log-path", str(target / "logs"),
        "--no-send-anonymous-usage-stats", "--quiet",
    ]  # fmt: skip
    env = dict(os.environ, REVSTACK_WAREHOUSE=str(warehouse), DO_NOT_TRACK="1")
    with warehouse_lock(warehouse, timeout=LOCK_WAIT_SECONDS):  # dbt opens it for the catalog
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not (target / "static_index.html").exists():
        raise DocsError(
            f"dbt docs generate exited {proc.returncode}: "
            + (proc.stdout + proc.stderr).strip()[-2000:]
        )
    for name, published in PUBLISHED.items():
        tmp = out / f".{published}.{uuid.uuid4().hex}.tmp"
        shutil.copyfile(target / name, tmp)
        os.replace(tmp, out / published)
    return out / "index.html"


def _seed_target(manifest: Path, target: Path) -> None:
    """Put the build's parsed manifest where ``docs generate --no-compile`` reads it, with usage
    tracking off so that the page never calls home; and give dbt a partial-parse state to start
    from, so that it does not parse the whole project again.

    dbt re-parses everything when the profile changed, and the profile names this home's
    warehouse: the state to reuse is this site's own from the last build, else that of the dbt
    run that just built this warehouse (the newest under the project's target), else the parse's.
    A state that does not fit only costs time: dbt notices and parses in full."""
    data = json.loads(manifest.read_text())
    data.setdefault("metadata", {})["send_anonymous_usage_stats"] = False
    (target / "manifest.json").write_text(json.dumps(data))
    state = target / "partial_parse.msgpack"
    if state.exists():
        return
    runs = manifest.parent.glob("*/partial_parse.msgpack")
    candidates = sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)
    candidates.append(manifest.with_name("partial_parse.msgpack"))
    for candidate in candidates:
        if candidate.exists():
            shutil.copyfile(candidate, state)
            return


def _site_key(warehouse: Path) -> dict[str, object]:
    """What the site shows besides descriptions: the models' and sources' columns, set by the
    code and by the raw tables' columns (schema drift adds some)."""
    from revstack import build_state

    with warehouse_lock(warehouse, timeout=LOCK_WAIT_SECONDS):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            columns = con.execute(
                "select count(*), coalesce(sum(hash(table_schema, table_name, column_name,"
                " data_type)), 0) from information_schema.columns"
                " where table_catalog = current_database()"
            ).fetchone()
        finally:
            con.close()
    return {"code": build_state.code_hash(), "columns": [int(columns[0]), str(columns[1])]}


def generate_after_build() -> str:
    """Generate the site after a successful build, unless it already shows this code and these
    columns (``dbt docs generate`` takes 5-25 s and holds the warehouse); a failure is reported,
    never raised (the build itself succeeded and its snapshot is published)."""
    started = time.perf_counter()
    stamp = docs_dir() / ".generated_for.json"
    try:
        warehouse = config.warehouse_path()
        key = _site_key(warehouse) if warehouse.exists() else None
        shown = json.loads(stamp.read_text("utf-8")) if stamp.exists() else None
        if key is not None and key == shown and (docs_dir() / "index.html").exists():
            return "dbt docs: unchanged (same models and columns)"
        index = generate()
        stamp.write_text(json.dumps(key), "utf-8")
    except (DocsError, OSError, ValueError, duckdb.Error) as exc:
        print(f"warning: the dbt docs site was not generated: {exc}", file=sys.stderr)
        return "dbt docs: not generated (see the warning above)"
    return f"dbt docs generated in {time.perf_counter() - started:.1f} s at {index}"


def serve(host: str, port: int, directory: Path | None = None) -> subprocess.Popen:
    """Serve the docs site (``python -m http.server``) on ``host:port`` in its own process
    group, as ``revstack up`` does with the other services."""
    directory = directory or docs_dir()
    directory.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "http.server", str(port),
        "--bind", host, "--directory", str(directory),
    ]  # fmt: skip
    print(f"dbt docs   http://{host}:{port}  (regenerated after each build)")
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
