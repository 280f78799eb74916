/* gpu.js -- the GPUs page (#/gpus). Not built yet. */
"use strict";
(function () {
  CB.page("gpus", { title: "GPUs", key: "p", render: async (root) => {
    root.append(CB.card("GPUs", CB.el("p", "Not built yet.")));
  } });
})();
