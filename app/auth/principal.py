"""The authenticated caller and its jurisdiction scope (pure: no Flask, no SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    # Materialised paths of the caller's jurisdictions, e.g. ("/410000/410800/410811/",).
    jurisdiction_paths: tuple[str, ...]
    session_id: str | None = None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def covers(self, path: str | None) -> bool:
        """A jurisdiction is in scope when it is one of the caller's or lies below one of them."""
        return path is not None and any(path.startswith(p) for p in self.jurisdiction_paths)
