/**
 * Metric names out of PromQL expressions, with the official PromQL grammar
 * (@prometheus-io/lezer-promql, the parser of the Prometheus UI). Used to check
 * that every dashboard and alert query names only metrics that a configured
 * exporter exports.
 */
import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";

export interface ParsedQuery {
  /** Metric names the expression selects. */
  readonly metrics: string[];
  /** Syntax errors and selectors whose metric cannot be known statically. */
  readonly problems: string[];
}

/**
 * Replaces Grafana's built-in interval variables (`$__rate_interval`, ...) with a
 * duration, so the text is PromQL. Other `$variables` may appear only inside
 * label-matcher strings, where they are plain text to the parser.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{__\w+\}|\$__\w+/g, "5m");
}

function text(expr: string, node: SyntaxNode): string {
  return expr.slice(node.from, node.to);
}

function unquote(literal: string): string {
  return JSON.parse(literal.startsWith("'") ? `"${literal.slice(1, -1).replace(/"/g, '\\"')}"` : literal);
}

export function parsePromQL(rawExpr: string): ParsedQuery {
  const expr = substituteGrafanaVariables(rawExpr);
  const metrics: string[] = [];
  const problems: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        problems.push(`syntax error at ${ref.from} in ${JSON.stringify(expr)}`);
        return;
      }
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      const id = node.getChild("Identifier");
      if (id) {
        metrics.push(text(expr, id));
        return;
      }
      // `{__name__="x"}` names its metric with a matcher.
      const matchers = node.getChild("LabelMatchers");
      const byName = matchers
        ?.getChildren("UnquotedLabelMatcher")
        .find((m) => text(expr, m.getChild("LabelName") ?? m) === "__name__");
      const op = byName?.getChild("MatchOp")?.firstChild?.name;
      const value = byName?.getChild("StringLiteral");
      if (byName && op === "EqlSingle" && value) metrics.push(unquote(text(expr, value)));
      else problems.push(`selector without a fixed metric name: ${text(expr, node)}`);
    },
  });
  if (metrics.length === 0 && problems.length === 0 && /[a-z_]/i.test(expr) && !/^\s*vector\(/.test(expr)) {
    // Every query we ship reads at least one metric; an expression that parses
    // to none means the walk above missed something.
    problems.push(`no metric found in ${JSON.stringify(expr)}`);
  }
  return { metrics, problems };
}

/** The selector of a Grafana `label_values(selector, label)` variable query. */
export function labelValuesSelector(query: string): string | undefined {
  const m = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query.trim());
  return m?.[1];
}
