import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# Apps an organiser manages in full through the admin, without per-model grants.
ORGANISER_APPS = frozenset({"papers", "meetings", "members", "discussions"})


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(AbstractUser):
    class Role(models.TextChoices):
        ORGANISER = "organiser", "Organiser"
        MEMBER = "member", "Member"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    display_name = models.CharField(
        max_length=150, blank=True, help_text="Shown to other members instead of the username."
    )
    digest_enabled = models.BooleanField(
        "weekly digest", default=False, help_text="Receive the weekly digest by e-mail."
    )
    # Secret part of the private calendar URL; replacing it revokes the old URL.
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="members_user_email_unique_when_present",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["organiser", "member"]),
                name="members_user_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name other members see: never the e-mail address."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_organiser(self) -> bool:
        return self.role == self.Role.ORGANISER or self.is_superuser

    def save(self, *args, **kwargs) -> None:
        # Organisers curate in the admin, so the role implies staff access.
        if self.role == self.Role.ORGANISER:
            self.is_staff = True
        super().save(*args, **kwargs)

    def _organises(self, app_label: str) -> bool:
        return self.is_active and self.role == self.Role.ORGANISER and app_label in ORGANISER_APPS

    def has_perm(self, perm: str, obj=None) -> bool:
        return self._organises(perm.split(".", 1)[0]) or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self._organises(app_label) or super().has_module_perms(app_label)


class InvitationQuerySet(models.QuerySet):
    def open(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True)


class Invitation(models.Model):
    """An organiser's invitation of an e-mail address; signup happens only through one.

    The link carries a signed, timestamped token (members.invitations), so it
    expires without a stored secret; accepting or revoking makes it useless.
    """

    email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(
        "members.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.OneToOneField(
        "members.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="invitation",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True),
                name="members_invitation_open_once_per_email",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None

    @property
    def expires_at(self):
        if self.sent_at is None:
            return None
        return self.sent_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
