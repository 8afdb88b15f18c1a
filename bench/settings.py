"""Settings of the benchmark server: the site's own settings, plus the reference endpoints.

The environment is the production one (bench.run sets DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL before gunicorn starts); the only
differences are the URLconf, which adds the L0/L1 reference endpoints of
bench.reference under /bench/, and the no-op task of bench.tasks for the
worker benchmark. The site's own settings and URLs never serve either.
"""

from readinggroup.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# An app without models: lets Celery's autodiscovery find bench.tasks.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
