import { EstateNodesOutput, estateNodesOutput } from "../../constructs/estate-nodes-output";
import { synthScope } from "../support/synth-scope";

const target = (address: string, role: string) => ({ address, document: `#cloud-config for ${role}\n`, hostPublicKey: `ssh-ed25519 AAAA${role}` });

describe("EstateNodesOutput", () => {
  const { json } = synthScope((scope) => {
    new EstateNodesOutput(scope, "nodes", {
      nodes: { primary: target("203.0.113.10", "primary"), standby: target("198.51.100.20", "standby"), witness: target("198.51.100.30", "witness") },
    });
  });
  const output = json.output?.[estateNodesOutput];

  test("is one sensitive output under the name npm run converge reads", () => {
    expect(estateNodesOutput).toBe("nodes");
    expect(Object.keys(json.output ?? {})).toEqual(["nodes"]);
    expect(output?.sensitive).toBe(true);
  });

  test("holds each role's address, document and host key, in Terraform's snake_case", () => {
    expect(output?.value).toEqual({
      primary: { address: "203.0.113.10", document: "#cloud-config for primary\n", host_public_key: "ssh-ed25519 AAAAprimary" },
      standby: { address: "198.51.100.20", document: "#cloud-config for standby\n", host_public_key: "ssh-ed25519 AAAAstandby" },
      witness: { address: "198.51.100.30", document: "#cloud-config for witness\n", host_public_key: "ssh-ed25519 AAAAwitness" },
    });
  });
});
