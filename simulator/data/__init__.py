"""Bundled data sets: the 2024 base year and the published 2024–2025 history."""
