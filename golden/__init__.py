"""The golden files as package data (``oracle.golden_data``): see README.md here; no code."""
