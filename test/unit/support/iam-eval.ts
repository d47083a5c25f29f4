/**
 * A small IAM policy evaluator for tests: decides whether a set of identity policies
 * allows one action on one resource, so tests assert what a role can do rather than
 * which policy names it has. Covers what the platform's documents use: Action/Resource
 * with `*` and `?` wildcards, Allow/Deny, and the condition operators StringEquals,
 * StringLike, StringNotEquals, ArnEquals and ArnLike. A condition on a key the request
 * context lacks does not match (as in IAM), and an unknown operator never matches,
 * so the evaluator errs towards "denied" for Allow statements.
 */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Document {
  readonly Statement: Statement[];
}

function glob(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, caseInsensitive ? "i" : "").test(value);
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

function conditionHolds(condition: Statement["Condition"], context: Readonly<Record<string, string>>): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = list(expected);
      switch (operator) {
        case "StringEquals":
        case "ArnEquals":
          return values.includes(actual);
        case "StringLike":
        case "ArnLike":
          return values.some((v) => glob(v, actual, false));
        case "StringNotEquals":
          return !values.includes(actual);
        default:
          return false;
      }
    }),
  );
}

/** Whether `docs` together allow `action` on `resource` in the given request context. */
export function allows(
  docs: readonly Document[],
  action: string,
  resource: string,
  context: Readonly<Record<string, string>> = {},
): boolean {
  let allowed = false;
  for (const doc of docs) {
    for (const st of doc.Statement) {
      if (!list(st.Action).some((a) => glob(a, action, true))) continue;
      if (!list(st.Resource).some((r) => glob(r, resource, false))) continue;
      if (!conditionHolds(st.Condition, context)) continue;
      if (st.Effect === "Deny") return false;
      allowed = true;
    }
  }
  return allowed;
}
