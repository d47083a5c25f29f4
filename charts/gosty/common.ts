/**
 * What every Gosty component shares: the part-of label (the network policies
 * admit pods by it) and the shell scripts shipped in ConfigMaps.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Value of `app.kubernetes.io/part-of` on every object of the chart. */
export const GOSTY_PART_OF = "gosty";

/** Labels of the chart's objects that no workload construct labels itself. */
export function gostyLabels(): Record<string, string> {
  return { "app.kubernetes.io/part-of": GOSTY_PART_OF };
}

/**
 * A script of `charts/gosty/scripts/`, read at synth time: containers run
 * reviewed, shellcheck-clean files rather than shell built in TypeScript strings.
 */
export function gostyScript(name: string): string {
  return fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");
}
