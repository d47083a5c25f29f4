/**
 * Jest global setup of the "tools" project: makes sure every real program the tests
 * hand artifacts to is there before any test runs. Nothing skips, in CI or locally:
 * a tool that cannot be built or found fails the run with the reason.
 *
 * On a fresh machine it first installs the missing Debian packages
 * (install-system-packages.sh) when it can, as root or with passwordless sudo, and
 * otherwise stops with the one command to run. It then builds kube-apiserver,
 * kube-controller-manager, kubeadm, kubectl, etcd, the Go linters, promtool, the Pulumi CLI and
 * Pulumi's Kubernetes provider from the Go module proxy and installs moto and parliament
 * from PyPI into a cache outside git (see build-tools.sh), printing progress; later runs
 * reuse it.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BUILT_TOOLS, SYSTEM_PATH, SYSTEM_TOOLS, envName, which } from "./tool-paths";

/**
 * Wall time of a cold build-tools.sh on the project's 2-core machine, shared with other
 * jobs (README, "How long"), rounded up: what a first `npm test` adds.
 */
const COLD_BUILD_MINUTES = 60;

const INSTALL_COMMAND = "sudo bash test/tools/install-system-packages.sh";

function progress(line: string): void {
  // stderr, unbuffered: Jest holds back nothing a global setup writes there.
  process.stderr.write(`[tools] ${line}\n`);
}

function missingSystemPrograms(): string[] {
  return (
    Object.entries(SYSTEM_TOOLS)
      // Looked up on the system PATH only: the bootstrap scripts under test get no other.
      .filter(([program]) => which(program, SYSTEM_PATH) === undefined)
      .map(([program, pkg]) => `${program} (Debian package ${pkg})`)
  );
}

/** Installs the Debian packages when this process may; otherwise names the one command to run. */
function ensureSystemPackages(): void {
  const missing = missingSystemPrograms();
  if (missing.length === 0) return;
  const script = path.join(__dirname, "install-system-packages.sh");
  const asRoot = process.getuid?.() === 0;
  const withSudo = !asRoot && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (!asRoot && !withSudo) {
    throw new Error(
      `missing system programs: ${missing.join(", ")}. ` +
        `Installing them needs root; run this once, then the tests again:\n  ${INSTALL_COMMAND}`,
    );
  }
  progress(`missing system programs: ${missing.join(", ")}; installing them ${asRoot ? "as root" : "with sudo"}...`);
  const [command, args] = asRoot ? ["bash", [script]] : ["sudo", ["-n", "bash", script]];
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    throw new Error(`${script} failed (exit ${result.status ?? result.signal}); see its output above`);
  }
  const still = missingSystemPrograms();
  if (still.length > 0) throw new Error(`${script} ran but these are still missing: ${still.join(", ")}`);
}

export default function globalSetup(): void {
  progress(
    `real tools come from ${process.env.PLATFORM_TOOLS_CACHE ?? "~/.cache/kubeadm-aws-platform-tools"}; ` +
      `a cold first run builds them for about ${COLD_BUILD_MINUTES} minutes on 2 cores, later runs reuse them`,
  );
  ensureSystemPackages();
  exportBuiltTools();
}

/**
 * Runs build-tools.sh (builds what the cache lacks) and puts the path of every tool
 * into this process's environment, where tool() reads it. `npm run bench` calls it too.
 */
export function exportBuiltTools(): void {
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
