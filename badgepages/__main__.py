"""``python -m badgepages``: the command line."""

from badgepages.cli import main

raise SystemExit(main())
