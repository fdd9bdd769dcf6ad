"""Checklist catalogue: data files, applicability and answer evaluation (pure, no Flask/SQLAlchemy)."""
