"""Diffs: hunks (the unidiff boundary), symbols (hunk -> C symbol)."""
