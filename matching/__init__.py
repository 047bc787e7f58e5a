"""papertally: matching."""
