/* allowlists.js -- the Allowlists page (#/allowlists). Not built yet. */
"use strict";
(function () {
  CB.page("allowlists", { title: "Allowlists", key: "a", render: async (root) => {
    root.append(CB.card("Allowlists", CB.el("p", "Not built yet.")));
  } });
})();
