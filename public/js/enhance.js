/*
 * Progressive enhancement for Sift's pages. Everything works without this file:
 * - picking an example fills the form at once instead of reloading the page;
 * - Ctrl+Enter (Cmd+Enter on a Mac) in a text area submits its form;
 * - a required text area holding only spaces is refused by the browser, like the inputs' pattern
 *   (text areas have no pattern attribute; the server refuses it anyway).
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

  function checkNotBlank(area) {
    area.setCustomValidity(area.value.trim() === '' ? 'Type some text (spaces alone do not count).' : '');
  }
  for (const area of document.querySelectorAll('textarea[data-not-blank]')) {
    checkNotBlank(area);
    area.addEventListener('input', () => checkNotBlank(area));
  }
  if (select) {
    select.addEventListener('change', () => {
      for (const area of document.querySelectorAll('textarea[data-not-blank]')) checkNotBlank(area);
    });
  }

  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    if (!(target instanceof HTMLTextAreaElement) || !target.form) return;
    event.preventDefault();
    target.form.requestSubmit();
  });
})();
