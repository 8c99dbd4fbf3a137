// Engagement windows editor: add and remove rows before saving; the server validates.
(function () {
  const rows = document.getElementById("window-rows");
  const template = document.getElementById("window-row-template");
  const add = document.getElementById("add-window");
  if (!rows || !template) return;
  if (add) {
    add.addEventListener("click", function () {
      rows.appendChild(template.content.cloneNode(true));
    });
  }
  rows.addEventListener("click", function (event) {
    if (event.target.classList.contains("remove-row")) {
      event.target.closest("tr").remove();
    }
  });
})();
