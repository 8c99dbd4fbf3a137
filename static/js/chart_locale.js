// Chart.js writes its numbers and dates with Intl: in the page's language (<html lang>),
// not the browser's. Loaded right after chart.umd.min.js, before a page draws its charts.
(function () {
  "use strict";
  if (window.Chart && document.documentElement.lang) {
    window.Chart.defaults.locale = document.documentElement.lang;
  }
})();
