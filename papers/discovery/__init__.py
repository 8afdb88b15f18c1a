"""Recommendations from the group's own signals: "for you" (papers.discovery.for_you)."""

# The "for you" list's length at most (here, not in for_you.py, so that the filters and docs that
# quote it do not import numpy).
FOR_YOU_LIMIT = 200
