// Passerelle's only script besides htmx: behaviours declared with data- attributes, so that
// the Content-Security-Policy can forbid inline scripts.
document.documentElement.classList.replace("no-js", "js");
document.addEventListener("DOMContentLoaded", () => {
  // <button data-nav-toggle aria-controls="site-menu">: on a phone the navigation folds
  // behind this button (CSS below 768 px); without the script it simply stays open.
  const toggle = document.querySelector("[data-nav-toggle]");
  if (toggle) {
    const menu = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }
  // <button data-print> prints the page (sign-in sheets).
  document.body.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
  // <form data-confirm="Question ?"> asks before submitting a destructive action.
  document.body.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // <select data-navigate-week>: each option's value is a URL to open (agenda week view).
  document.body.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-navigate-week]");
    if (select && select.value) {
      window.location.assign(select.value);
    }
  });
});
