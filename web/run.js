/* run.js -- the Run page (#/run). Not built yet. */
"use strict";
(function () {
  CB.page("run", { title: "Run", render: async (root) => {
    root.append(CB.card("Run", CB.el("p", "Not built yet.")));
  } });
})();
