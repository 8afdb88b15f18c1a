from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class MemberOrPublicRead(BasePermission):
    """Members may do anything the view offers; anonymous clients may only read, and only
    while SITE_PUBLIC is on (read per request, so the setting applies without a restart)."""

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return request.method in SAFE_METHODS and settings.SITE_PUBLIC
