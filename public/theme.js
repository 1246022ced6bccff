// Sets the page's theme before its first paint, so a dark screen never flashes light: the
// person's choice (kept by src/theme.rs under "atrium-theme"), else the system's. The UI
// takes over once it runs. A file of its own, as the strict CSP allows no inline script.
(function () {
  var chosen = null;
  try {
    chosen = window.localStorage.getItem("atrium-theme");
  } catch (e) {
    // No storage (a private window): follow the system.
  }
  var systemDark = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var dark = chosen === "dark" || (chosen !== "light" && systemDark);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
