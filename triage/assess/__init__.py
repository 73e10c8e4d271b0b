"""Assess: stable-kernel-rules checks, risk factors and the patch-level verdict (pure)."""
