// Filters a grouped list of service items as the person types (issue 15). Progressive: without JavaScript the
// field stays hidden and the full grouped list is shown. An input names its list with data-filter-target; each
// group carries data-filter-group and each entry data-filter-text (all the words it is found by).
(function () {
  'use strict';
  document.querySelectorAll('input[data-filter-target]').forEach(function (input) {
    var root = document.querySelector(input.getAttribute('data-filter-target'));
    if (!root) { return; }
    var field = input.closest('.filter-field');
    if (field) { field.hidden = false; }
    var status = document.getElementById(input.getAttribute('aria-describedby'));
    var empty = root.querySelector('.filter-empty');

    function apply() {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      root.querySelectorAll('[data-filter-group]').forEach(function (group) {
        var found = 0;
        group.querySelectorAll('[data-filter-text]').forEach(function (entry) {
          var text = entry.getAttribute('data-filter-text').toLowerCase();
          var fits = words.every(function (w) { return text.indexOf(w) >= 0; });
          entry.hidden = !fits;
          if (fits) { found += 1; }
        });
        group.hidden = found === 0;
        if (group.tagName === 'DETAILS' && words.length && found) { group.open = true; }
        shown += found;
      });
      if (empty) { empty.hidden = shown > 0; }
      if (status) { status.textContent = words.length ? '找到 ' + shown + ' 个事项' : ''; }
    }

    input.addEventListener('input', apply);
    if (input.value) { apply(); }
  });
})();
