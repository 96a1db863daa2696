#!/usr/bin/env python3
"""Set up revstack on a fresh machine and run it, or run its checks.

    python3 bootstrap.py up      # set up, simulate a company if none landed, build, serve UI + app
    python3 bootstrap.py test    # set up, then lint (ruff, sqlfluff) and run the test suite
                                 # (installs Debian's chromium for the browser test if missing)

Needs only Python 3.11+ and the package registries. It creates ``.venv/`` (whose ``bin/revstack``
is the command), installs uv into it, and installs the locked dependency set (``uv.lock``).
Extra arguments after ``up`` / ``test`` go to ``revstack up`` / ``pytest``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
UV_VERSION = "0.13.8"
# The browser test (tests/test_browser.py) drives Debian's Chromium through Playwright; Playwright's
# own browser download is never used (no network at run time). The emoji font draws the app's
# page icons in the screenshots. Debian package -> a file it installs.
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_PACKAGES = {
    "chromium": CHROMIUM,
    "fonts-noto-color-emoji": Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
}


def run(cmd: list[str], **kwargs) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(f"revstack needs Python 3.11+, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        python = str(BIN / "python")
        if subprocess.call([python, "-c", "import pip"], stderr=subprocess.DEVNULL) != 0:
            run([python, "-m", "ensurepip", "--upgrade"])  # a venv made by uv has no pip
        run([python, "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"])
    env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(VENV), VIRTUAL_ENV=str(VENV))
    run([str(BIN / "uv"), "sync", "--frozen", "--python", str(BIN / "python")], env=env)


def activated_env() -> dict[str, str]:
    env = dict(os.environ, VIRTUAL_ENV=str(VENV))
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def ensure_chromium() -> None:
    """Install Debian's ``chromium`` (and the emoji font) for the browser test when missing."""
    missing = [name for name, path in BROWSER_PACKAGES.items() if not path.exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit(f"the browser test needs the Debian packages {missing}, and there is no apt-get")
    print(f"installing {', '.join(missing)} (Debian) for the browser test", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*sudo, apt, "install", "-y", *missing]
    try:
        print("+ " + " ".join(install), flush=True)
        if subprocess.call(install, cwd=ROOT, env=env) != 0:  # package lists missing or old
            run([*sudo, apt, "update"], env=env)
            run(install, env=env)
    except (subprocess.CalledProcessError, OSError) as exc:
        sys.exit(f"could not install {missing} for the browser test ({exc}); install them by hand")
    if not CHROMIUM.exists():
        sys.exit(f"apt-get installed chromium but {CHROMIUM} is still missing")


def test(extra: list[str]) -> int:
    ensure_chromium()
    env = activated_env()
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [
            str(BIN / "sqlfluff"),
            "lint",
            "dbt_project",
            "--disable-progress-bar",
            "--processes",
            "2",
        ],
        [str(BIN / "pytest"), "-n", "2", *extra],
    ]
    for step in steps:
        print("+ " + " ".join(step), flush=True)
        code = subprocess.call(step, cwd=ROOT, env=env)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test", "setup"}:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    setup()
    if command == "setup":
        return 0
    if command == "test":
        return test(extra)
    revstack = shutil.which("revstack", path=str(BIN)) or str(BIN / "revstack")
    proc = subprocess.Popen([revstack, "up", *extra], cwd=ROOT, env=activated_env())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reached `revstack up` too: let it stop its services
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
