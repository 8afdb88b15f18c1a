from django.conf import settings
from django.contrib.auth.mixins import AccessMixin


class ReadAccessMixin(AccessMixin):
    """Pages anyone may read when SITE_PUBLIC is on, and members only otherwise."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.SITE_PUBLIC and not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)
