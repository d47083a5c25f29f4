/**
 * The Pulumi program's resources, loaded by infra/main.ts once the configuration has
 * passed every check (a bad value stops there, before any resource exists):
 * network → security → cluster PKI and secrets → identity → control plane. Later
 * stages (worker pools, add-ons, workloads) are wired in below the control plane.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets } from "./aws/secrets";
import { declareClusterAccess, declareClusterSide } from "./cluster/index";
import { checkedConfig } from "./config";
import { ControlPlane } from "./nodes/control-plane";
import { EtcdBackupBucket, SNAPSHOT_PREFIX } from "./aws/backups";
import { ADDON_SERVICE_ACCOUNTS, Identity } from "./aws/identity";
import { ServiceAccountIssuer } from "./aws/oidc";
import { declarePlatformAccessRoles, declareServiceAccessRoles, roleNamesWith, withRoleArns } from "./aws/workload-roles";
import { Logging } from "./aws/logging";
import { Network } from "./aws/network";
import { chartAwsStackOutputs, declareChartAws } from "./aws/app-resources";
import { ClusterPki } from "./aws/pki";
import { SecretsEncryptionKey } from "./aws/encryption";
import { SecurityGroups } from "./aws/security";
import { NodeTermination } from "./aws/termination";
import { WorkerPools } from "./nodes/workers";
import { CiIdentity } from "./aws/ci-identity";

// Checked by infra/main.ts (lookups included) before this module loads; the workloads'
// chart values carry the stack's settings.
const { config, workloadValues } = checkedConfig();
const c = config.cluster;
const name = c.clusterName;

const network = new Network(name, {
  clusterName: name,
  region: c.region,
  vpcCidr: c.vpcCidr,
  publicSubnetCidrs: c.publicSubnetCidrs,
  tags: c.tags,
});

const security = new SecurityGroups(name, {
  clusterName: name,
  vpcId: network.vpcId,
  apiAllowedCidrs: c.apiAllowedCidrs,
  sshAllowedCidrs: c.sshAllowedCidrs,
  nodePortAllowedCidrs: c.nodePortAllowedCidrs,
  tags: c.tags,
});

const pki = new ClusterPki(name, { clusterName: name });
// Secrets encrypted at rest in etcd: the key travels to the control plane in the PKI secret.
const encryptionKey = new SecretsEncryptionKey(name);
const secrets = new ClusterSecrets(name, {
  clusterName: name,
  region: c.region,
  pkiSecretString: encryptionKey.addTo(pki.pkiSecretString),
  tags: c.tags,
});
const backups = new EtcdBackupBucket(name, {
  clusterName: name,
  kmsKeyArn: secrets.kmsKeyArn,
  retentionDays: c.etcdBackupRetentionDays,
  tags: c.tags,
});

// The API server's service-account issuer, published for STS: workloads that call AWS
// assume their own roles with their service-account tokens (a pod is never its node).
const issuer = new ServiceAccountIssuer(name, {
  clusterName: name,
  region: c.region,
  serviceAccountPublicKeyPem: pki.serviceAccountPublicKeyPem,
  tags: c.tags,
});

const identity = new Identity(name, {
  clusterName: name,
  region: c.region,
  vpcId: network.vpcId,
  kmsKeyArn: secrets.kmsKeyArn,
  pkiSecretArn: secrets.pkiSecretArn,
  joinSecretArn: secrets.joinSecretArn,
  etcdBackupBucketArn: backups.bucketArn,
  etcdBackupPrefix: SNAPSHOT_PREFIX,
  issuer: { issuerUrl: issuer.issuerUrl, providerArn: issuer.providerArn, dependsOn: issuer.documents },
  tags: c.tags,
});

const controlPlane = new ControlPlane(
  name,
  {
    cluster: c,
    subnetId: network.publicSubnetIds[0],
    subnetCidr: c.publicSubnetCidrs[0],
    securityGroupIds: [security.controlPlaneSecurityGroupId],
    instanceProfileName: identity.controlPlaneInstanceProfileName,
    pkiSecretArn: secrets.pkiSecretArn,
    joinSecretArn: secrets.joinSecretArn,
    kmsKeyArn: secrets.kmsKeyArn,
    backupBucketName: backups.bucketName,
    serviceAccountIssuerUrl: issuer.issuerUrl,
    joinTokenTtlHours: config.nodePools.joinTokenTtlHours,
    joinTokenRotationHours: config.nodePools.joinTokenRotationHours,
    dependsOn: [network.internetGateway],
  },
  // The instance fetches the PKI at first boot: its permissions must exist before it does.
  { dependsOn: identity.controlPlanePolicies },
);

// Workers may boot before the control plane: they poll the join secret until it holds a token.
const workers = new WorkerPools(name, {
  clusterName: name,
  region: c.region,
  // The version the control plane runs once its upgrade succeeded: pools roll only after it.
  kubernetesVersion: controlPlane.kubernetesVersion,
  pools: config.nodePools.nodePools,
  joinTimeoutMinutes: config.nodePools.workerJoinTimeoutMinutes,
  subnetIds: network.publicSubnetIds,
  securityGroupId: security.workerSecurityGroupId,
  instanceProfileArn: identity.workerInstanceProfileArn,
  joinSecretArn: secrets.joinSecretArn,
  // The worker security group opens 22 to sshAllowedCidrs too: the key belongs on the workers as well.
  sshKeyName: c.sshKeyName,
  tags: c.tags,
  dependsOn: identity.workerPolicies,
});
// aws-node-termination-handler and cluster-autoscaler: one role each, the lifecycle policy on both.
const terminationHandlerRole = identity.addServiceAccountRole("node-termination-handler", ADDON_SERVICE_ACCOUNTS.nodeTerminationHandler, {});
const clusterAutoscalerRole = identity.addServiceAccountRole("cluster-autoscaler", ADDON_SERVICE_ACCOUNTS.clusterAutoscaler, {});
const termination = new NodeTermination(name, {
  clusterName: name,
  region: c.region,
  asgNames: workers.asgNameList,
  roleNames: [terminationHandlerRole.roleName, clusterAutoscalerRole.roleName],
  tags: c.tags,
});

// FluentD (every node, control plane included) writes container logs to this group and
// Grafana reads CloudWatch, each with its service account's own role.
const platformRoles = declarePlatformAccessRoles(identity, workloadValues);
const obs = config.observability;
const logging = obs.cloudWatchLogs
  ? new Logging(name, {
      clusterName: name,
      region: c.region,
      logGroupName: obs.logGroupName,
      retentionDays: obs.logRetentionDays,
      writerRoleNames: roleNamesWith(platformRoles, "writeContainerLogs"),
      readerRoleNames: obs.grafanaCloudWatchRead ? roleNamesWith(platformRoles, "readCloudWatch") : [],
      tags: c.tags,
    })
  : undefined;

// The queues, topics, buckets, tables and images the charts declare (their registry
// entries' `aws`), by chart id. No node role gets access to them: each service's policy
// (`serviceAccess`) goes on a role of its own service account, below.
const chartResources = declareChartAws({
  clusterName: name,
  region: c.region,
  tags: c.tags,
  settings: config.chartSettings,
  values: workloadValues,
});
const deployContexts = Object.fromEntries(Object.entries(chartResources).map(([id, r]) => [id, r.deployContext]));
// Each service that calls AWS assumes its own role, holding exactly its declared access.
const serviceAccessRoles = declareServiceAccessRoles(identity, chartResources, config.chartSettings);

const adminKubeconfig = pki.adminKubeconfig(name, controlPlane.apiServerUrl);

// Inside the cluster: add-ons, the teardown step, the workloads (README "Deploying for
// real"). Nothing when workloads.enabled is false.
const access = workloadValues
  ? declareClusterAccess(name, {
      workloads: config.workloads,
      kubeconfig: adminKubeconfig,
      apiServerUrl: controlPlane.apiServerUrl,
      caCertPem: pki.caCertPem,
      sessionCommand: controlPlane.ssmCommand,
      controlPlaneInstanceId: controlPlane.instanceId,
      infrastructure: [controlPlane],
    })
  : undefined;
const clusterSide = workloadValues && access
  ? declareClusterSide(name, {
      provider: access.provider,
      cluster: c,
      workloads: config.workloads,
      values: workloadValues,
      vpcId: network.vpcId,
      terminationQueueUrl: termination.queueUrl,
      addonAwsRoles: {
        ebsCsiDriver: identity.ebsCsiController.roleArn,
        nodeTerminationHandler: terminationHandlerRole.roleArn,
        clusterAutoscaler: clusterAutoscalerRole.roleArn,
      },
      deployContexts: withRoleArns(deployContexts, [...platformRoles, ...serviceAccessRoles], c.region),
      // IAM stays too: the controllers need their permissions to delete what they made.
      infrastructure: [network, security, identity, controlPlane, workers, termination],
    })
  : undefined;

export const apiServerUrl = controlPlane.apiServerUrl;
export const kubeconfig = adminKubeconfig;
export const controlPlaneSessionCommand = controlPlane.ssmCommand;
export const controlPlaneInstanceId = controlPlane.instanceId;
/** The version the control plane runs; the next `pulumi up` checks a change against it (infra/config/kubernetes-version.ts). */
export const kubernetesVersion = controlPlane.kubernetesVersion;
export const etcdBackupBucket = backups.bucketName;
export const pkiSecretName = secrets.pkiSecretName;
export const joinSecretName = secrets.joinSecretName;
export const vpcId = network.vpcId;
export const publicSubnetIds = pulumi.all(network.publicSubnetIds);
export const availabilityZones = network.availabilityZones;
export const controlPlaneSecurityGroupId = security.controlPlaneSecurityGroupId;
export const workerSecurityGroupId = security.workerSecurityGroupId;
export const controlPlaneRoleName = identity.controlPlaneRoleName;
export const workerRoleName = identity.workerRoleName;
/** Pool name → autoscaling group name (scale by hand: README "Scaling a pool by hand"). */
export const workerAutoscalingGroups = workers.asgNames;
/** aws-node-termination-handler's `queueURL` (queue mode). */
export const nodeTerminationQueueUrl = termination.queueUrl;
/** CloudWatch Logs group of the container logs (FluentD chart value `fluentd.cloudwatch.logGroupName`). */
export const containerLogGroup = logging?.logGroupName;
/** What each chart's AWS messaging gave it (queue URLs, topic ARNs), by the output name its registry entry declares. */
export const chartAws = chartAwsStackOutputs(chartResources);
/** Kept for existing scripts (`pulumi stack output objectDetectionAws`): one of {@link chartAws}. */
export const objectDetectionAws = chartAws.objectDetectionAws;
/** DNS name of the ingress Network Load Balancer: point the apps' host names at it (CNAME). */
export const ingressLoadBalancerHostname = clusterSide?.ingress.hostname;
/** The URLs the deployed charts serve, by the output name their registry entries declare. */
export const workloadUrls = clusterSide?.workloads.urls;
/** Kept for existing scripts: Grafana behind the ingress (admin password: README "Deploying for real"). */
export const grafanaUrl = workloadUrls?.grafanaUrl;
/** Kept for existing scripts: the URL polybot registers as its Telegram webhook. */
export const botWebhookUrl = workloadUrls?.botWebhookUrl;

// Optional: the GitHub Actions roles (stack section ciIdentity; README "CI deploys through a tunnel").
const ciIdentity = config.ciIdentity
  ? new CiIdentity(`${name}-ci`, { clusterName: name, region: c.region, settings: config.ciIdentity, tags: c.tags })
  : undefined;
/** The role deploy.yml assumes (repository variable AWS_DEPLOY_ROLE_ARN). */
export const ciDeployRoleArn = ciIdentity?.deployRoleArn;
/** The role pr.yml's preview assumes (repository variable AWS_PREVIEW_ROLE_ARN). */
export const ciPreviewRoleArn = ciIdentity?.previewRoleArn;
