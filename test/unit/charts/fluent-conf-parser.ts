/**
 * A parser for FluentD's configuration syntax (directives `<name arg>` ...
 * `</name>`, `key value` parameters, `#` comments), strict about what FluentD
 * rejects: unbalanced or mismatched tags, parameters outside a directive, a
 * parameter set twice in one section, unknown top-level directives. FluentD
 * itself cannot be installed here (no `fluentd` Debian package, no gem
 * registry), so the tests check the rendered config's structure with this.
 */

export interface FluentSection {
  readonly name: string;
  /** The argument after the name: the tag pattern of `<match>`/`<filter>`. */
  readonly arg: string;
  readonly params: Record<string, string>;
  readonly sections: FluentSection[];
}

const TOP_LEVEL = new Set(["system", "source", "filter", "match", "label", "worker"]);

export function parseFluentConf(text: string): FluentSection[] {
  const root: FluentSection = { name: "(root)", arg: "", params: {}, sections: [] };
  const stack: FluentSection[] = [root];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1}`;
    if (line === "" || line.startsWith("#")) return;
    const close = /^<\/([a-z_]+)>$/.exec(line);
    if (close) {
      const top = stack.pop();
      if (!top || top === root) throw new Error(`${where}: </${close[1]}> closes nothing`);
      if (top.name !== close[1]) throw new Error(`${where}: </${close[1]}> closes <${top.name}>`);
      return;
    }
    const open = /^<([a-z_]+)(?:\s+([^>]+))?>$/.exec(line);
    if (open) {
      const parent = stack[stack.length - 1];
      if (parent === root && !TOP_LEVEL.has(open[1])) throw new Error(`${where}: <${open[1]}> is not a top-level directive`);
      const section: FluentSection = { name: open[1], arg: (open[2] ?? "").trim(), params: {}, sections: [] };
      parent.sections.push(section);
      stack.push(section);
      return;
    }
    const param = /^(@?[a-z_][a-z0-9_]*)\s+(.+)$/.exec(line);
    if (!param) throw new Error(`${where}: cannot read ${JSON.stringify(line)}`);
    const current = stack[stack.length - 1];
    if (current === root) throw new Error(`${where}: parameter ${param[1]} outside any directive`);
    if (param[1] in current.params) throw new Error(`${where}: ${param[1]} set twice in <${current.name}>`);
    current.params[param[1]] = param[2];
  });
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  return root.sections;
}

/** Sections named `name` (optionally with `arg`) directly under `sections`. */
export function sectionsNamed(sections: readonly FluentSection[], name: string, arg?: string): FluentSection[] {
  return sections.filter((s) => s.name === name && (arg === undefined || s.arg === arg));
}
