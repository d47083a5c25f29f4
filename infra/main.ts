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

const program = loadCheckedConfig().then(
  // Loaded only now: its top level declares the resources.
  () => require("./index") as Record<string, unknown>, // eslint-disable-line @typescript-eslint/no-require-imports
);
// The language host awaits the export a few ticks after loading it; marking the promise
// handled now keeps Node from also warning that a rejection was handled late. The
// rejection itself still reaches the host through its await.
program.catch(() => undefined);

export = program;
