"""Inspections from the field: offline-safe capture, submission and photo evidence."""
