"""Content negotiation: DRF's, with the apps' everyday request decided without parsing.

Mobile apps and scripts send no Accept header, `*/*` or `application/json`, and no
`?format=`. DRF parses the header into media types and matches them against every
renderer on each request (a few percent of the CPU of a cheap API request); for these
three headers its answer is known in advance: the first renderer (or the first JSON
one), with its own media type. Anything else goes through DRF's negotiation.
"""

from rest_framework.negotiation import DefaultContentNegotiation

JSON = "application/json"


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and not format_suffix and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            accept = request.META.get("HTTP_ACCEPT")
            if accept is None or accept == "*/*":
                return renderers[0], renderers[0].media_type
            if accept == JSON:
                for renderer in renderers:
                    if renderer.media_type == JSON:
                        return renderer, JSON
        return super().select_renderer(request, renderers, format_suffix)
