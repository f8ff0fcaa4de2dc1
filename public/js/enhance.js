/*
 * Progressive enhancement for Sift's pages. Everything works without this file:
 * - picking an example fills the form at once instead of reloading the page;
 * - Ctrl+Enter (Cmd+Enter on a Mac) in a text area submits its form.
 */
'use strict';

(function enhance() {
  document.documentElement.classList.add('js');

  function fillFromExample(select) {
    var option = select.options[select.selectedIndex];
    if (!option || option.value === '') return;
    var raw = option.getAttribute('data-inputs');
    var picker = select.closest('form');
    var target = picker && document.getElementById(picker.getAttribute('data-examples-for'));
    if (!raw || !target) return;
    var inputs;
    try {
      inputs = JSON.parse(raw);
    } catch (error) {
      return;
    }
    var fields = target.querySelectorAll('input[type="text"], textarea');
    for (var i = 0; i < fields.length; i += 1) {
      var field = fields[i];
      var value = Object.prototype.hasOwnProperty.call(inputs, field.name) ? inputs[field.name] : '';
      field.value = typeof value === 'string' ? value : '';
    }
  }

  var select = document.getElementById('example-select');
  if (select) {
    select.addEventListener('change', function onChange() {
      fillFromExample(select);
    });
  }

  document.addEventListener('keydown', function onKeydown(event) {
    var target = event.target;
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    if (!target || target.tagName !== 'TEXTAREA' || !target.form) return;
    event.preventDefault();
    if (typeof target.form.requestSubmit === 'function') target.form.requestSubmit();
    else target.form.submit();
  });
})();
