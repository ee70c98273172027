"""gunicorn's settings for every CareSlot server: `make serve`, the Docker image, the tests' and
the bench's servers. gunicorn reads `./gunicorn.conf.py` from the directory it starts in (the
project root, before it applies `--chdir backend`); flags on the command line win over it.
docs/operations.md ("Shutdown and timeouts") explains the numbers and how they fit together.
"""

import os

# A sync worker busy on one request for longer than this is killed and replaced (the client
# gets a reset connection): no CareSlot request should come near it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM the master stops accepting connections and gives each worker this long to finish
# the request it is serving; a worker still busy after it is killed. At least `timeout`, so any
# request gunicorn lets run also gets to finish. The container's stop grace period (compose's
# `stop_grace_period`) must be longer still, or the orchestrator's SIGKILL comes first.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
