/* svcmap.js -- the Service map page (#/service-map). Not built yet. */
"use strict";
(function () {
  CB.page("service-map", { title: "Service map", key: "m", render: async (root) => {
    root.append(CB.card("Service map", CB.el("p", "Not built yet.")));
  } });
})();
