// Hand redaction in the preview: text selected with the mouse (or the keyboard), or typed into
// "Text to redact", becomes spans (character offsets in the message's text as the preview shows
// it, already scrubbed) that the server redacts on publishing. Every span is listed, with what it
// hides and an undo button, so it can be checked and corrected without a mouse or a screen.
(function () {
  const field = document.getElementById("manual");
  const panel = document.getElementById("redact-by-hand");
  if (!field || !panel) return;
  const count = document.getElementById("manual-count");
  const list = document.getElementById("manual-list");
  const input = document.getElementById("redact-text");
  const words = panel.dataset;
  const spans = []; // {key, start, end, text, where, mark}

  // Screen-reader notes inside a message are not part of its text: offsets skip them.
  function textNodes(container) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement.closest(".redaction-note") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      },
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  }

  // Offsets in code points, as the server counts characters (emoji are two UTF-16 units).
  function codePoints(text) { return Array.from(text).length; }

  function offsetOf(container, node, offset) {
    if (node.nodeType !== Node.TEXT_NODE) {
      const range = document.createRange();
      range.setStart(node, offset);
      const next = textNodes(container).find(function (text) {
        return range.comparePoint(text, 0) >= 0;
      });
      if (!next) return codePoints(plainText(container));
      node = next;
      offset = 0;
    }
    let units = 0;
    for (const text of textNodes(container)) {
      if (text === node) return codePoints(plainText(container).slice(0, units + offset));
      units += text.data.length;
    }
    return null;
  }

  function plainText(container) {
    return textNodes(container).map(function (node) { return node.data; }).join("");
  }

  // A DOM range over UTF-16 units [from, to) of the container's plain text.
  function rangeOver(container, from, to) {
    const range = document.createRange();
    let units = 0;
    for (const node of textNodes(container)) {
      const end = units + node.data.length;
      if (from >= units && from <= end) range.setStart(node, from - units);
      if (to >= units && to <= end) { range.setEnd(node, to - units); break; }
      units = end;
    }
    return range;
  }

  function say(text) { count.textContent = text; }

  // The page's translated sentences hold {name} where a value goes.
  function fill(sentence, values) {
    return sentence.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  function summary() { return fill(words.count, { n: spans.length }); }

  function save() {
    const marked = {};
    spans.forEach(function (span) { (marked[span.key] = marked[span.key] || []).push([span.start, span.end]); });
    field.value = JSON.stringify(marked);
  }

  function highlight(range) {
    const mark = document.createElement("mark");
    mark.className = "pii manual";
    mark.title = "REDACTED";
    const note = document.createElement("span");
    note.className = "visually-hidden redaction-note";
    note.textContent = words.note + " ";
    try {
      range.surroundContents(mark);
      mark.prepend(note);
      return mark;
    } catch (e) {
      return null; // spans across a highlight: still recorded, listed, and redacted
    }
  }

  function listItem(span) {
    const item = document.createElement("li");
    const what = document.createElement("span");
    what.textContent = fill(words.item, { text: span.text, where: span.where });
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link";
    undo.textContent = words.undo;
    undo.setAttribute("aria-label", fill(words.undoLabel, { text: span.text }));
    undo.addEventListener("click", function () { remove(span, item); });
    item.append(what, " ", undo);
    return item;
  }

  function add(container, start, end, range) {
    const key = container.dataset.key;
    if (spans.some(function (s) { return s.key === key && s.start === start && s.end === end; })) return false;
    const text = Array.from(plainText(container)).slice(start, end).join("");
    const span = { key: key, start: start, end: end, text: text, where: container.dataset.where || "" };
    span.mark = highlight(range);
    spans.push(span);
    list.appendChild(listItem(span));
    save();
    return true;
  }

  function remove(span, item) {
    spans.splice(spans.indexOf(span), 1);
    if (span.mark) {
      span.mark.querySelector(".redaction-note").remove();
      span.mark.replaceWith.apply(span.mark, Array.from(span.mark.childNodes));
    }
    item.remove();
    save();
    say(fill(words.removed, { text: span.text }) + " " + summary());
    (input || panel).focus();
  }

  function redactSelection() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) { say(words.nothingSelected); return; }
    const range = selection.getRangeAt(0);
    const common = range.commonAncestorContainer;
    const container = (common.nodeType === 1 ? common : common.parentElement).closest(".message-text");
    if (!container) { say(words.outside); return; }
    const start = offsetOf(container, range.startContainer, range.startOffset);
    const end = offsetOf(container, range.endContainer, range.endOffset);
    if (start === null || end === null || start >= end) { say(words.nothingSelected); return; }
    add(container, start, end, range);
    selection.removeAllRanges();
    say(summary());
  }

  function escaped(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // Every place the typed text appears in any message, whatever its case.
  function redactTyped() {
    const wanted = input.value.trim();
    if (!wanted) { say(words.typeFirst); input.focus(); return; }
    const pattern = new RegExp(escaped(wanted), "giu");
    let found = 0;
    document.querySelectorAll(".message-text").forEach(function (container) {
      const text = plainText(container);
      const hits = Array.from(text.matchAll(pattern)).reverse(); // last first: earlier ranges stay valid
      hits.forEach(function (hit) {
        const start = codePoints(text.slice(0, hit.index));
        const range = rangeOver(container, hit.index, hit.index + hit[0].length);
        if (add(container, start, start + codePoints(hit[0]), range)) found += 1;
      });
    });
    say(found ? fill(words.found, { n: found, text: wanted }) + " " + summary()
              : fill(words.notFound, { text: wanted }));
    if (found) input.value = "";
  }

  document.getElementById("redact-selection").addEventListener("click", redactSelection);
  if (input) {
    document.getElementById("redact-text-button").addEventListener("click", redactTyped);
    // Enter in the box redacts; it must not publish the form the box sits in.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); redactTyped(); }
    });
  }
})();
