/**
 * `npm run check-config -- --stack <name>`: the program's configuration check on
 * `Pulumi.<name>.yaml`, without the Pulumi CLI or AWS, for CI and editors. Prints
 * the same messages `pulumi preview` prints; the checks that need the account and
 * region, and encrypted values, are skipped and named. Exit status 1 when there is
 * a problem, 2 when the file cannot be read.
 *
 *   npm run check-config -- --stack dev
 *   npm run check-config -- --file path/to/Pulumi.prod.yaml
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, isPlainObject } from "../../lib/validate";
import { checkConfig } from "./index";
import { stackFileConfig } from "./stack-file";
import { formatWarning } from "./warnings";

const ROOT = path.resolve(__dirname, "..", "..");

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Checks one stack file; returns the text to print and the exit status. Reads files, nothing else. */
export async function checkStackFile(file: string, projectFile = path.join(ROOT, "Pulumi.yaml")): Promise<{ out: string[]; err: string[]; status: number }> {
  const project = (parse(fs.readFileSync(projectFile, "utf8")) as { name: string }).name;
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return { out: [], err: [`cannot read ${file}: ${(e as Error).message}`], status: 2 };
  }
  const config = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
  const { raw, region, secrets } = stackFileConfig(config, project);
  const report = await checkConfig(raw, { region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION });
  const out: string[] = [];
  const err: string[] = report.warnings.map((w) => `warning: ${formatWarning(w)}`);
  for (const s of report.skipped) out.push(`skipped: ${s}`);
  for (const s of secrets) out.push(`skipped: ${s} is encrypted; \`pulumi preview\` checks its value`);
  if (report.problems.length > 0) {
    err.push(`error: ${new ConfigError("stack configuration", report.problems).message}`);
    return { out, err, status: 1 };
  }
  out.push(`${path.relative(process.cwd(), file) || file}: valid`);
  return { out, err, status: 0 };
}

if (require.main === module) {
  const stack = argument("stack");
  const file = argument("file") ?? (stack ? path.join(ROOT, `Pulumi.${stack}.yaml`) : undefined);
  if (!file) {
    console.error("usage: npm run check-config -- --stack <name> | --file <Pulumi.<stack>.yaml>");
    process.exit(2);
  }
  void checkStackFile(file).then(({ out, err, status }) => {
    for (const line of out) console.log(line);
    for (const line of err) console.error(line);
    process.exitCode = status;
  });
}
