// Completes package-lock.json with the per-platform optional packages (@swc/core-*,
// @unrs/resolver-binding-*) that a registry mirror serving only linux-x64 builds
// leaves out. Without those entries `npm ci` refuses the lock as out of sync, even
// though it would skip them on this platform anyway. Run after `npm install`:
//   node .ci/complete-lockfile.js package-lock.json
const fs = require("fs");
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const pk = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(pk)) {
  const opt = entry.optionalDependencies || {};
  for (const [name, range] of Object.entries(opt)) {
    const key = `node_modules/${name}`;
    if (pk[key] || pk[`${path}/node_modules/${name}`]) continue;
    const m = /(?:core|binding)-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?$/.exec(name);
    if (!m) { console.error("cannot parse", name); continue; }
    const [, os, cpu, abi] = m;
    const e = { version: range, cpu: [cpu], optional: true, os: [os] };
    if (entry.dev) e.dev = true;
    if (abi === "gnu" || abi === "gnueabihf") e.libc = ["glibc"];
    if (abi === "musl" || abi === "musleabihf") e.libc = ["musl"];
    pk[key] = e;
    added++;
  }
}
const sorted = {};
for (const k of Object.keys(pk).sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)))) sorted[k] = pk[k];
lock.packages = sorted;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log("added", added);
