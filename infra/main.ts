/**
 * Pulumi's entry point (Pulumi.yaml `main`). The configuration is checked first,
 * the region's lookups included (availability zones, instance type offerings,
 * AMIs: invokes, not resources), and only a configuration that passes every check
 * reaches infra/index.ts, which declares the resources. A bad one stops here with
 * every problem in one message and nothing declared, in `pulumi preview` as in
 * `pulumi up --skip-preview`.
 *
 * The stack outputs are infra/index.ts's exports: Pulumi awaits the exported promise.
 */
import { loadCheckedConfig } from "./config";

export = loadCheckedConfig().then(
  // Loaded only now: its top level declares the resources.
  () => require("./index") as Record<string, unknown>, // eslint-disable-line @typescript-eslint/no-require-imports
);
