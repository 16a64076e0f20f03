import { Testing } from "cdktf";
import { clientFallbackOutputs } from "../../estate/client-fallback";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { validateEstate } from "../../estate/load";
import { EstateStack } from "../../stacks/estate-stack";

type Outputs = Record<string, { value: unknown }>;

function outputs(provider: "hetzner" | "digitalocean", lastKnownPrimary?: "primary" | "standby"): Outputs {
  const dns = { ...exampleEstateInput().dns, ...(lastKnownPrimary ? { lastKnownPrimary } : {}) };
  const stack = new EstateStack(Testing.app(), "mhc-dr", { estate: exampleEstate(provider, { dns } as any) });
  return JSON.parse(Testing.synth(stack)).output;
}

const serviceNames = ["api.example.com", "stream.example.com", "cdn.example.com"];

describe.each(["hetzner", "digitalocean"] as const)("the clients' DNS fallback (%s standby)", (provider) => {
  test.each([
    ["primary", undefined],
    ["primary", "primary"],
    ["standby", "standby"],
  ] as const)("lists the last known primary (%s, set: %s) first, in the hosts file and the JSON, for every service hostname", (first, setting) => {
    const out = outputs(provider, setting);
    const standbyAddress = out["standby-ipv4"].value as string;
    expect(standbyAddress).toMatch(/^\$\{(hcloud_primary_ip|digitalocean_reserved_ip)\./);
    const ordered = first === "primary" ? ["203.0.113.10", standbyAddress] : [standbyAddress, "203.0.113.10"];

    const hostsLines = (out[clientFallbackOutputs.hostsFile].value as string).split("\n").filter((line) => line && !line.startsWith("#"));
    const then = first === "primary" ? "standby" : "primary";
    expect(hostsLines).toEqual([`${ordered[0]} ${serviceNames.join(" ")} # ${first}`, `${ordered[1]} ${serviceNames.join(" ")} # ${then}`]);

    const document = JSON.parse(out[clientFallbackOutputs.document].value as string);
    expect(document).toEqual({
      domain: "example.com",
      lastKnownPrimary: first,
      hosts: Object.fromEntries(serviceNames.map((name) => [name, ordered])),
    });
  });
});

test("a last known primary that is not a data node is refused, naming the field", () => {
  const input = { ...exampleEstateInput(), dns: { ttl: 60, lastKnownPrimary: "witness" } } as any;
  expect(() => validateEstate(input, "test estate")).toThrow(/dns\.lastKnownPrimary: must be primary or standby/);
});
