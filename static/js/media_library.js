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
    show("Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…", false);
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", function () {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = {}; }
      if (request.status === 201) {
        bar.value = 100;
        show("Uploaded. Add alt text to each image.", false);
        window.location.reload();
      } else if (request.status === 413) {
        bar.hidden = true;
        show("The file is larger than the library accepts.", true);
      } else {
        bar.hidden = true;
        show((answer.errors || ["The upload failed (" + request.status + ")."]).join(" "), true);
      }
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      show("The upload was interrupted; try again.", true);
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
