/* directives.js -- the Directives page (#/directives). Not built yet. */
"use strict";
(function () {
  CB.page("directives", { title: "Directives", key: "i", render: async (root) => {
    root.append(CB.card("Directives", CB.el("p", "Not built yet.")));
  } });
})();
