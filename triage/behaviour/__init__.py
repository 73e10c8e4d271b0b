"""Behaviour: probes (code -> knob values) and the simulated delta of a patch."""
