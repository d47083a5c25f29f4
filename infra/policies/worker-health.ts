/** The worker role's one write permission outside the cluster's secrets. Pure. */
import { clusterTagKey } from "../aws/tags";
import { AccountContext, policy, PolicyDocument } from "./document";
import { asgArnPattern } from "./node-lifecycle";

/**
 * Lets a worker whose join failed mark itself Unhealthy so its group replaces it.
 * Scoped to groups tagged as this cluster's; IAM has no way to limit a caller to its
 * own instance here, so a worker could mark a peer of this cluster unhealthy (which
 * replaces, and drains, that peer: no access to data). Pure.
 */
export function workerSelfHealthPolicy(ctx: AccountContext): PolicyDocument {
  return policy({
    Sid: "MarkInstanceUnhealthyWhenJoinFails",
    Effect: "Allow",
    Action: ["autoscaling:SetInstanceHealth"],
    Resource: asgArnPattern(ctx),
    Condition: { StringEquals: { [`aws:ResourceTag/${clusterTagKey(ctx.clusterName)}`]: "owned" } },
  });
}
