"""The schema and documentation views (drf-spectacular's), answering errors and OPTIONS in JSON.

Their renderers draw a page from a template (or write the schema as YAML); a response
without a template (OPTIONS, and every error: 405, 406, 429) raised TemplateDoesNotExist in
the docs and ReDoc views, and came out as YAML from the schema view. Such responses are
written with the API's JSON renderer, in the API's error format.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from readinggroup.rest.renderers import JSONRenderer


class JsonWithoutPageMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        if response.exception or request.method == "OPTIONS":
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonWithoutPageMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonWithoutPageMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(JsonWithoutPageMixin, SpectacularRedocView):
    pass
