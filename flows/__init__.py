"""papertally: flows."""
