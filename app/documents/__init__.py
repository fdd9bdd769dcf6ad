"""Enforcement documents: numbered, immutable PDF notices rendered from frozen facts, verifiable by anyone."""
