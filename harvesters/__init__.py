"""papertally: harvesters."""
