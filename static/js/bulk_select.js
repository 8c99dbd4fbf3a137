// The inbox's bulk actions: "Select all on this page" ticks every mention's box, and the bar
// says how many are ticked. The boxes sit in the table rows and belong to the form through
// their form= attribute, so they are found through form.elements.
(function () {
  function boxes(form, name) {
    return Array.from(form.elements).filter((e) => e.type === "checkbox" && e.name === name);
  }

  function refresh(form) {
    const all = form.querySelector("[data-select-all]");
    if (!all) return;
    const list = boxes(form, all.dataset.selectAll);
    const ticked = list.filter((b) => b.checked).length;
    all.checked = list.length > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
    const count = form.querySelector("[data-selected-count]");
    // The words come from the page (data-template, e.g. "{n} selected"), in its language.
    if (count) {
      const words = count.dataset.template || "{n} selected";
      count.textContent = words.replace("{n}", String(ticked));
    }
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    const form = target.form;
    if (!form || !form.querySelector("[data-select-all]")) return;
    if (target.dataset.selectAll) {
      boxes(form, target.dataset.selectAll).forEach((b) => {
        b.checked = target.checked;
      });
    }
    refresh(form);
  });

  document.querySelectorAll("form").forEach((form) => refresh(form));
})();
