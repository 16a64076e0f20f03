import { DnsRecord } from "@cdktf/provider-cloudflare/lib/dns-record";
import { LoadBalancer } from "@cdktf/provider-cloudflare/lib/load-balancer";
import { Firewall as DigitalOceanFirewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { Volume as DigitalOceanVolume } from "@cdktf/provider-digitalocean/lib/volume";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Aspects, IAspect, TerraformStack } from "cdktf";
import { Firewall as HetznerFirewall } from "../../.gen/providers/hcloud/firewall";
import { PrimaryIp } from "../../.gen/providers/hcloud/primary-ip";
import { Volume as HetznerVolume } from "../../.gen/providers/hcloud/volume";
import { estatePolicies, FailoverTtlPolicy, FirstBootOnlyPolicy, NoWorldOpenPortsPolicy, PreventDestroyPolicy } from "../../policies";
import { Server } from "../../.gen/providers/hcloud/server";
import { EstateStack } from "../../stacks/estate-stack";
import { exampleEstate } from "../../estate/example-estate";

/** Synthesizes a stack holding whatever `build` adds, under one policy; returns the error it raised. */
function synthError(policy: IAspect, build: (stack: TerraformStack) => void): string | undefined {
  // skipValidation: these stacks hold a lone resource and no provider block.
  const app = new App({ skipValidation: true, outdir: fs.mkdtempSync(path.join(os.tmpdir(), "policy-")) });
  const stack = new TerraformStack(app, "policy-test");
  build(stack);
  Aspects.of(stack).add(policy);
  try {
    app.synth();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

const zoneId = "0123456789abcdef0123456789abcdef";

describe("FailoverTtlPolicy", () => {
  test("fails synth for a failover record with TTL above 60", () => {
    const error = synthError(new FailoverTtlPolicy(), (stack) => {
      new DnsRecord(stack, "slow", { zoneId, name: "api.example.com", type: "A", content: "203.0.113.10", ttl: 300 });
    });
    expect(error).toMatch(/\[FailoverTtl\] cloudflare_dns_record has TTL 300; failover records must have a TTL of at most 60 seconds/);
  });

  test("refuses Cloudflare's automatic TTL (1 = 300 s) on a load balancer", () => {
    const error = synthError(new FailoverTtlPolicy(), (stack) => {
      new LoadBalancer(stack, "auto", { zoneId, name: "api.example.com", defaultPools: ["a"], fallbackPool: "a", ttl: 1 });
    });
    expect(error).toMatch(/TTL 1 \(automatic, 300 s\)/);
  });

  test("accepts TTL 60", () => {
    expect(synthError(new FailoverTtlPolicy(), (stack) => {
      new DnsRecord(stack, "fast", { zoneId, name: "api.example.com", type: "A", content: "203.0.113.10", ttl: 60 });
    })).toBeUndefined();
  });
});

describe("NoWorldOpenPortsPolicy", () => {
  test.each([
    ["22", "0.0.0.0/0", "SSH"],
    ["5432", "::/0", "PostgreSQL"],
    ["4222", "0.0.0.0/0", "NATS"],
  ])("fails synth when a Hetzner firewall opens port %s to %s", (port, source, service) => {
    const error = synthError(new NoWorldOpenPortsPolicy(), (stack) => {
      new HetznerFirewall(stack, "fw", { name: "fw", rule: [{ direction: "in", protocol: "tcp", port, sourceIps: [source] }] });
    });
    expect(error).toContain(`opens ${service} (port ${port}) to ${source}`);
  });

  test("catches a protected port inside a world-open DigitalOcean port range", () => {
    const error = synthError(new NoWorldOpenPortsPolicy(), (stack) => {
      new DigitalOceanFirewall(stack, "fw", { name: "fw", inboundRule: [{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/0"] }] });
    });
    expect(error).toMatch(/opens SSH \(port 22\)/);
    expect(error).toMatch(/opens PostgreSQL \(port 5432\)/);
  });

  test("allows public web ports and peer-only PostgreSQL", () => {
    expect(synthError(new NoWorldOpenPortsPolicy(), (stack) => {
      new HetznerFirewall(stack, "fw", {
        name: "fw",
        rule: [
          { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"] },
          { direction: "in", protocol: "tcp", port: "5432", sourceIps: ["203.0.113.10/32"] },
        ],
      });
    })).toBeUndefined();
  });
});

describe("PreventDestroyPolicy", () => {
  test.each([
    ["hcloud_volume", (stack: TerraformStack) => new HetznerVolume(stack, "v", { name: "v", size: 10, location: "fsn1" })],
    ["hcloud_primary_ip", (stack: TerraformStack) => new PrimaryIp(stack, "ip", { name: "ip", type: "ipv4", assigneeType: "server" })],
    ["digitalocean_volume", (stack: TerraformStack) => new DigitalOceanVolume(stack, "v", { name: "v", size: 10, region: "fra1" })],
  ])("fails synth for a %s without preventDestroy", (type, build) => {
    expect(synthError(new PreventDestroyPolicy(), build)).toContain(`[PreventDestroy] ${type} holds state`);
  });

  test("accepts a volume with preventDestroy", () => {
    expect(synthError(new PreventDestroyPolicy(), (stack) => {
      new HetznerVolume(stack, "v", { name: "v", size: 10, location: "fsn1", lifecycle: { preventDestroy: true } });
    })).toBeUndefined();
  });
});

test.each(["hetzner", "digitalocean"] as const)("the example estate (%s) passes every policy", (provider) => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "estate-")) });
  const stack = new EstateStack(app, "mhc-dr", { estate: exampleEstate(provider) });
  expect(() => app.synth()).not.toThrow();
  expect(stack.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === "aws:cdk:error")).toEqual([]);
});

describe("FirstBootOnlyPolicy", () => {
  const server = (stack: TerraformStack, ignoreChanges?: string[]) =>
    new Server(stack, "server", { name: "s", serverType: "cx23", image: "ubuntu-24.04", userData: "#cloud-config\n", lifecycle: ignoreChanges ? { ignoreChanges } : undefined });

  test("fails synth for a server that a user-data change would replace", () => {
    expect(synthError(new FirstBootOnlyPolicy(), (stack) => server(stack))).toMatch(
      /\[FirstBootOnly\] hcloud_server must ignore later changes to user_data, image, ssh_keys/,
    );
    expect(synthError(new FirstBootOnlyPolicy(), (stack) => server(stack, ["user_data"]))).toMatch(/ignore later changes to image, ssh_keys \(/);
  });

  test("accepts a server that ignores them", () => {
    expect(synthError(new FirstBootOnlyPolicy(), (stack) => server(stack, ["user_data", "image", "ssh_keys"]))).toBeUndefined();
  });
});

test("the estate's stack holds every policy of the pack, each once", () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-")) });
  const stack = new EstateStack(app, "mhc-dr", { estate: exampleEstate("hetzner") });
  const names = (aspects: readonly IAspect[]) => aspects.map((aspect) => aspect.constructor.name).sort();
  expect(names(Aspects.of(stack).all)).toEqual(names(estatePolicies()));
  expect(names(estatePolicies())).toEqual(["FailoverTtlPolicy", "FirstBootOnlyPolicy", "NoWorldOpenPortsPolicy", "PreventDestroyPolicy"]);
});
