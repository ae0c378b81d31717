// An equation wider than the column scrolls in its own box (course.css). A box that scrolls must
// be reachable from the keyboard (WCAG 2.1.1; axe: scrollable-region-focusable), as the theme
// already does for code and outputs; equations are only typeset once MathJax has run.
(function () {
  const tabStops = () => {
    for (const box of document.querySelectorAll('div.math, mjx-container[display="true"]')) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    }
  };
  const whenTypeset = () => (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
  window.addEventListener("load", () => whenTypeset().then(tabStops));
  window.addEventListener("resize", tabStops);
})();
