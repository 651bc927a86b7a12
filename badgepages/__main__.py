"""``python -m badgepages``: the command line."""

from badgepages.cli import run

run()
