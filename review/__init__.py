"""papertally: review."""
