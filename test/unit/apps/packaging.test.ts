/**
 * The images install from apps/object-detection/package-lock.json; the tests run
 * on the repository root's node_modules. Both must pin the same versions, or the
 * tests prove code against libraries the images do not ship.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const read = (p: string) => JSON.parse(fs.readFileSync(path.join(ROOT, p), "utf8"));

test("every runtime dependency of the services is pinned exactly, to the root's version", () => {
  const app = read("apps/object-detection/package.json");
  const root = read("package.json");
  const rootDeps = { ...root.dependencies, ...root.devDependencies };
  const appDeps = { ...app.dependencies, ...app.optionalDependencies, ...app.devDependencies } as Record<string, string>;
  expect(Object.keys(appDeps).length).toBeGreaterThan(5);
  for (const [name, version] of Object.entries(appDeps)) {
    expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
    expect([name, rootDeps[name]]).toEqual([name, version]);
  }
});

test("the app's lock file matches its package.json", () => {
  const app = read("apps/object-detection/package.json");
  const lock = read("apps/object-detection/package-lock.json");
  const top = lock.packages[""];
  expect(top.dependencies).toEqual(app.dependencies);
  expect(top.optionalDependencies).toEqual(app.optionalDependencies);
  expect(top.devDependencies).toEqual(app.devDependencies);
  for (const name of Object.keys({ ...app.dependencies, ...app.optionalDependencies })) {
    expect([name, lock.packages[`node_modules/${name}`]?.version]).toEqual([name, { ...app.dependencies, ...app.optionalDependencies }[name]]);
  }
});
