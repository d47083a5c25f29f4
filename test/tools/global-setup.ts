/**
 * Jest global setup of the "tools" project: makes sure every real program the tests
 * hand artifacts to is there before any test runs. Nothing skips, in CI or locally:
 * a tool that cannot be built or found fails the run with the reason.
 *
 * The first run on a fresh machine builds kube-apiserver, kubeadm, etcd, actionlint
 * and kube-score from the Go module proxy and installs moto and parliament from PyPI
 * into a cache outside git (see build-tools.sh), printing progress; later runs reuse it.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BUILT_TOOLS, SYSTEM_PATH, SYSTEM_TOOLS, envName, which } from "./tool-paths";

export default function globalSetup(): void {
  const missing = Object.entries(SYSTEM_TOOLS)
    // Looked up on the system PATH only: the bootstrap scripts under test get no other.
    .filter(([program]) => which(program, SYSTEM_PATH) === undefined)
    .map(([program, pkg]) => `${program} (Debian package ${pkg})`);
  if (missing.length > 0) {
    throw new Error(
      `missing system programs: ${missing.join(", ")}. Install them with ` +
        `\`sudo bash test/tools/install-system-packages.sh\` (.ci/run does this).`,
    );
  }

  const script = path.join(__dirname, "build-tools.sh");
  // stderr carries the progress lines ("building kube-apiserver ... (first run)") to the terminal.
  const result = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) {
    throw new Error(`${script} failed (exit ${result.status ?? result.signal}); see its output above`);
  }
  const lastLine = result.stdout.trim().split("\n").pop() ?? "";
  const paths = new Map(
    lastLine.split(" ").map((pair) => {
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
    }),
  );
  for (const name of BUILT_TOOLS) {
    if (!paths.get(name)) throw new Error(`${script} did not report a path for ${name}; got: ${lastLine}`);
  }
  for (const [name, p] of paths) {
    // Workers inherit the environment of the process that runs the global setup.
    process.env[envName(name)] = p;
  }
}
