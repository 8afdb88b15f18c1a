from datetime import timedelta

import factory
from django.utils import timezone

from meetings.models import RSVP, AgendaItem, Meeting, PresenterOffer


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + timedelta(hours=1))
    location = "Room 1"


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    paper = factory.SubFactory("papers.tests.factories.PaperFactory")


class RSVPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RSVP

    meeting = factory.SubFactory(MeetingFactory)
    answer = RSVP.Answer.YES


class PresenterOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PresenterOffer

    item = factory.SubFactory(AgendaItemFactory)
