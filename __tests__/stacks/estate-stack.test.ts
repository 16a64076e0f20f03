import { DnsRecord } from "@cdktf/provider-cloudflare/lib/dns-record";
import { LoadBalancer } from "@cdktf/provider-cloudflare/lib/load-balancer";
import { LoadBalancerMonitor } from "@cdktf/provider-cloudflare/lib/load-balancer-monitor";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Firewall as DigitalOceanFirewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { ReservedIp } from "@cdktf/provider-digitalocean/lib/reserved-ip";
import { Volume as DigitalOceanVolume } from "@cdktf/provider-digitalocean/lib/volume";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { Firewall as HetznerFirewall } from "../../.gen/providers/hcloud/firewall";
import { PrimaryIp } from "../../.gen/providers/hcloud/primary-ip";
import { Server } from "../../.gen/providers/hcloud/server";
import { Volume as HetznerVolume } from "../../.gen/providers/hcloud/volume";
import { EstateStack } from "../../stacks/estate-stack";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";

type Synthesized = { resource: Record<string, Record<string, Record<string, any>>>; output: Record<string, any> };

function synthesize(provider: "hetzner" | "digitalocean") {
  const app = Testing.app();
  const stack = new EstateStack(app, "mhc-dr", { estate: exampleEstate(provider) });
  const synthesized = Testing.synth(stack);
  return { synthesized, json: JSON.parse(synthesized) as Synthesized };
}

/** The one resource of a type whose logical id starts with `prefix`. */
function resource(json: Synthesized, type: string, prefix: string) {
  const matches = Object.entries(json.resource[type] ?? {}).filter(([id]) => id.startsWith(prefix));
  expect(matches).toHaveLength(1);
  return { address: `${type}.${matches[0][0]}`, attributes: matches[0][1] };
}

const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;

