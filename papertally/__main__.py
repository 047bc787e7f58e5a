"""`python -m papertally` runs the CLI."""

from papertally.cli import main

main()
