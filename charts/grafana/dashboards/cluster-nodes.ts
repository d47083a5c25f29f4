import { JOB } from "../../prometheus/scrape-config";
import { dashboard, Dashboard, PanelSpec, promLabelVariable, promQuery } from "./builder";

const node = `job="${JOB.nodeExporter}",node=~"$node"`;
const rootFs = `${node},mountpoint="/",fstype!~"tmpfs|overlay|squashfs"`;

/** Per-node CPU, memory, disk and network from node-exporter, with node readiness from kube-state-metrics. */
export function clusterNodesDashboard(): Dashboard {
  return dashboard({
    uid: "platform-cluster-nodes",
    title: "Cluster nodes",
    description: "CPU, memory, disk and network of every node (node-exporter), and node readiness (kube-state-metrics).",
    variables: [promLabelVariable("node", "Node", `node_uname_info{job="${JOB.nodeExporter}"}`, "node")],
    panels: [...statusPanels(), ...cpuAndMemoryPanels(), ...diskAndNetworkPanels()],
  });
}

/** Node readiness and scrape health at a glance. */
function statusPanels(): PanelSpec[] {
  return [
    {
      type: "stat",
      title: "Nodes ready",
      width: 6,
      height: 4,
      targets: [promQuery('sum(kube_node_status_condition{condition="Ready",status="true"})')],
    },
    {
      type: "stat",
      title: "Nodes not ready",
      width: 6,
      height: 4,
      redAbove: 1,
      targets: [promQuery('sum(kube_node_status_condition{condition="Ready",status="true"} == 0) or vector(0)')],
    },
    {
      type: "stat",
      title: "Unschedulable nodes",
      width: 6,
      height: 4,
      redAbove: 1,
      targets: [promQuery("sum(kube_node_spec_unschedulable) or vector(0)")],
    },
    {
      type: "stat",
      title: "Scrape targets down",
      width: 6,
      height: 4,
      redAbove: 1,
      targets: [promQuery("count(up == 0) or vector(0)")],
    },
  ];
}

/** CPU, load, memory and root filesystem use per node. */
function cpuAndMemoryPanels(): PanelSpec[] {
  return [
    {
      title: "CPU busy",
      unit: "percent",
      min: 0,
      max: 100,
      targets: [
        promQuery(`100 * (1 - avg by (node) (rate(node_cpu_seconds_total{${node},mode="idle"}[$__rate_interval])))`, "{{node}}"),
      ],
    },
    {
      title: "Load (1 min) per CPU",
      targets: [
        promQuery(
          `node_load1{${node}} / on (node) count by (node) (node_cpu_seconds_total{${node},mode="idle"})`,
          "{{node}}",
        ),
      ],
    },
    {
      title: "Memory used",
      unit: "percent",
      min: 0,
      max: 100,
      targets: [
        promQuery(`100 * (1 - node_memory_MemAvailable_bytes{${node}} / node_memory_MemTotal_bytes{${node}})`, "{{node}}"),
      ],
    },
    {
      title: "Memory available",
      unit: "bytes",
      targets: [promQuery(`node_memory_MemAvailable_bytes{${node}}`, "{{node}}")],
    },
    {
      title: "Root filesystem used",
      unit: "percent",
      min: 0,
      max: 100,
      redAbove: 85,
      targets: [
        promQuery(`100 * (1 - node_filesystem_avail_bytes{${rootFs}} / node_filesystem_size_bytes{${rootFs}})`, "{{node}}"),
      ],
    },
  ];
}

/** Disk and network throughput, saturation and errors per node. */
function diskAndNetworkPanels(): PanelSpec[] {
  return [
    {
      title: "Disk throughput",
      unit: "Bps",
      targets: [
        promQuery(`sum by (node) (rate(node_disk_read_bytes_total{${node}}[$__rate_interval]))`, "{{node}} read"),
        promQuery(`sum by (node) (rate(node_disk_written_bytes_total{${node}}[$__rate_interval]))`, "{{node}} write"),
      ],
    },
    {
      title: "Disk busy",
      unit: "percentunit",
      min: 0,
      max: 1,
      targets: [promQuery(`max by (node) (rate(node_disk_io_time_seconds_total{${node}}[$__rate_interval]))`, "{{node}}")],
    },
    {
      title: "Network traffic",
      unit: "Bps",
      targets: [
        promQuery(`sum by (node) (rate(node_network_receive_bytes_total{${node},device!="lo"}[$__rate_interval]))`, "{{node}} in"),
        promQuery(`sum by (node) (rate(node_network_transmit_bytes_total{${node},device!="lo"}[$__rate_interval]))`, "{{node}} out"),
      ],
    },
    {
      title: "Network errors and drops",
      unit: "pps",
      width: 24,
      targets: [
        promQuery(
          `sum by (node) (rate(node_network_receive_errs_total{${node}}[$__rate_interval]) + rate(node_network_transmit_errs_total{${node}}[$__rate_interval]))`,
          "{{node}} errors",
        ),
        promQuery(
          `sum by (node) (rate(node_network_receive_drop_total{${node}}[$__rate_interval]) + rate(node_network_transmit_drop_total{${node}}[$__rate_interval]))`,
          "{{node}} drops",
        ),
      ],
    },
  ];
}
