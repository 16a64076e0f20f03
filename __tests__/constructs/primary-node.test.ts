import { PrimaryNode, primarySeedOutput } from "../../constructs/primary-node";
import { synthScope } from "../support/synth-scope";

const userData = '#cloud-config\nruncmd:\n  - echo "${HOSTNAME}" %{not a directive}\n';

function synthesizePrimary(networkConfig?: string) {
  return synthScope((scope, expose) => {
    const primary = new PrimaryNode(scope, "primary", { seed: { "user-data": userData, "meta-data": "instance-id: dr-lab-primary\n", "network-config": networkConfig } });
    expose(primary.userData);
  });
}

describe("PrimaryNode", () => {
  const { json, exposed } = synthesizePrimary("network:\n  version: 2\n");
  const seed = json.output?.[primarySeedOutput];
  const [localName] = Object.keys(json.locals ?? {});

  test("keeps the user-data in one local, its literal ${ and %{ escaped for Terraform", () => {
    expect(json.locals?.[localName]).toBe('#cloud-config\nruncmd:\n  - echo "$${HOSTNAME}" %%{not a directive}\n');
  });

  test("hands out a reference to that local, the same text the seed output carries", () => {
    expect(exposed).toBe(`\${local.${localName}}`);
    expect(seed?.value["user-data"]).toBe(exposed);
  });

  test("publishes the whole NoCloud seed as one sensitive output named for npm run seed", () => {
    expect(primarySeedOutput).toBe("primary_seed");
    expect(seed?.sensitive).toBe(true);
    expect(seed?.value).toEqual({ "user-data": exposed, "meta-data": "instance-id: dr-lab-primary\n", "network-config": "network:\n  version: 2\n" });
  });

  test("leaves network-config out when the description gives no network", () => {
    const { json: withoutNetwork } = synthesizePrimary(undefined);
    expect(Object.keys(withoutNetwork.output?.[primarySeedOutput].value)).toEqual(["meta-data", "user-data"]);
  });
});
