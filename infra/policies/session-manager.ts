/**
 * Session Manager on the nodes (SSH is closed), with what the SSM agent needs for an
 * interactive session and nothing else. Pure.
 *
 * In place of AmazonSSMManagedInstanceCore, which also grants `ssm:GetParameter(s)` on
 * every Parameter Store value of the account, the Run Command and State Manager channel
 * (`ec2messages:*`, `ssm:GetDocument`, `ssm:ListAssociations`, ...), inventory and
 * patch uploads: the parameter reads alone would hand any code on a node every parameter
 * the account holds. The control plane, which runs the upgrade association, gets the State
 * Manager part separately (./state-manager.ts). This is the minimal policy of
 * AWS's "Session Manager: create a custom IAM instance profile" page, without the
 * optional S3/KMS session logging statements.
 */
import { AccountContext, ec2Arn, policy, PolicyDocument } from "./document";

export function sessionManagerPolicy(ctx: AccountContext): PolicyDocument {
  return policy(
    {
      // The agent registers the instance (its ping status) with Systems Manager.
      Sid: "RegisterWithSystemsManager",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceInformation"],
      Resource: ec2Arn(ctx, "instance/*"),
    },
    {
      // The session's control and data channels; these actions have no resource type,
      // and a channel only opens for a session a user was allowed to start.
      Sid: "OpenSessionChannels",
      Effect: "Allow",
      Action: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: "*",
    },
  );
}
