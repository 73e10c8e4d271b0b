"""iowq-triage: evidence for io-wq patch review and stable backport decisions."""

__version__ = "0.1.0"
