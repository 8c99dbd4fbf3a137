// The phone header: the "Menu" button opens and closes the navigation (wider screens show it
// always and hide the button). A static file, as the Content-Security-Policy refuses onclick=.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-menu-toggle]");
  if (!button) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  document.getElementById(button.getAttribute("aria-controls")).classList.toggle("open", open);
});
