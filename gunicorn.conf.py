"""Gunicorn reads this file from the directory it starts in (the Docker image's /app, or the
checkout on bare metal). Command-line options still win over it."""

# Secrets in URLs (private calendar, unsubscribe, invitation and password-reset links) are
# redacted from the access and error logs: readinggroup/logs.py.
logger_class = "readinggroup.logs.GunicornLogger"
