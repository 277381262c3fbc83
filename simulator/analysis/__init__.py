"""Analyses built on runs: decomposition of outcomes by channel."""
