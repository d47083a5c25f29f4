/**
 * A minimal authoritative DNS server over UDP that plays the cluster DNS for
 * one headless Service: it answers the SRV query for the Service with one
 * record per "pod" (plus their A records in the additional section, as
 * CoreDNS does) and the A query for each pod name. The record set can change
 * while clients run, like pods coming and going.
 */
import * as dgram from "node:dgram";

export interface PodRecord {
  /** Host name of the pod, e.g. `pod-a.svc.ns.svc.cluster.local`. */
  readonly target: string;
  readonly ipv4: string;
  readonly port: number;
}

const TYPE_A = 1;
const TYPE_SRV = 33;
const CLASS_IN = 1;

export class FakeClusterDns {
  private records: PodRecord[] = [];
  private readonly socket = dgram.createSocket("udp4");
  /** Every (name, type) asked, for assertions. */
  readonly queries: { name: string; type: number }[] = [];

  private constructor(private readonly srvName: string) {}

  /** Starts a server answering SRV queries for `srvName` on 127.0.0.1 and a free port. */
  static async start(srvName: string): Promise<{ dns: FakeClusterDns; port: number }> {
    const dns = new FakeClusterDns(srvName.toLowerCase());
    dns.socket.on("message", (msg, rinfo) => {
      const reply = dns.answer(msg);
      if (reply) dns.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => dns.socket.bind(0, "127.0.0.1", resolve));
    return { dns, port: dns.socket.address().port };
  }

  setPods(records: PodRecord[]): void {
    this.records = [...records];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12) return undefined;
    const id = query.readUInt16BE(0);
    const flags = query.readUInt16BE(2);
    if (flags & 0x8000 || query.readUInt16BE(4) !== 1) return undefined;
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    const question = query.subarray(12, end + 4);
    this.queries.push({ name, type });

    const answers: Buffer[] = [];
    const additional: Buffer[] = [];
    let known = false;
    if (name === this.srvName) {
      known = true;
      if (type === TYPE_SRV) {
        for (const r of this.records) {
          answers.push(resourceRecord(pointerToQuestion(), TYPE_SRV, srv(r)));
          additional.push(resourceRecord(encodeName(r.target), TYPE_A, ipv4(r.ipv4)));
        }
      }
    }
    for (const r of this.records) {
      if (name === r.target.toLowerCase()) {
        known = true;
        if (type === TYPE_A) answers.push(resourceRecord(pointerToQuestion(), TYPE_A, ipv4(r.ipv4)));
      }
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    // QR + AA, RD copied from the query; NXDOMAIN for names this server does not know.
    header.writeUInt16BE(0x8400 | (flags & 0x0100) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(additional.length, 10);
    return Buffer.concat([header, question, ...answers, ...additional]);
  }
}

function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (buf[i] !== 0) {
    const len = buf[i];
    labels.push(buf.subarray(i + 1, i + 1 + len).toString("ascii"));
    i += len + 1;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 1 };
}

function encodeName(name: string): Buffer {
  const parts = name.split(".").filter((p) => p.length > 0);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "ascii")])), Buffer.from([0])]);
}

/** Compression pointer to the question name, which always starts at offset 12. */
function pointerToQuestion(): Buffer {
  return Buffer.from([0xc0, 0x0c]);
}

function resourceRecord(name: Buffer, type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(1, 4); // TTL 1 s: clients must keep asking
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name, fixed, rdata]);
}

function srv(r: PodRecord): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(0, 0); // priority
  fixed.writeUInt16BE(100, 2); // weight
  fixed.writeUInt16BE(r.port, 4);
  return Buffer.concat([fixed, encodeName(r.target)]);
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split(".").map(Number));
}