describe.each(["hetzner", "digitalocean"] as const)("the example estate with a %s standby", (provider) => {
  const { synthesized, json } = synthesize(provider);

  test("is valid Terraform JSON with failover DNS for every service hostname at TTL 60", () => {
    expect(synthesized).toHaveResourceWithProperties(LoadBalancerMonitor, { path: "/healthz", expected_codes: "200", type: "http" });
    for (const hostname of ["api", "stream", "cdn"]) {
      expect(synthesized).toHaveResourceWithProperties(LoadBalancer, { name: `${hostname}.example.com`, ttl: 60, proxied: false, steering_policy: "off" });
    }
    for (const record of ["primary", "standby", "witness"]) {
      expect(synthesized).toHaveResourceWithProperties(DnsRecord, { name: `${record}.example.com`, type: "A", ttl: 60, proxied: false });
    }
  });

  test("load balancers try the primary pool, then the standby pool, and fall back to the primary pool when both are down", () => {
    const primaryPool = resource(json, "cloudflare_load_balancer_pool", "dns_primary-pool");
    const standbyPool = resource(json, "cloudflare_load_balancer_pool", "dns_standby-pool");
    const monitor = resource(json, "cloudflare_load_balancer_monitor", "dns_healthz-monitor");
    for (const hostname of ["api", "stream", "cdn"]) {
      const balancer = resource(json, "cloudflare_load_balancer", `dns_${hostname}-load-balancer`);
      expect(balancer.attributes.default_pools).toEqual([ref(primaryPool.address, "id"), ref(standbyPool.address, "id")]);
      // Not the standby: a read-only replica must not take all traffic when the monitor sees neither node.
      expect({ hostname, fallback: balancer.attributes.fallback_pool }).toEqual({ hostname, fallback: ref(primaryPool.address, "id") });
    }
    expect(primaryPool.attributes.monitor).toBe(ref(monitor.address, "id"));
    expect(primaryPool.attributes.origins).toEqual([expect.objectContaining({ address: "203.0.113.10", enabled: true })]);
    const standbyAddress = provider === "hetzner"
      ? ref(resource(json, "hcloud_primary_ip", "standby_primary-ip").address, "ip_address")
      : ref(resource(json, "digitalocean_reserved_ip", "standby_reserved-ip").address, "ip_address");
    expect(standbyPool.attributes.origins).toEqual([expect.objectContaining({ address: standbyAddress })]);
  });

  test("the standby's data volume and reserved address are protected from destruction", () => {
    if (provider === "hetzner") {
      expect(synthesized).toHaveResourceWithProperties(HetznerVolume, { size: 100, location: "fsn1", lifecycle: { prevent_destroy: true } });
      expect(synthesized).toHaveResourceWithProperties(PrimaryIp, { auto_delete: false, lifecycle: { prevent_destroy: true } });
    } else {
      expect(synthesized).toHaveResourceWithProperties(DigitalOceanVolume, { size: 100, region: "fra1", lifecycle: { prevent_destroy: true } });
      expect(synthesized).toHaveResourceWithProperties(ReservedIp, { region: "fra1", lifecycle: { prevent_destroy: true } });
    }
  });

  test("the standby server carries cloud-init for the standby role and mounts its volume", () => {
    const server = provider === "hetzner"
      ? resource(json, "hcloud_server", "standby_server")
      : resource(json, "digitalocean_droplet", "standby_server");
    // A local holds the document; Hetzner's is compressed at apply time (its datasource decodes base64 and gunzips).
    const wrapped = provider === "hetzner" ? /^\$\{base64gzip\(local\.([\w-]+)\)\}$/ : /^\$\{local\.([\w-]+)\}$/;
    const local = (server.attributes.user_data as string).match(wrapped);
    expect(local).not.toBeNull();
    const userData: string = (json as any).locals[local![1]];
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    expect(() => parse(userData)).not.toThrow();
    expect(userData).toContain("NODE_ROLE='standby'");
    const volume = provider === "hetzner"
      ? resource(json, "hcloud_volume", "standby_data-volume")
      : resource(json, "digitalocean_volume", "standby_data-volume");
    expect(userData).toContain(provider === "hetzner" ? `scsi-0HC_Volume_\${${volume.address}.id}` : "scsi-0DO_Volume_mhc-dr-standby-pgdata");
  });

  test("firewalls: PostgreSQL only from the peers, SSH only from admin networks and the primary, web and RTMP public", () => {
    const rules = provider === "hetzner"
      ? (resource(json, "hcloud_firewall", "standby_firewall").attributes.rule as any[]).map((r) => ({ port: r.port, sources: r.source_ips }))
      : (resource(json, "digitalocean_firewall", "standby_firewall").attributes.inbound_rule as any[]).map((r) => ({ port: r.port_range, sources: r.source_addresses }));
    const sourcesOf = (port: string) => rules.find((r) => r.port === port)!.sources;
    const witnessIp = provider === "hetzner"
      ? ref(resource(json, "hcloud_primary_ip", "witness_primary-ip").address, "ip_address")
      : ref(resource(json, "digitalocean_reserved_ip", "witness_reserved-ip").address, "ip_address");
    expect(sourcesOf("5432")).toEqual(expect.arrayContaining(["203.0.113.10/32", `${witnessIp}/32`]));
    expect(sourcesOf("5432")).not.toContain("0.0.0.0/0");
    // SSH: the admin networks, and the primary pushing the media.
    expect(sourcesOf("22")).toEqual(["198.51.100.0/24", "203.0.113.10/32"]);
    for (const publicPort of ["80", "443", "1935"]) {
      expect(sourcesOf(publicPort)).toEqual(["0.0.0.0/0", "::/0"]);
    }
    if (provider === "hetzner") {
      expect(synthesized).toHaveResourceWithProperties(HetznerFirewall, { name: "mhc-dr-witness-firewall" });
      expect(synthesized).toHaveResourceWithProperties(Server, { server_type: "cx33", location: "fsn1", image: "ubuntu-24.04" });
    } else {
      expect(synthesized).toHaveResourceWithProperties(DigitalOceanFirewall, { name: "mhc-dr-witness-firewall" });
      expect(synthesized).toHaveResourceWithProperties(Droplet, { size: "s-2vcpu-4gb", region: "fra1" });
    }
  });

  test("the primary is a NoCloud seed in one sensitive output, with no resource of its own", () => {
    const seed = json.output.primary_seed;
    expect(seed.sensitive).toBe(true);
    // The example gives no primary.network: cloud-init's own DHCP fallback, no network-config.
    expect(Object.keys(seed.value).sort()).toEqual(["meta-data", "user-data"]);
    const userData: string = (json as any).locals[/^\$\{local\.([\w-]+)\}$/.exec(seed.value["user-data"])![1]];
    expect(userData).toMatch(/^#cloud-config\n/);
    expect(userData).toContain("NODE_ROLE='primary'");
    expect(parse(seed.value["meta-data"])).toEqual({ "instance-id": "mhc-dr-primary", "local-hostname": "primary" });
    expect(Object.keys(json.resource).filter((type) => type.startsWith("local_"))).toEqual([]);
    const servers = provider === "hetzner" ? json.resource.hcloud_server : json.resource.digitalocean_droplet;
    expect(Object.keys(servers).sort()).toEqual([expect.stringMatching(/^standby_server/), expect.stringMatching(/^witness_server/)]);
  });

  test("every secret output is sensitive and the connection string names both data nodes", () => {
    expect(json.output["ca-certificate"].sensitive).toBe(true);
    expect(json.output["database-url"].value).toBe(
      "postgresql://primary.example.com:5432,standby.example.com:5432/mhc?target_session_attrs=read-write&sslmode=verify-full",
    );
  });

  test("stateful resources keep their Terraform addresses (renaming one would destroy it)", () => {
    const stateful = provider === "hetzner"
      ? ["hcloud_volume.standby_data-volume_FD7F7F75", "hcloud_primary_ip.standby_primary-ip_135A952D", "hcloud_primary_ip.witness_primary-ip_E9F68DB5"]
      : ["digitalocean_volume.standby_data-volume_FD7F7F75", "digitalocean_reserved_ip.standby_reserved-ip_8FE2D988", "digitalocean_reserved_ip.witness_reserved-ip_C3F4C21C"];
    for (const address of stateful) {
      const [type, id] = address.split(".");
      expect(Object.keys(json.resource[type] ?? {})).toContain(id);
    }
  });
});

describe("the operating system", () => {
  const synthesizeWith = (provider: "hetzner" | "digitalocean", os: "ubuntu-24.04" | "debian-12", majorVersion: number) => {
    const estate = exampleEstate(provider, { os, postgres: { majorVersion, database: "mhc", synchronousReplication: false } });
    return JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate }))) as Synthesized & { locals: Record<string, string> };
  };
  const standbyDocument = (json: { locals: Record<string, string> }) => Object.entries(json.locals).find(([name]) => name.startsWith("standby_user-data"))![1];

  test.each([
    ["hetzner", "debian-12", "debian-12"],
    ["digitalocean", "debian-12", "debian-12-x64"],
    ["hetzner", "ubuntu-24.04", "ubuntu-24.04"],
    ["digitalocean", "ubuntu-24.04", "ubuntu-24-04-x64"],
  ] as const)("picks each provider's own image (%s, %s)", (provider, os, image) => {
    const json = synthesizeWith(provider, os, os === "debian-12" ? 15 : 16);
    const servers = Object.values<any>(json.resource[provider === "hetzner" ? "hcloud_server" : "digitalocean_droplet"]);
    expect(servers.map((server) => server.image)).toEqual([image, image]);
  });

  test.each([
    ["debian-12", 15, "distribution"],
    ["debian-12", 16, "pgdg"],
    ["ubuntu-24.04", 16, "distribution"],
    ["ubuntu-24.04", 17, "pgdg"],
  ] as const)("takes PostgreSQL from the distribution when it ships the version (%s, %i: %s)", (os, major, source) => {
    expect(standbyDocument(synthesizeWith("hetzner", os, major))).toContain(`PG_SOURCE='${source}'`);
  });
});

