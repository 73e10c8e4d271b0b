"""Rendering: plain data -> text, JSON (and later HTML, mail replies)."""
