"""Markdown for meeting notes (and comments, see discussions.text), rendered and then sanitised with nh3.

Markdown passes raw HTML through, so the rendered text is cleaned with an
allow-list: the tags Markdown itself produces, links limited to http(s) and
mailto, and rel="noopener noreferrer nofollow" on every link.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


def markdown_html(text: str) -> str:
    """Markdown to HTML, not yet safe: pass it through clean_html."""
    return markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")


def clean_html(html: str, *, tags=ALLOWED_TAGS, classes: dict[str, set[str]] | None = None) -> SafeString:
    clean = nh3.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=classes or {},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # cleaned by nh3 just above


def render_markdown(text: str) -> SafeString:
    return clean_html(markdown_html(text))
