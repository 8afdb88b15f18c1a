"""The site's URLs plus the benchmark's reference endpoints (bench.reference) under /bench/.

Only bench.settings uses this module: the production URLconf never serves these.
"""

from django.urls import path

from bench import reference
from readinggroup.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/l0/<slug:name>/", reference.l0_bytes, name="bench-l0"),
    path("bench/l1/papers/", reference.l1_list, name="bench-l1-list"),
    path("bench/l1/papers/<int:pk>/", reference.l1_detail, name="bench-l1-detail"),
    path("bench/l1/papers/<int:pk>/vote/", reference.l1_vote, name="bench-l1-vote"),
    *site_urlpatterns,
]
