"""Where things live.

Every path derives from ``REVSTACK_HOME``, read at call time (never at import).
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCES: tuple[str, ...] = ("gateway", "crm", "usage", "accounting", "fx")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def home() -> Path:
    """The data home: ``$REVSTACK_HOME`` or ``./data``, as an absolute path."""
    return Path(os.environ.get("REVSTACK_HOME", "data")).expanduser().resolve()


def landing_dir(source: str | None = None, entity: str | None = None) -> Path:
    path = home() / "landing"
    if source:
        path = path / source
    if entity:
        path = path / entity
    return path


def quarantine_dir() -> Path:
    return home() / "quarantine"


def warehouse_dir() -> Path:
    return home() / "warehouse"


def warehouse_path() -> Path:
    """The working warehouse the pipeline writes. Readers must never open it (DuckDB locks)."""
    return warehouse_dir() / "revstack.duckdb"


def serving_path() -> Path:
    """The published snapshot that readers open read-only."""
    return warehouse_dir() / "serving.duckdb"


def truth_dir() -> Path:
    """Ground truth written by the simulator, outside the landing zone."""
    return home() / "truth"


def reporting_currency() -> str:
    return os.environ.get("REVSTACK_REPORTING_CURRENCY", "USD").upper()


# ------------------------------------------------------------------------------------ settings
# Settings are environment variables. A ``.env`` file (KEY=VALUE lines) may hold them too; it is
# read at call time, and a variable set in the environment always wins over the file, even when
# set to an empty value. Files looked at, first match wins: ``$REVSTACK_HOME/.env``, then
# ``<project root>/.env``. (``REVSTACK_HOME`` itself is read from the environment only, since it
# names where one of the files lives.)


def env_files() -> list[Path]:
    """The ``.env`` files settings are read from, in order of precedence."""
    files = [home() / ".env", PROJECT_ROOT / ".env"]
    return list(dict.fromkeys(files))


def dotenv_values(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=VALUE`` lines, optional ``export``, ``#`` comments.

    Values may be quoted: ``'single'`` is taken literally; ``"double"`` understands ``\\n``,
    ``\\t``, ``\\"`` and ``\\\\``. An unquoted value ends at `` #`` (an inline comment) and is
    stripped. Lines that are not assignments are ignored. A missing file is empty.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.replace("_", "a").isalnum() or name[0].isdigit():
            continue
        values[name] = _dotenv_value(value.strip())
    return values


def _dotenv_value(value: str) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        if quote == '"':
            # find the closing quote that is not escaped
            end, i = -1, 1
            while i < len(value):
                if value[i] == "\\":
                    i += 2
                    continue
                if value[i] == '"':
                    end = i
                    break
                i += 1
        if end == -1:  # unterminated: take the rest literally
            return value[1:]
        inner = value[1:end]
        if quote == '"':
            escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
            out, i = [], 0
            while i < len(inner):
                if inner[i] == "\\" and i + 1 < len(inner) and inner[i + 1] in escapes:
                    out.append(escapes[inner[i + 1]])
                    i += 2
                else:
                    out.append(inner[i])
                    i += 1
            inner = "".join(out)
        return inner
    comment = value.find(" #")
    if comment != -1:
        value = value[:comment]
    return value.strip()


def setting(name: str, default: str | None = None) -> str | None:
    """A setting: the environment variable ``name``, else the first ``.env`` file defining it."""
    if name in os.environ:
        return os.environ[name]
    for path in env_files():
        values = dotenv_values(path)
        if name in values:
            return values[name]
    return default


def _setting_bool(name: str, default: bool) -> bool:
    value = (setting(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use true or false)")


def _setting_number(name: str, default: float, kind: type = float):
    value = (setting(name) or "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not a {kind.__name__}") from exc


def scheduled_builds() -> bool:
    """``REVSTACK_SCHEDULED_BUILDS``: the hourly and nightly full builds run (default true);
    false pauses them (the live path and manual builds still run), e.g. while benchmarking."""
    return _setting_bool("REVSTACK_SCHEDULED_BUILDS", True)


def alert_webhook_url() -> str | None:
    """``REVSTACK_ALERT_WEBHOOK_URL``: a Slack-compatible incoming webhook; unset = no webhook."""
    return (setting("REVSTACK_ALERT_WEBHOOK_URL") or "").strip() or None


def alert_timeout_seconds() -> float:
    """``REVSTACK_ALERT_TIMEOUT``: seconds a webhook post or an SMTP session may take (10)."""
    return _setting_number("REVSTACK_ALERT_TIMEOUT", 10.0)


def smtp_host() -> str | None:
    """``REVSTACK_SMTP_HOST``: the mail server; unset = no email alerts."""
    return (setting("REVSTACK_SMTP_HOST") or "").strip() or None


def smtp_starttls() -> bool:
    """``REVSTACK_SMTP_STARTTLS``: upgrade the connection with STARTTLS (default true)."""
    return _setting_bool("REVSTACK_SMTP_STARTTLS", True)


def smtp_port() -> int:
    """``REVSTACK_SMTP_PORT``: default 587 with STARTTLS, 25 without."""
    return _setting_number("REVSTACK_SMTP_PORT", 587 if smtp_starttls() else 25, int)


def smtp_user() -> str | None:
    """``REVSTACK_SMTP_USER``: log in as this user (with the password); unset = no login."""
    return (setting("REVSTACK_SMTP_USER") or "").strip() or None


def smtp_password() -> str | None:
    """``REVSTACK_SMTP_PASSWORD``: the SMTP password."""
    return setting("REVSTACK_SMTP_PASSWORD") or None


def alert_email_from() -> str | None:
    """``REVSTACK_ALERT_EMAIL_FROM``: the sender address."""
    return (setting("REVSTACK_ALERT_EMAIL_FROM") or "").strip() or None


def alert_email_to() -> list[str]:
    """``REVSTACK_ALERT_EMAIL_TO``: recipients, comma-separated."""
    value = setting("REVSTACK_ALERT_EMAIL_TO") or ""
    return [address.strip() for address in value.split(",") if address.strip()]
