// Loaded after require.js and before the widget manager (see nb_ipywidgets_js in _config.yml).
// 1. RequireJS resolves the widget manager's assets (its icon fonts) from the site root, so pages in
//    subfolders find them under @jupyter-widgets/html-manager/dist/ there, with no network.
// 2. The widget manager still calls MathJax 2's MathJax.Hub.Queue to typeset widget labels; the book
//    loads MathJax 3, which has no Hub. Give every MathJax object a small Hub that typesets with v3.
(function () {
  var root = document.documentElement.dataset.content_root || "./";
  if (window.require && window.require.config) {
    window.require.config({ baseUrl: root });
  }
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      mathjax.Hub = {
        Queue: function () {
          if (mathjax.typesetPromise) {
            mathjax.typesetPromise();
          }
        },
      };
    }
    return mathjax;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () {
      return current;
    },
    set: function (value) {
      current = withHub(value);
    },
  });
})();
