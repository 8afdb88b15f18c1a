import factory

from discussions.models import Comment


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment row as stored; tests of the counts go through discussions.services."""

    class Meta:
        model = Comment

    author = factory.SubFactory("members.tests.factories.UserFactory")
    paper = factory.SubFactory("papers.tests.factories.PaperFactory")
    body = factory.Sequence(lambda n: f"Comment number {n}.")
