"""A member's own data as one JSON document: the web download and GET /api/v1/me/export/ share it.

The serializers describe the format (the API schema shows it); members.selectors.user_data
collects the rows. Other members appear by public name only, never by address.
"""

from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from members import selectors

FORMAT = "readinggroup-member-data/1"


class ExportProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(help_text="My address: the only one in this document.")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    display_name = serializers.CharField()
    name = serializers.CharField(source="public_name", help_text="What other members see.")
    role = serializers.CharField()
    digest_enabled = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportNotificationsSerializer(serializers.Serializer):
    reminders = serializers.BooleanField()
    presenter_notices = serializers.BooleanField()
    seat_notices = serializers.BooleanField()


class ExportVoteSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField()
    title = serializers.CharField(source="paper.title")
    voted_at = serializers.DateTimeField(source="created_at")


class ExportDismissalSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField()
    title = serializers.CharField(source="paper.title")
    dismissed_at = serializers.DateTimeField(source="created_at")


class ExportRsvpSerializer(serializers.Serializer):
    meeting_id = serializers.IntegerField()
    meeting = serializers.CharField(source="meeting.title")
    starts_at = serializers.DateTimeField(source="meeting.starts_at")
    answer = serializers.CharField()
    waitlisted = serializers.BooleanField()
    answered_at = serializers.DateTimeField()


class ExportSuggestionSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    arxiv_id = serializers.CharField()
    doi = serializers.CharField()
    suggested_at = serializers.DateTimeField(source="created_at")


class ExportOfferSerializer(serializers.Serializer):
    meeting_id = serializers.IntegerField(source="item.meeting_id")
    meeting = serializers.CharField(source="item.meeting.title")
    paper_id = serializers.IntegerField(source="item.paper_id")
    title = serializers.CharField(source="item.paper.title")
    offered_at = serializers.DateTimeField(source="created_at")


class ExportPresentationSerializer(serializers.Serializer):
    meeting_id = serializers.IntegerField()
    meeting = serializers.CharField(source="meeting.title")
    starts_at = serializers.DateTimeField(source="meeting.starts_at")
    paper_id = serializers.IntegerField()
    title = serializers.CharField(source="paper.title")


class ExportInvitationSentSerializer(serializers.Serializer):
    email = serializers.SerializerMethodField(
        help_text="The address invited; null once accepted (it is then a member's address)."
    )
    accepted_by = serializers.SerializerMethodField(help_text="Public name of who joined with it.")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)

    def get_email(self, invitation) -> str | None:
        return invitation.email if invitation.is_open and invitation.accepted_by_id is None else None

    def get_accepted_by(self, invitation) -> str | None:
        return invitation.accepted_by.public_name if invitation.accepted_by else None


class ExportTokenSerializer(serializers.Serializer):
    starts_with = serializers.CharField(source="token_key", help_text="The token's public prefix.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class ExportNoticeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    key = serializers.CharField(help_text="What it was about: a session and its start, or a week.")
    sent_at = serializers.DateTimeField(allow_null=True)


class ExportCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    paper_id = serializers.IntegerField(allow_null=True)
    meeting_id = serializers.IntegerField(allow_null=True)
    parent_id = serializers.IntegerField(allow_null=True, help_text="The comment it answers.")
    body = serializers.CharField(help_text="Markdown; empty once deleted.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    hidden_at = serializers.DateTimeField(allow_null=True, help_text="When an organiser hid it.")


class ExportFollowSerializer(serializers.Serializer):
    slug = serializers.CharField(source="tag.slug")
    name = serializers.CharField(source="tag.name")
    followed_at = serializers.DateTimeField(source="created_at")


class UserDataSerializer(serializers.Serializer):
    """Everything the site keeps about me."""

    format = serializers.SerializerMethodField()
    exported_at = serializers.SerializerMethodField()
    profile = ExportProfileSerializer()
    notifications = ExportNotificationsSerializer()
    votes = ExportVoteSerializer(many=True)
    dismissals = ExportDismissalSerializer(many=True, help_text="Papers I said “Not interested” to.")
    rsvps = ExportRsvpSerializer(many=True)
    suggestions = ExportSuggestionSerializer(many=True, help_text="Papers I suggested.")
    presenter_offers = ExportOfferSerializer(many=True)
    presentations = ExportPresentationSerializer(many=True, help_text="Agenda items I present or presented.")
    invitations_sent = ExportInvitationSentSerializer(many=True)
    api_tokens = ExportTokenSerializer(many=True, help_text="Tokens that still work; never their secret.")
    notices = ExportNoticeSerializer(many=True, help_text="E-mails the site sent me.")
    comments = ExportCommentSerializer(many=True, help_text="My comments on papers and sessions.")
    followed_topics = ExportFollowSerializer(many=True, help_text="Topics and tags I follow.")

    def get_format(self, data) -> str:
        return FORMAT

    def get_exported_at(self, data) -> str:
        return serializers.DateTimeField().to_representation(timezone.now())


def user_data_json(*, user) -> bytes:
    return JSONRenderer().render(UserDataSerializer(selectors.user_data(user=user)).data)
