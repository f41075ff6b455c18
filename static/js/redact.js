// Hand redaction in the preview: selected text becomes a span (character offsets in the
// message's text as the preview shows it, already scrubbed) that the server redacts on publishing.
(function () {
  const field = document.getElementById("manual");
  const button = document.getElementById("redact-selection");
  const count = document.getElementById("manual-count");
  if (!field || !button) return;
  const marked = {};

  // Offsets in code points, as the server counts characters (emoji are two UTF-16 units).
  function codePoints(text) { return Array.from(text).length; }

  function offsetWithin(container, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return codePoints(range.toString());
  }

  button.addEventListener("click", function () {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    const container = range.commonAncestorContainer.nodeType === 1
      ? range.commonAncestorContainer.closest(".message-text")
      : range.commonAncestorContainer.parentElement.closest(".message-text");
    if (!container) { count.textContent = "Select text inside one message."; return; }
    const start = offsetWithin(container, range.startContainer, range.startOffset);
    const end = offsetWithin(container, range.endContainer, range.endOffset);
    const key = container.dataset.key;
    (marked[key] = marked[key] || []).push([start, end]);
    field.value = JSON.stringify(marked);
    const mark = document.createElement("mark");
    mark.className = "pii manual";
    mark.title = "REDACTED";
    try { range.surroundContents(mark); } catch (e) { /* spans across highlights: still recorded */ }
    selection.removeAllRanges();
    const total = Object.values(marked).reduce(function (n, spans) { return n + spans.length; }, 0);
    count.textContent = total + " hand-marked redaction(s)";
  });
})();
