// Render CSL-JSON items with citeproc-js (the CSL processor Zotero uses), for
// tests/test_citeproc_js.py: our reference list is compared with its output.
//
// stdin:  {"style": "<CSL XML>", "locale": "<locale XML>", "items": [CSL-JSON...],
//          "format": "html" | "text" (default "text")}
// stdout: {"entries": ["...", ...]}  one entry per item, in the order given.
"use strict";
const CSL = require("citeproc");

function readStdin() {
  return require("fs").readFileSync(0, "utf8");
}

function render(request) {
  const byId = new Map(request.items.map((item) => [String(item.id), item]));
  const sys = {
    retrieveLocale: () => request.locale,
    retrieveItem: (id) => byId.get(String(id)),
  };
  const engine = new CSL.Engine(sys, request.style, "en-US", true);
  engine.setOutputFormat(request.format || "text");
  const ids = request.items.map((item) => String(item.id));
  engine.updateItems(ids);  // registration order is bibliography order (numeric style)
  const [meta, entries] = engine.makeBibliography();
  const order = meta.entry_ids.map((group) => String(group[0]));
  if (order.join("\n") !== ids.join("\n")) {
    throw new Error("citeproc-js reordered the bibliography: " + order.join(", "));
  }
  return { entries: entries.map((entry) => entry.trim()) };
}

process.stdout.write(JSON.stringify(render(JSON.parse(readStdin()))));
