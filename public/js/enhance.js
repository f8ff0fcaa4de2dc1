/*
 * Progressive enhancement for Sift's pages. Everything works without this file:
 * - picking an example fills the form at once instead of reloading the page;
 * - Ctrl+Enter (Cmd+Enter on a Mac) in a text area submits its form.
 */
'use strict';

(function enhance() {
  document.documentElement.classList.add('js');

  function fillFromExample(select) {
    const option = select.options[select.selectedIndex];
    if (!option || option.value === '') return;
    const raw = option.getAttribute('data-inputs');
    const picker = select.closest('form');
    const target = picker && document.getElementById(picker.getAttribute('data-examples-for'));
    if (!raw || !target) return;
    let inputs;
    try {
      inputs = JSON.parse(raw);
    } catch {
      return;
    }
    for (const field of target.querySelectorAll('input[type="text"], textarea')) {
      const value = Object.prototype.hasOwnProperty.call(inputs, field.name) ? inputs[field.name] : '';
      field.value = typeof value === 'string' ? value : '';
    }
  }

  const select = document.getElementById('example-select');
  if (select) {
    select.addEventListener('change', () => fillFromExample(select));
  }

  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    if (!(target instanceof HTMLTextAreaElement) || !target.form) return;
    event.preventDefault();
    target.form.requestSubmit();
  });
})();