describe("the primary's network-config", () => {
  const networkConfigOf = (network: object, os: "ubuntu-24.04" | "debian-12" = "ubuntu-24.04") => {
    const input = exampleEstateInput();
    const estate = exampleEstate("hetzner", { os, postgres: { ...input.postgres, majorVersion: os === "debian-12" ? 15 : 16 }, primary: { ...input.primary, network: network as never } });
    const json = JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate })));
    return parse(json.output.primary_seed.value["network-config"]);
  };

  test("sets the primary's addresses and routes statically on a named interface, as Debian 12's cloud-init reads it", () => {
    expect(networkConfigOf({ interface: "eno1", gateway4: "203.0.113.1", gateway6: "fe80::1", nameservers: ["9.9.9.9"] }, "debian-12")).toEqual({
      version: 2,
      ethernets: {
        eno1: {
          addresses: ["203.0.113.10/24", "2001:db8:10::10/64"],
          routes: [{ to: "0.0.0.0/0", via: "203.0.113.1" }, { to: "::/0", via: "fe80::1" }],
          nameservers: { addresses: ["9.9.9.9"] },
        },
      },
    });
  });

  test("matches a glob with netplan's match on Ubuntu, and takes DHCP without a gateway", () => {
    expect(networkConfigOf({ interface: "en*" })).toEqual({ version: 2, ethernets: { uplink: { match: { name: "en*" }, dhcp4: true } } });
  });
});
