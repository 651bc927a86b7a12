"""Entry point: ``python build.py ARGS`` does what the ``badgepages`` command does."""

from badgepages.cli import run

run()
