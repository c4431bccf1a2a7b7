"""Ignition spec 3.x: the 2.3.0 output translated as Flatcar converts it at boot,
and its validator."""
