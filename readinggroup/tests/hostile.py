"""Helpers the hostile-input walks share (test_api_hostile_input.py, test_web_hostile_input.py)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_4xx_logs() -> Iterator[None]:
    """Django logs every 4xx as a warning; writing a thousand of them took most of a walk's
    time. Errors (a 5xx) are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
