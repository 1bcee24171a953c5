"""Container health probe: `python -m ecowire.core.healthcheck` asks the service's own /health.

Used by the Dockerfile's HEALTHCHECK and compose. Exit 0 when /health answers 2xx (FastStream's
ping answers 204, the aggregator 200); exit 1 when it
does not answer in time or answers otherwise. A container without ECOWIRE_HTTP_PORT runs the CLI,
which serves nothing: it is healthy by definition.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("ECOWIRE_HTTP_PORT")
    if not port:
        return 0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as r:
            return 0 if 200 <= r.status < 300 else 1
    except (urllib.error.URLError, OSError) as e:
        print(f"unhealthy: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
