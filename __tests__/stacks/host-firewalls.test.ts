// Each node's own nftables rules against its provider firewall, as synthesized: the same inbound
// rules, every allow-list naming only reserved addresses (which exist before any server and survive
// its replacement), and on DigitalOcean a replaced droplet leaves the other nodes' rules unchanged.
import { Testing } from "cdktf";
import { exampleEstate } from "../../estate/example-estate";
import { firewallRules, FirewallRuleRow } from "../../review/firewall";
import { estateNodes } from "../../review/nodes";
import { referencedAddresses } from "../../review/references";
import { findResource, synthFromJson } from "../../review/synth";
import { cloudConfigFile, parseCloudConfig } from "../../review/user-data";
import { EstateStack } from "../../stacks/estate-stack";

type Flavour = "hetzner" | "digitalocean";

function synthesize(flavour: Flavour): Record<string, any> {
  const estate = exampleEstate(flavour);
  return JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate })));
}

/** A rule as both kinds of firewall can say it: host nftables' rule without sources means the world. */
const comparable = (rows: FirewallRuleRow[]) =>
  rows
    .map((row) => {
      const sources = row.sources.flatMap((source) => (source === "anywhere" ? ["anywhere (IPv4)", "anywhere (IPv6)"] : [source]));
      return `${row.protocol}/${row.ports} from ${[...new Set(sources)].sort().join(", ")}`;
    })
    .sort();

describe.each<Flavour>(["hetzner", "digitalocean"])("the %s flavour", (flavour) => {
  const json = synthesize(flavour);
  const synth = synthFromJson(json);
  const nodes = estateNodes(synth);
  const rows = firewallRules(synth, nodes);

  test.each(["standby", "witness"])("the %s's host firewall has exactly its provider firewall's inbound rules", (role) => {
    const provider = rows.filter((row) => row.node === role && /cloud firewall$/i.test(row.enforcedBy));
    const host = rows.filter((row) => row.node === role && row.enforcedBy.startsWith("host nftables"));
    expect(provider.length).toBeGreaterThan(1);
    expect(comparable(host)).toEqual(comparable(provider));
  });

  test("every allow-list names peers by reserved addresses that outlive their servers", () => {
    const peerSources = rows.flatMap((row) => row.sources).filter((source) => /of (standby|witness)/.test(source));
    expect(peerSources.length).toBeGreaterThan(10);
    expect([...new Set(peerSources)].map((source) => /^reserved IP of (standby|witness)[^ ]*\/32$/.exec(source)?.[1]).sort()).toEqual(["standby", "witness"]);
    const nftables = nodes.map((node) => cloudConfigFile(node.userData, "/etc/nftables.conf"));
    expect(nftables.every((conf) => conf !== undefined)).toBe(true);
    for (const address of new Set(nftables.flatMap((conf) => referencedAddresses(conf)))) {
      expect(findResource(synth, address)?.attributes.lifecycle?.prevent_destroy).toBe(true);
    }
  });
});

test("DigitalOcean nodes send from their reserved IP: a replaced droplet (new address of its own) is still allowed everywhere", () => {
  const synth = synthFromJson(synthesize("digitalocean"));
  const nodes = estateNodes(synth);
  // Whatever a replacement changes (the droplet and its addresses) appears in no allow-list...
  const allowLists = [
    ...nodes.map((node) => cloudConfigFile(node.userData, "/etc/nftables.conf")),
    ...Object.values<any>(synth.json.resource.digitalocean_firewall).map((firewall) => firewall.inbound_rule),
  ];
  const referenced = allowLists.flatMap((list) => referencedAddresses(list));
  expect(referenced.filter((address) => address.startsWith("digitalocean_reserved_ip.")).length).toBeGreaterThan(10);
  expect(referenced.filter((address) => !address.startsWith("digitalocean_reserved_ip."))).toEqual([]);
  // ...because the droplets route their own traffic out through the reserved IP.
  for (const node of nodes) {
    const runcmd: string[] = parseCloudConfig(node.userData)?.runcmd ?? [];
    const routesThroughReservedIp = runcmd.some((command) => command.includes("reserved-ip-egress.sh"));
    expect([node.role, routesThroughReservedIp]).toEqual([node.role, node.provider === "digitalocean"]);
  }
});
