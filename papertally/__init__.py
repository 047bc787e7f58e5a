"""papertally: counts a program's accepted conference papers per theme and fiscal year."""
