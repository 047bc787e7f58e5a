"""papertally: db."""
