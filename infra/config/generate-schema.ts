/**
 * Writes the stack configuration's JSON Schema (infra/config/stack-config.schema.json)
 * from the parsers' own reads: `npm run config-schema`. A unit test fails when the
 * checked-in file differs from what this writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stackConfigSchema } from "./schema";

export const SCHEMA_FILE = path.join(__dirname, "stack-config.schema.json");
export const PROJECT = "kubeadm-aws-platform";

export function renderSchema(): string {
  return `${JSON.stringify(stackConfigSchema(PROJECT), null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
