from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from papers.models import Paper, Tag
from papers.selectors import paper_list, paper_queue, with_has_voted, with_list_relations
from readinggroup.access import ReadAccessMixin


class PaperListMixin(ReadAccessMixin):
    paginate_by = 30
    context_object_name = "papers"


class HomeView(PaperListMixin, ListView):
    template_name = "papers/home.html"

    def get_queryset(self) -> QuerySet:
        return paper_queue(user=self.request.user)


class TagView(PaperListMixin, ListView):
    template_name = "papers/tag.html"

    def get_queryset(self) -> QuerySet:
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return paper_list(user=self.request.user, order="trending").filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class PaperDetailView(ReadAccessMixin, DetailView):
    template_name = "papers/detail.html"
    context_object_name = "paper"

    def get_queryset(self) -> QuerySet:
        papers = with_has_voted(Paper.objects.listed(), self.request.user)
        return with_list_relations(papers).prefetch_related("meetings")
