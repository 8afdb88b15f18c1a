"""Web pagination without COUNT(*): "more" and "previous" links need no total.

Django's Paginator counts every row of the list to validate a page number; over a
million papers that count cost more than the page. Here a page reads one row more than
it shows to learn whether another page follows.
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator

# The largest OFFSET the databases take (a signed 64-bit integer); a page starting beyond it
# cannot hold rows, and asking for it raised "bigint out of range" (PostgreSQL) or
# "datatype mismatch" (SQLite), a 500.
MAX_OFFSET = 2**63 - 1


class UncountedPage(Page):
    def __init__(self, object_list, number: int, paginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def start_index(self) -> int:
        return self.paginator.per_page * (self.number - 1) + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class UncountedPaginator(Paginator):
    """Paginator whose pages know has_next/has_previous but not num_pages or count."""

    def validate_number(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        if number * self.per_page + 1 > MAX_OFFSET:  # the end of the rows page() reads
            raise EmptyPage("That page contains no results")
        return number

    def page(self, number) -> UncountedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage("That page contains no results")
        return UncountedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)
