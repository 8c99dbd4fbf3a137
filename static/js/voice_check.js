// Checks what is typed in an editor against the brand's voice guide as the person types.
// The rules live on the server (planner/reviews/voice.py): this only asks for its warnings,
// after a pause in typing, and shows each with its reason.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]');
  // The page's words in its language (#words-voice_check, core/js_words.py), else English.
  var WORDS = {};
  try {
    WORDS = JSON.parse(document.getElementById("words-voice_check").textContent);
  } catch (e) {
    WORDS = {};
  }
  function t(text) {
    return typeof WORDS[text] === "string" ? WORDS[text] : text;
  }

  function show(list, warnings, text, okText) {
    list.textContent = "";
    if (!warnings.length) {
      var ok = document.createElement("li");
      ok.className = "voice-ok";
      ok.textContent = okText || t("No warnings from the voice guide.");
      list.appendChild(ok);
      return;
    }
    warnings.forEach(function (w) {
      var item = document.createElement("li");
      item.className = "voice-warning";
      item.dataset.code = w.code;
      var quote = document.createElement("q");
      quote.textContent = text.slice(w.span[0], w.span[1]);
      item.appendChild(quote);
      item.appendChild(document.createTextNode(" " + w.reason));
      list.appendChild(item);
    });
  }

  function watch(area) {
    var list = document.getElementById(area.dataset.voiceList);
    var url = area.dataset.voiceCheck;
    if (!list || !url) return;
    var timer = null;
    var asked = 0;
    function check() {
      var text = area.value;
      var mine = ++asked;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
        body: JSON.stringify({ text: text }),
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && mine === asked) show(list, data.warnings || [], text, area.dataset.voiceOk);
        })
        .catch(function () { /* the server checks again on save */ });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 350);
    });
  }

  document.querySelectorAll("textarea[data-voice-check]").forEach(watch);

  // "Copy the reply": the text goes to the clipboard before the review's page opens.
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyFrom);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent || source.value || "").then(function () {
        button.textContent = t("Copied");
      });
    });
  });
})();
