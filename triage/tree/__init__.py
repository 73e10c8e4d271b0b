"""Kernel git trees: read-only queries (repo.py); the stable matrix comes next."""
