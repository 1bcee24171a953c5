"""`python -m ecowire`: the same command as `ecowire`."""

from .cli import main

raise SystemExit(main())
