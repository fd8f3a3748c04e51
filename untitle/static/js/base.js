// Every page: behaviour that used to be inline on*= attributes, which the Content-Security-Policy
// (script-src 'self') refuses. <select data-autosubmit> submits its form when changed (language).
document.addEventListener('change', (e) => {
  const el = e.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute('data-autosubmit') && el.form) el.form.submit();
});
// <form data-confirm="question"> asks before it is submitted (removing a member, ...).
document.addEventListener('submit', (e) => {
  const form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) e.preventDefault();
});
