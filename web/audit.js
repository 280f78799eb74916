/* audit.js -- the Audit page (#/audit). Not built yet. */
"use strict";
(function () {
  CB.page("audit", { title: "Audit", key: "u", render: async (root) => {
    root.append(CB.card("Audit", CB.el("p", "Not built yet.")));
  } });
})();
