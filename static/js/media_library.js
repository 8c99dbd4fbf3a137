// The media library's uploads: drag and drop or the file picker, sent with XMLHttpRequest so the
// progress bar follows the bytes; the page reloads to show the new items.
(function () {
  "use strict";
  const form = document.getElementById("media-upload");
  if (!form) return;
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("media-file");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const token = form.querySelector("input[name=csrf_token]").value;

  // The page's words in its language (#words-media_library, core/js_words.py), else English.
  let WORDS = {};
  try { WORDS = JSON.parse(document.getElementById("words-media_library").textContent); } catch (e) { WORDS = {}; }
  const lang = document.documentElement.lang || "en";
  function fill(said, values) {
    Object.keys(values || {}).forEach(function (key) { said = said.split("{" + key + "}").join(values[key]); });
    return said;
  }
  function t(text, values) {
    return fill(typeof WORDS[text] === "string" ? WORDS[text] : text, values);
  }
  function tn(one, many, count) {
    const forms = WORDS[one];
    let said = count === 1 ? one : many;
    if (forms && typeof forms === "object") {
      said = forms[String(count)] || forms[new Intl.PluralRules(lang).select(count)] || forms.other || said;
    }
    return fill(said, { count: new Intl.NumberFormat(lang).format(count) });
  }

  function show(message, isError) {
    status.textContent = message;
    status.className = isError ? "flash error" : "";
  }

  function send(files) {
    if (!files.length) return;
    const body = new FormData();
    for (const file of files) body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", token);
    bar.hidden = false;
    bar.value = 0;
    show(tn("Uploading {count} file…", "Uploading {count} files…", files.length), false);
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", function () {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = {}; }
      if (request.status === 201) {
        bar.value = 100;
        show(t("Uploaded. Add alt text to each image."), false);
        window.location.reload();
      } else if (request.status === 413) {
        bar.hidden = true;
        show(t("The file is larger than the library accepts."), true);
      } else {
        bar.hidden = true;
        show((answer.errors || [t("The upload failed ({status}).", { status: request.status })]).join(" "), true);
      }
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      show(t("The upload was interrupted; try again."), true);
    });
    request.send(body);
  }

  input.addEventListener("change", function () { send(Array.from(input.files)); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    send(Array.from(event.dataTransfer.files));
  });
})();
