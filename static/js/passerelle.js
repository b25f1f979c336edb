// Passerelle's only script besides htmx: behaviours declared with data- attributes, so that
// the Content-Security-Policy can forbid inline scripts.
document.addEventListener("DOMContentLoaded", () => {
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
