"""An XSS corpus written for this project, and an HTML audit that says whether any of it got through.

Every payload would call alert(<its number>) if a browser ran it, so a dialog or a leak
points back at the payload. The audit tokenises HTML the way a browser starts to
(html.parser) and reports every construct that could run script: script elements that are
not the site's own files, event-handler attributes, javascript:/vbscript:/data: URLs,
style attributes and elements, and elements such as iframe, object, embed, base, svg or
math that the site's templates never use. The site's own pages have none of these (see
test_web_security.py), so anything the audit finds came from the data.
"""

import html
import re
from html.parser import HTMLParser

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(2)</script>',
    "'><img src=x onerror=alert(3)>",
    '<img src="x" onerror="alert(4)">',
    "<svg onload=alert(5)>",
    "<svg><script>alert(6)</script></svg>",
    '<a href="javascript:alert(7)">click</a>',
    '<a href="JaVaScRiPt:alert(8)">click</a>',
    '<a href="jav&#x09;ascript:alert(9)">click</a>',
    '<iframe src="data:text/html,<script>alert(10)</script>"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4="></object>',
    '<div style="background:url(javascript:alert(12))">x</div>',
    '<div style="width: expression(alert(13))">x</div>',
    "<style>@import 'javascript:alert(14)';</style>",
    "<body onload=alert(15)>",
    "<input autofocus onfocus=alert(16)>",
    "<details open ontoggle=alert(17)>",
    "<math><mtext></form><form><mglyph><style></math><img src onerror=alert(18)>",
    "<ScRiPt>alert(19)</sCrIpT>",
    "<scr<script>ipt>alert(20)</script>",
    "\\u003cscript\\u003ealert(21)\\u003c/script\\u003e",
    "\uff1cscript\uff1ealert(22)\uff1c/script\uff1e",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(23)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(24)">',
    '<base href="javascript:alert(25)//">',
    "<link rel=stylesheet href=javascript:alert(26)>",
    '<form action="javascript:alert(27)"><button>go</button></form>',
    "'-alert(28)-'",
    '";alert(29);//',
    "</textarea><script>alert(30)</script>",
    "</title><script>alert(31)</script>",
    "<!--<script>alert(32)</script>-->",
    "<![CDATA[<script>alert(33)</script>]]>",
    "\u202e<script>alert(34)</script>",
    "{{ 7|add:35 }}{% debug %}",
    '<noscript><p title="</noscript><img src=x onerror=alert(36)>">',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(37)">x</a>',
    "<video><source onerror=alert(38)></video>",
    "<x onclick=alert(39)>click</x>",
    "\x00<script>alert(40)</script>",
]
# Markdown's own ways in: links, images, autolinks, titles, raw HTML in a code span.
MARKDOWN_PAYLOADS = [
    "[click](javascript:alert(101))",
    "[click](JAVASCRIPT:alert(102))",
    "[click](  javascript:alert(103))",
    "[click](java\tscript:alert(104))",
    "![image](javascript:alert(105))",
    '![image](x" onerror="alert(106))',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMDcpPC9zY3JpcHQ+)",
    "<javascript:alert(108)>",
    '<http://example.org/" onmouseover="alert(109)>',
    '[title](http://example.org "t\\" onmouseover=alert(110) x=\\"")',
    "[ref][1]\n\n[1]: javascript:alert(111)",
    "`<script>alert(112)</script>`",
    "    <script>alert(113)</script>",
    "<div markdown=1>[x](javascript:alert(114))</div>",
    "[x](vbscript:alert(115))",
    "*<img src=x onerror=alert(116)>*",
]
ALL = PAYLOADS + MARKDOWN_PAYLOADS

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "poster", "background", "srcset", "ping",
    "cite", "lowsrc", "xlink:href", "codebase", "manifest", "icon",
}  # fmt: skip
NEVER_IN_OUR_PAGES = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math", "style",
    "video", "audio", "source", "details", "noscript", "template", "mglyph", "x",
}  # fmt: skip
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def _scheme(value: str) -> str:
    """The URL scheme a browser would see (WHATWG URL parsing): entities decoded, leading and
    trailing controls and spaces stripped, tabs and line breaks anywhere removed. Any other
    character before the colon (a space, say) makes it a relative URL, with no scheme."""
    cleaned = html.unescape(value).strip("".join(map(chr, range(0x21))))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).lower()
    match = _SCHEME.match(cleaned)
    return match[1] if match else ""


class _Audit(HTMLParser):
    def __init__(self, *, own_pages: bool):
        super().__init__(convert_charrefs=True)
        # Our pages: strict rules. Others (the admin, e-mails with inline styles): the rules that
        # catch a payload (handlers, script URLs, script or style carrying one).
        self.own_pages = own_pages
        self.problems: list[str] = []
        self._in_script = False

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self._problem(f"<{tag} {name}={value!r}>: event handler")
            if name in URL_ATTRIBUTES and _scheme(value) in {"javascript", "vbscript", "data"}:
                self._problem(f"<{tag} {name}={value!r}>: script URL")
            if name == "style" and (self.own_pages or "alert(" in value):
                self._problem(f"<{tag} style={value!r}>")
        if tag == "script":
            self._in_script = True
            if self.own_pages and not values.get("src", "").startswith("/static/"):
                self._problem(f"<script {values}>: not one of the site's files")
        if tag in NEVER_IN_OUR_PAGES and (self.own_pages or any("alert(" in v for v in values.values())):
            self._problem(f"<{tag}>: an element the site never writes")
        if tag == "meta" and "http-equiv" in values and "refresh" in values["http-equiv"].lower():
            self._problem("<meta http-equiv=refresh>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and ("alert(" in data or (self.own_pages and data.strip())):
            self._problem(f"script content {data[:80]!r}")


def audit(markup: str, *, own_pages: bool = True) -> list[str]:
    """Every construct in `markup` that could run script; empty when it is safe."""
    parser = _Audit(own_pages=own_pages)
    parser.feed(markup)
    parser.close()
    return parser.problems
