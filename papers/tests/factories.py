import factory
from django.utils import timezone

from papers.models import Author, FetchRun, Paper, PaperAuthor, Source, Tag, Vote, tag_slug


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"source {n}")
    kind = Source.Kind.FEED
    url = factory.Sequence(lambda n: f"https://feeds.example.org/{n}.xml")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"topic {n}")
    slug = factory.LazyAttribute(lambda t: tag_slug(t.name))


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Author Number{n}")


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"A study of example number {n}")
    abstract = "We study an example. We propose a method. It works well on three tasks."
    summary = "We propose a method that works well."
    summary_backend = "extractive"
    status = Paper.Status.LISTED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def authors(paper, create, names, **kwargs):
        for position, name in enumerate(names or ["Ada Example", "Ben Sample"]):
            author = AuthorFactory(name=name)
            PaperAuthor.objects.create(paper=paper, author=author, position=position)

    @factory.post_generation
    def tags(paper, create, tags, **kwargs):
        if tags:
            paper.tags.add(*tags)


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote


class FetchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchRun

    source = factory.SubFactory(SourceFactory)
