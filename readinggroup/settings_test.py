"""Test settings: the real settings with fast hashing and in-memory side effects."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "true")

from readinggroup.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests queue tasks through .delay(); they run in-process unless a test
# starts a real worker (the integration tests override this).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Per-process cache so throttle counters and locks never leak between test runs;
# Redis is exercised by the integration tests, which start a real worker.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Django's test client calls authenticate() without a request, which django-axes
# refuses; tests that exercise login rate limiting turn it back on explicitly.
AXES_ENABLED = False
# No nearest-neighbour index unless a test builds one (a file in the checkout's var/ would be used).
VECTOR_INDEX_PATH = Path(tempfile.mkdtemp(prefix="rg-vector-index-")) / "papers.usearch"
SEARCH_INDEX_PATH = Path(tempfile.mkdtemp(prefix="rg-search-index-")) / "search-index"
