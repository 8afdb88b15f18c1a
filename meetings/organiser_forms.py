"""Forms of the organiser's scheduling page. They parse input; the services decide."""

from django import forms

from meetings.models import Meeting
from meetings.services import FILL_AGENDA_MAX, MEETING_FIELDS
from members.models import User

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MeetingForm(forms.ModelForm):
    """A session's details; times are in the site's time zone."""

    class Meta:
        model = Meeting
        fields = MEETING_FIELDS
        widgets = {
            "starts_at": DATETIME_INPUT,
            "ends_at": DATETIME_INPUT,
            "notes": forms.Textarea(attrs={"rows": 6}),
        }
        labels = {"starts_at": "Starts", "ends_at": "Ends"}

    def _post_clean(self) -> None:
        # The services validate the whole meeting (past start, end after start) and
        # report on the right fields; skip the ModelForm's own model validation here.
        pass


class FillAgendaForm(forms.Form):
    count = forms.IntegerField(
        label="Papers to take from the queue",
        min_value=1,
        max_value=FILL_AGENDA_MAX,
        initial=3,
    )


class PresenterForm(forms.Form):
    # Any account: the service refuses one that is not an active member, with a message.
    presenter = forms.ModelChoiceField(
        queryset=User.objects.order_by("display_name", "username"), required=False, empty_label="(nobody)"
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])

    @property
    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1
