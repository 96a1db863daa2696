from __future__ import annotations

BOM = b"\xef\xbb\xbf"


class UnreadableFile(Exception):
    """The file as a whole cannot be read (bad encoding, not JSON at all, no CSV header)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def strip_bom(raw: bytes) -> bytes:
    return raw[len(BOM) :] if raw.startswith(BOM) else raw


def decode_utf8(raw: bytes) -> str:
    try:
        return strip_bom(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"unreadable_file: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
