// "Copy" buttons: <button type="button" data-copy="ID" hidden> copies the text of the element #ID
// (an input's value) to the clipboard and says so in the .copy-status element after it.
// A file, not an inline script, so the Content-Security-Policy needs no exception; without
// JavaScript the button stays hidden and the address can still be selected by hand.
"use strict";

function say(button, text) {
  const status = button.nextElementSibling;
  if (status && status.classList.contains("copy-status")) status.textContent = text;
}

async function copy(button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = ("value" in source ? source.value : source.textContent).trim();
  try {
    // navigator.clipboard exists on https pages and on localhost only.
    await navigator.clipboard.writeText(text);
    say(button, "Copied.");
  } catch (error) {
    if (source.select) source.select();
    say(button, "Selected: press Ctrl+C (⌘C) to copy.");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", () => copy(button));
  }
});
