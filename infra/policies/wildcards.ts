/**
 * The rule the inline policies follow: no write action on `Resource: "*"` unless
 * the API has no resource-level permissions. Pure; the IAM tests run every
 * rendered document through `wildcardWrites`.
 */
import { PolicyDocument } from "./document";

const SESSION_CHANNEL =
  "Session Manager's channels have no resource type in IAM; a channel opens only for a session that Systems Manager authorized for a user.";

/**
 * Write actions allowed on `*`, each with the reason. Entries here must name an
 * action that IAM documents as having no resource types.
 */
export const WILDCARD_WRITE_ALLOWLIST: Readonly<Record<string, string>> = {
  "ssmmessages:CreateControlChannel": SESSION_CHANNEL,
  "ssmmessages:CreateDataChannel": SESSION_CHANNEL,
  "ssmmessages:OpenControlChannel": SESSION_CHANNEL,
  "ssmmessages:OpenDataChannel": SESSION_CHANNEL,
};

const READ_VERBS = ["Describe", "Get", "List"];

/** Describe/Get/List calls: they read, and most of them cannot be scoped anyway. */
export function isReadAction(action: string): boolean {
  const verb = action.split(":")[1] ?? "";
  return READ_VERBS.some((prefix) => verb.startsWith(prefix));
}

/** `Sid: action` for every write action granted on `*` and not in the allow-list. */
export function wildcardWrites(doc: PolicyDocument): string[] {
  const found: string[] = [];
  for (const s of doc.Statement) {
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (s.Effect !== "Allow" || !resources.includes("*")) continue;
    for (const action of s.Action) {
      if (action.includes("*") || (!isReadAction(action) && !(action in WILDCARD_WRITE_ALLOWLIST))) {
        found.push(`${s.Sid}: ${action}`);
      }
    }
  }
  return found;
}
