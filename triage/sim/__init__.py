"""The io-wq simulator: engine.py (generic), explore.py (schedule search)."""
