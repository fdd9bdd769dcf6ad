"""Checklist catalogue: data files, applicability and answer evaluation.

Pure (no Flask, no SQLAlchemy): ``spec`` (typed views of a checklist document), ``files`` (reading the
files), ``canonical`` (canonical JSON, content hash), ``site_kinds``, ``sources`` (plan references),
``conditions`` (``applies_when`` vocabulary), ``validation``, ``applicability``, ``evaluation``.
Services (flush, never commit): ``sync``, ``versions``, ``bodies``, ``parameters``, ``resolution``.
"""
