// Text of a PDF as pdf.js (Firefox's reader) extracts it: one line per text item that ends a
// line, pages separated by form feeds. Usage: node text.mjs FILE (pdfjs-dist resolved via NODE_PATH).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pdfjs = await import(require.resolve("pdfjs-dist/legacy/build/pdf.mjs",
  { paths: (process.env.NODE_PATH || "").split(":") }));
const data = new Uint8Array(readFileSync(process.argv[2]));
const doc = await pdfjs.getDocument({ data, useSystemFonts: false, disableFontFace: true }).promise;
const pages = [];
for (let n = 1; n <= doc.numPages; n++) {
  const content = await (await doc.getPage(n)).getTextContent();
  pages.push(content.items.map((item) => item.str + (item.hasEOL ? "\n" : "")).join(""));
}
process.stdout.write(pages.join("\f"));
