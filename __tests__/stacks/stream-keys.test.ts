// The streams' publishing keys as synthesized: one Terraform random_password per stream of the
// estate description, delivered to the data nodes' nginx key list and to operators as a sensitive
// output, never to the witness; stream names are checked like every other field.
import { Testing } from "cdktf";
import { validateEstate } from "../../estate";
import { exampleEstateInput } from "../../estate/example-estate";
import { rtmpPublishFiles } from "../../cloud-init/pieces/nginx-rtmp";
import { estateNodes } from "../../review/nodes";
import { synthFromJson } from "../../review/synth";
import { cloudConfigFile } from "../../review/user-data";
import { EstateStack } from "../../stacks/estate-stack";

function synthesize(streams?: string[]): Record<string, any> {
  const estate = validateEstate({ ...exampleEstateInput(), ...(streams ? { streams } : {}) }, "example estate");
  return JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate })));
}

test("each stream gets a generated key, on the data nodes and in a sensitive output only", () => {
  const json = synthesize(["main", "backstage"]);
  const passwords = Object.entries<any>(json.resource.random_password).filter(([name]) => name.startsWith("streams_"));
  expect(passwords.map(([, password]) => [password.length, password.special])).toEqual([[32, false], [32, false]]);
  const reference = (name: string) => `\${random_password.${passwords.find(([id]) => id.includes(`key-${name}`))![0]}.result}`;

  const keyLists = Object.fromEntries(
    estateNodes(synthFromJson(json)).map((node) => [node.role, cloudConfigFile(node.userData, `/etc/nginx/${rtmpPublishFiles.streamKeys}`)]),
  );
  const expected = `"${reference("main")}" "main";\n"${reference("backstage")}" "backstage";\n`;
  expect(keyLists).toEqual({ primary: expected, standby: expected, witness: undefined });
  expect(json.output["stream-keys"]).toEqual({
    description: expect.stringContaining("rtmp://"),
    sensitive: true,
    value: { main: reference("main"), backstage: reference("backstage") },
  });
});

test("an estate without streams gets the one stream main; bad or repeated names are refused by field", () => {
  expect(validateEstate(exampleEstateInput(), "example").streams).toEqual(["main"]);
  expect(() => validateEstate({ ...exampleEstateInput(), streams: ["main", "Main Stage", "main"] }, "bad")).toThrow(
    /streams\.1: must be 1-63 characters[\s\S]*streams\.2: "main" is listed twice/,
  );
  expect(() => validateEstate({ ...exampleEstateInput(), streams: [] }, "bad")).toThrow(/streams: must list at least one stream name/);
});
