"""Container health probe: exit 0 when the site's /healthz answers 200, 1 otherwise.

The Dockerfile's HEALTHCHECK and docker-compose.yml run it inside the web container, with Python's
urllib because the slim image has no curl. The request is sent as if through the HTTPS proxy, to the
first allowed host, so that neither ALLOWED_HOSTS nor the HTTPS redirect turns the probe away.
Environment: ALLOWED_HOSTS (as the site reads it), HEALTHCHECK_URL (default
http://127.0.0.1:8000/healthz).
"""

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3


def probe_host(allowed_hosts: str) -> str:
    """The first host Django would accept: ".example.org" stands for example.org, "*" for any."""
    first = next((host.strip() for host in allowed_hosts.split(",") if host.strip()), "")
    first = first.lstrip(".")
    return "localhost" if first in ("", "*") else first


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL") or "http://127.0.0.1:8000/healthz"
    headers = {"Host": probe_host(os.environ.get("ALLOWED_HOSTS", "")), "X-Forwarded-Proto": "https"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS):
            return 0
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
