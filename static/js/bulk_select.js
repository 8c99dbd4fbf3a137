// The inbox's bulk actions: "Select all on this page" ticks every mention's box, and the bar
// says how many are ticked. The boxes sit in the table rows and belong to the form through
// their form= attribute, so they are found through form.elements.
(function () {
  // The page's words in its language (#words-bulk_select, core/js_words.py), else English.
  let WORDS = {};
  try {
    WORDS = JSON.parse(document.getElementById("words-bulk_select").textContent);
  } catch (e) {
    WORDS = {};
  }
  const lang = document.documentElement.lang || "en";

  function selected(count) {
    const forms = WORDS["{count} selected"];
    let said = "{count} selected";
    if (forms && typeof forms === "object") {
      said = forms[String(count)] || forms[new Intl.PluralRules(lang).select(count)] || forms.other || said;
    }
    return said.split("{count}").join(new Intl.NumberFormat(lang).format(count));
  }

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
    if (count) count.textContent = selected(ticked);
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
