// Discussions: typeset $math$ with the vendored KaTeX, and suggest members after "@".
// A file (not inline) so the Content-Security-Policy needs no exception; without
// JavaScript the math stays as its TeX source and @names are typed by hand.
(function () {
  "use strict";

  function typeset(root) {
    if (!window.katex || !root.querySelectorAll) return;
    root.querySelectorAll("span.math:not([data-typeset])").forEach(function (el) {
      el.setAttribute("data-typeset", "");
      // render() builds DOM nodes (no innerHTML, no inline script): fine under the CSP.
      window.katex.render(el.textContent, el, {
        displayMode: el.classList.contains("math-display"),
        throwOnError: false,
      });
    });
  }

  function mentionAt(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|[^\w@/])@([\w.+-]{1,30})$/.exec(before);
    return match ? match[2] : null;
  }

  function suggest(textarea) {
    var list = textarea.nextElementSibling;
    if (!list || !list.classList.contains("mention-suggestions")) {
      list = document.createElement("ul");
      list.className = "mention-suggestions";
      list.setAttribute("role", "listbox");
      textarea.insertAdjacentElement("afterend", list);
    }
    var prefix = mentionAt(textarea);
    list.replaceChildren();
    if (!prefix) return;
    fetch(textarea.dataset.mentions + "?q=" + encodeURIComponent(prefix), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { members: [] }; })
      .then(function (data) {
        if (mentionAt(textarea) !== prefix) return;
        data.members.forEach(function (member) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "link";
          button.textContent = "@" + member.username + " (" + member.name + ")";
          button.addEventListener("click", function () {
            var start = textarea.selectionStart - prefix.length;
            textarea.setRangeText(member.username + " ", start, textarea.selectionStart, "end");
            list.replaceChildren();
            textarea.focus();
          });
          item.appendChild(button);
          list.appendChild(item);
        });
      });
  }

  var timer = null;
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLTextAreaElement) || !target.dataset.mentions) return;
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(target); }, 200);
  });
  document.addEventListener("DOMContentLoaded", function () { typeset(document); });
  document.addEventListener("htmx:load", function (event) { typeset(event.target); });
})();
