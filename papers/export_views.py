"""Paper lists for reference managers: BibTeX of any filtered list (search, tag, queue)."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from papers.bibtex import papers_to_bibtex
from papers.filters import PaperFilter
from papers.selectors import for_export, paper_browse
from readinggroup.rest.throttles import ExportThrottle, web_throttle

# Most entries in one export; a reference manager import beyond that is a mistake.
BIBTEX_LIMIT = 1000


def bibtex_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@web_throttle(ExportThrottle)
def papers_bibtex(request: HttpRequest) -> HttpResponse:
    """BibTeX of the papers the list filters select, in the list's order.

    Takes the same query parameters as the paper lists and the API (q, tag, source,
    published_since, published_until, voted, discussed, ordering; status for organisers),
    e.g. ?ordering=queue for the vote queue or ?tag=transformers for a tag.
    """
    if not settings.SITE_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    filterset = PaperFilter(request.GET, queryset=paper_browse(user=request.user), request=request)
    if not filterset.is_valid():
        lines = [f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items()]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
    return bibtex_response(papers_to_bibtex(for_export(filterset.qs)[:BIBTEX_LIMIT]), "papers.bib")
