// Reference for Node.js security WG records: JSON lines {"range": "...", "versions": [...]}
// -> JSON array: semver.satisfies(v, range, {includePrerelease: true}), or null if invalid.
const path = require("path");
const cache = process.env.VIGIL_TEST_CACHE || path.join(process.env.HOME, ".cache/vigil-tests");
const semver = require(path.join(cache, "node_modules/semver"));
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const rec = JSON.parse(line);
  const out = rec.versions.map((v) =>
    semver.valid(v) === null ? null : semver.satisfies(v, rec.range, { includePrerelease: true })
  );
  process.stdout.write(JSON.stringify(out) + "\n");
});
