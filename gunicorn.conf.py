"""Gunicorn reads this file from the directory it starts in (the Docker image's /app, or the
checkout on bare metal). Command-line options still win over it."""

# Secrets in URLs (private calendar, unsubscribe, invitation and password-reset links) are
# redacted from the access and error logs: readinggroup/logs.py.
logger_class = "readinggroup.logs.GunicornLogger"


# With PROMETHEUS_MULTIPROC_DIR set, every worker writes its request counts there and /metrics
# adds them up (readinggroup/metrics.py): start each server with an empty folder, and drop the
# live values of a worker that exits.
def on_starting(server) -> None:
    import os
    import pathlib

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        pathlib.Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in pathlib.Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
