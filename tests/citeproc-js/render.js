// Render CSL-JSON items with citeproc-js (the CSL processor Zotero uses), for
// tests/test_citeproc_js.py: our reference list and in-text citations are compared with its
// output.
//
// stdin:  {"style": "<CSL XML>", "locale": "<locale XML>", "items": [CSL-JSON...],
//          "format": "html" | "text" (default "text")}
// stdout: {"ids": [...], "entries": [...], "citations": {"id": "..."}}
//         ids and entries in the style's bibliography order (the order given for a numeric
//         style); citations: each item cited alone, after every item is registered, so year
//         suffixes and disambiguation are those of the whole list.
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
  const citations = {};
  for (const id of ids) {
    citations[id] = engine.makeCitationCluster([{ id: id }]);
  }
  return {
    ids: meta.entry_ids.map((group) => String(group[0])),
    entries: entries.map((entry) => entry.trim()),
    citations: citations,
  };
}

process.stdout.write(JSON.stringify(render(JSON.parse(readStdin()))));
