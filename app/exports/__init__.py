"""Exports: CSV (UTF-8 with BOM) and XLSX of inspections, findings and penalty lines, streamed, audited."""
