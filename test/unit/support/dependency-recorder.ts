/**
 * Records every resource registration with its parent and explicit `dependsOn`,
 * which Pulumi's mocks do not report, so tests can check the order `pulumi destroy`
 * deletes in (reverse dependencies). Install inside the module sandbox that loads
 * the program, before loading it.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly resource: pulumi.Resource;
  readonly parent: pulumi.Resource | undefined;
  /** Explicit dependsOn entries that are resources (Outputs of resources are resolved by `resolve`). */
  readonly dependsOn: unknown;
}

export class DependencyRecorder {
  readonly registrations: Registration[] = [];
  private resolved = new Map<pulumi.Resource, pulumi.Resource[]>();

  /** Patches `@pulumi/pulumi/runtime/resource` of the current module registry. */
  install(): void {
    const mod = require("@pulumi/pulumi/runtime/resource") as Record<string, (...args: unknown[]) => unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
    const original = mod.registerResource;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    mod.registerResource = (res: any, parent: any, t: any, name: any, custom: any, remote: any, newDep: any, props: any, opts: any, ...rest: unknown[]) => {
      this.registrations.push({ type: t, name, resource: res, parent, dependsOn: opts?.dependsOn });
      return original(res, parent, t, name, custom, remote, newDep, props, opts, ...rest);
    };
  }

  /** Resolves every recorded `dependsOn` (they may be Outputs); call after the program settled. */
  async resolve(): Promise<void> {
    const pulumiMod = require("@pulumi/pulumi") as typeof pulumi; // eslint-disable-line @typescript-eslint/no-require-imports
    for (const r of this.registrations) {
      const raw = r.dependsOn;
      let list: unknown[] = [];
      if (raw !== undefined) {
        const value = pulumiMod.Output.isInstance(raw) ? await new Promise<unknown>((ok) => (raw as pulumi.Output<unknown>).apply((v) => ok(v))) : raw;
        list = Array.isArray(value) ? value : [value];
      }
      const out: pulumi.Resource[] = [];
      for (const item of list) {
        const v = pulumiMod.Output.isInstance(item) ? await new Promise<unknown>((ok) => (item as pulumi.Output<unknown>).apply((x) => ok(x))) : item;
        if (pulumiMod.Resource.isInstance(v)) out.push(v);
      }
      this.resolved.set(r.resource, out);
    }
  }

  find(type: string, nameContains: string): Registration {
    const found = this.registrations.filter((r) => r.type === type && r.name.includes(nameContains));
    if (found.length !== 1) throw new Error(`expected one ${type} *${nameContains}*, found ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
  }

  /** The resources `res` lists in its own `dependsOn` (after {@link resolve}). */
  directDependencies(res: pulumi.Resource): pulumi.Resource[] {
    return this.resolved.get(res) ?? [];
  }

  /** Custom resources inside `res` (itself when custom), as Pulumi expands a component in dependsOn. */
  private leaves(res: pulumi.Resource): pulumi.Resource[] {
    const children = this.registrations.filter((r) => r.parent === res).map((r) => r.resource);
    if (children.length === 0) return [res];
    return [res, ...children.flatMap((c) => this.leaves(c))];
  }

  /**
   * True when `from` (or, for a component, any resource in it) waits for `to` through
   * explicit dependencies, transitively: then `pulumi destroy` deletes `from` first.
   */
  dependsOn(from: pulumi.Resource, to: pulumi.Resource): boolean {
    const targets = new Set(this.leaves(to));
    const seen = new Set<pulumi.Resource>();
    const stack = [...this.leaves(from)];
    while (stack.length > 0) {
      const r = stack.pop() as pulumi.Resource;
      if (seen.has(r)) continue;
      seen.add(r);
      for (const d of this.resolved.get(r) ?? []) {
        for (const leaf of this.leaves(d)) {
          if (targets.has(leaf)) return true;
          stack.push(leaf);
        }
      }
    }
    return false;
  }
}
