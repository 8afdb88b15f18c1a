"""A comment's body: Markdown with $math$ and @mentions, rendered through the site's Markdown + nh3.

Markdown would read the underscores and stars of LaTeX as emphasis, so math is taken out
before Markdown runs and put back, as the text of a <span class="math">, before nh3 cleans
the whole; the browser typesets those spans with the vendored KaTeX (static/js/math.js).
Code (`inline` or fenced) is left alone: neither math nor mentions are looked for in it.
"""

import re
import secrets
from collections.abc import Iterator
from html import escape

from django.utils.safestring import SafeString

from meetings.markdown import ALLOWED_TAGS, clean_html, markdown_html

# Fenced or inline code first, then $$display$$ and $inline$ math. An inline "$" must touch
# its text on the inside and no word or digit on the outside, so "$5 and $10" stays money.
_SEGMENT = re.compile(
    r"(?P<code>```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)|`[^`\n]*`)"
    r"|(?P<math>\$\$[\s\S]+?\$\$|(?<![\\$\w])\$(?=\S)[^$\n]+?(?<=\S)\$(?![\w$]))"
)
# @username (Django's usernames without "@"), not inside a word or an e-mail address.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]*[A-Za-z0-9_+-])")
MATH_CLASSES = {"span": {"math", "math-display"}}


def segments(body: str) -> Iterator[tuple[str, str]]:
    """(kind, text) pieces of a body in order; kind is "text", "code" or "math"."""
    position = 0
    for match in _SEGMENT.finditer(body):
        if match.start() > position:
            yield "text", body[position : match.start()]
        yield ("code" if match.group("code") is not None else "math"), match.group(0)
        position = match.end()
    if position < len(body):
        yield "text", body[position:]


def mentioned_names(body: str) -> list[str]:
    """The @names in a body outside code and math, lower-cased, each once, in order."""
    names: dict[str, None] = {}
    for kind, text in segments(body):
        if kind == "text":
            names.update((name.lower(), None) for name in MENTION.findall(text))
    return list(names)


def _link_mentions(text: str, urls: dict[str, str]) -> str:
    def link(match: re.Match) -> str:
        url = urls.get(match.group(1).lower())
        if url is None:
            return match.group(0)
        label = match.group(1).replace("_", r"\_")
        return f"[@{label}]({url})"

    return MENTION.sub(link, text)


def render_body(body: str, mention_urls: dict[str, str] | None = None) -> SafeString:
    """The body as safe HTML; @names in mention_urls (lower-case name → URL) become links."""
    token = secrets.token_hex(8)  # unguessable, so a body cannot forge a placeholder
    maths: list[str] = []
    parts: list[str] = []
    for kind, text in segments(body):
        if kind == "math":
            parts.append(f"MATH{token}N{len(maths)}E")
            maths.append(text)
        elif kind == "code":
            parts.append(text)
        else:
            parts.append(_link_mentions(text, mention_urls or {}))
    html = markdown_html("".join(parts))
    for number, tex in enumerate(maths):
        display = tex.startswith("$$")
        inner = tex[2:-2] if display else tex[1:-1]
        css = "math math-display" if display else "math"
        html = html.replace(f"MATH{token}N{number}E", f'<span class="{css}">{escape(inner)}</span>', 1)
    return clean_html(html, tags=ALLOWED_TAGS | {"span"}, classes=MATH_CLASSES)


def quote(body: str, author_name: str) -> str:
    """The start of a reply quoting a comment, as Markdown."""
    quoted = "\n".join(f"> {line}" for line in body.strip().splitlines())
    return f"{author_name} wrote:\n{quoted}\n\n"
