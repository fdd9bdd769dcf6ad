"""The administrative tree (province → city → district/county → sub-district/town)."""
