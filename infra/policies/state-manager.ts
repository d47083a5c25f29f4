/**
 * What the control plane's SSM agent needs to run the upgrade association of
 * infra/nodes/upgrade.ts (State Manager, command document `<cluster>-control-plane-upgrade`)
 * and to report its outcome, which `pulumi up` waits for. Without it the association never
 * runs and `pulumi up` times out after an hour. The control-plane role only: workers run no
 * association. Pure.
 *
 * The actions are those of AmazonSSMManagedInstanceCore that State Manager uses, each on the
 * resource types IAM lists for it, without the rest: no `ssm:GetParameter(s)` (every
 * parameter of the account), no inventory, patch or package uploads, and no Run Command
 * channel (`ec2messages:*`). Without that channel the agent does not hear about a new
 * association at once; it finds it at its next association poll (every 10 minutes by
 * default), well inside the hour `pulumi up` waits.
 */
import { AccountContext, ec2Arn, policy, PolicyDocument } from "./document";

/** The upgrade command document's name; infra/nodes/upgrade.ts names the document with it. */
export function upgradeDocumentName(clusterName: string): string {
  return `${clusterName}-control-plane-upgrade`;
}

export function stateManagerPolicy(ctx: AccountContext): PolicyDocument {
  const ssmArn = (resource: string) => `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:${resource}`;
  const upgradeDocument = ssmArn(`document/${upgradeDocumentName(ctx.clusterName)}`);
  const instances = ec2Arn(ctx, "instance/*");
  const associations = ssmArn("association/*");
  return policy(
    {
      // The agent lists the associations that target its instance and reads each one.
      Sid: "ReadAssociations",
      Effect: "Allow",
      Action: ["ssm:ListInstanceAssociations", "ssm:DescribeAssociation"],
      Resource: [instances, associations, upgradeDocument],
    },
    {
      // ... and reports how the run went: the status `pulumi up` waits for.
      Sid: "ReportAssociationStatus",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceAssociationStatus", "ssm:PutComplianceItems"],
      Resource: [instances, associations],
    },
    {
      // The document the association runs: this cluster's upgrade document only.
      Sid: "ReadUpgradeDocument",
      Effect: "Allow",
      Action: ["ssm:GetDocument", "ssm:DescribeDocument"],
      Resource: upgradeDocument,
    },
  );
}
