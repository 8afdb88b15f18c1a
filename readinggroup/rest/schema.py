"""OpenAPI details drf-spectacular cannot infer: the error responses every operation can give,
conditional GET headers, and that reads are open to anonymous clients on a public site."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from readinggroup.rest.errors import ErrorSerializer, ThrottledErrorSerializer
from readinggroup.rest.permissions import MemberOrPublicRead

ID_SCHEMA = {"type": "integer", "minimum": 1}
ERRORS = {
    "400": (
        "Bad input: `errors` has messages per field. A query parameter this operation does not take "
        "is an error too, named in `errors` (never silently ignored)."
    ),
    "401": "No valid token (or session): log in first, or again after the token expired.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such resource (or not visible to you).",
    "405": "This method is not allowed on this path.",
    "409": "The resource's current state does not allow this now.",
    "415": "Send the body as application/json.",
    "429": "Too many requests: wait `retry_after` seconds (also in the Retry-After header).",
}
CONDITIONAL_HEADERS = [
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "The ETag of the copy you have: a 304 without body answers when it is current.",
        "schema": {"type": "string"},
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "required": False,
        "description": "The Last-Modified of the copy you have (used when If-None-Match is absent).",
        "schema": {"type": "string"},
    },
]
VALIDATOR_HEADERS = {
    "ETag": {"description": "Version of this response, for If-None-Match.", "schema": {"type": "string"}},
    "Last-Modified": {"description": "For If-Modified-Since.", "schema": {"type": "string"}},
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"].get("pattern") == "^[0-9]+$":
                parameter["schema"] = dict(ID_SCHEMA)  # a digits-only lookup is an id
        if self._is_conditional():
            self._add_conditional(operation)
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                serializer = ThrottledErrorSerializer if code == "429" else ErrorSerializer
                response = OpenApiResponse(serializer, description=ERRORS[code])
                responses[code] = self._get_response_for_code(response, code)
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        codes = ["401", "403", "405", "429"]
        has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
        if "requestBody" in operation:
            codes += ["400", "415"]
        elif has_query or self.method == "GET":
            codes.append("400")  # a GET with a query parameter it does not take (rest/query.py)
        if "{" in self.path or "requestBody" in operation:
            codes.append("404")
        key = getattr(self.view, "action", None) or self.method.lower()
        codes += getattr(self.view, "schema_extra_errors", {}).get(key, [])
        return sorted(set(codes))

    def _is_conditional(self) -> bool:
        action = getattr(self.view, "action", None) or self.method.lower()
        return self.method == "GET" and action in getattr(self.view, "conditional_actions", ())

    def _add_conditional(self, operation: dict) -> None:
        operation.setdefault("parameters", []).extend(CONDITIONAL_HEADERS)
        operation["responses"]["200"].setdefault("headers", {}).update(VALIDATOR_HEADERS)
        operation["responses"]["304"] = {
            "description": "Not modified: the copy you have is current.",
            "headers": VALIDATOR_HEADERS,
        }

    def get_auth(self):
        auth = super().get_auth()
        public_read = self.method in ("GET", "HEAD") and any(
            isinstance(permission, MemberOrPublicRead) for permission in self.view.get_permissions()
        )
        if public_read and {} not in auth:
            auth.append({})
        return auth
