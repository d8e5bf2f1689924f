/* The admin's periodic task form (django-celery-beat's template, overridden in
   templates/admin/djcelery/): the chosen crontab read out in words under the field.
   Its inline script, moved here so that the page runs under the CSP. */
(function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var crontabs = document.getElementById("readable-crontabs");
  var help = document.getElementById("crontab-help");
  if (!$ || !crontabs || !help) return;
  var readableCrontabs = JSON.parse(crontabs.textContent);
  var originalCrontabHelp = JSON.parse(help.textContent);

  function updateCrontabHelp(additional) {
    var target = $(".field-crontab .help");
    target.text(originalCrontabHelp);
    target.append($("<br>"), document.createTextNode("Translation: " + additional));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})();
