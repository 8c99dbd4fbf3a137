// Small page behaviours declared with data- attributes, so that no page needs an inline handler
// (the Content-Security-Policy refuses onclick= and onsubmit=).
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy-from]");
  if (copy) {
    navigator.clipboard.writeText(document.getElementById(copy.dataset.copyFrom).value);
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
