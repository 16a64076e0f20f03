import { App, TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { parse } from "yaml";
import { decodeWriteFile, nodePaths, readCloudInitFile, WriteFile } from "../../cloud-init";
import { escapeTemplateLiteral, terraformString } from "../../constructs/terraform-string";
import { withoutCommentLines } from "../../cloud-init/shell-comments";
import { validateEstate } from "../../estate";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { EstateStack } from "../../stacks/estate-stack";
import { isStackReference, templateSequences } from "../support/terraform-templates";

function synthesize(estate: ReturnType<typeof exampleEstate>): Record<string, any> {
  return JSON.parse(Testing.synth(new EstateStack(Testing.app(), estate.name, { estate })));
}

/** What Terraform makes of a template with no interpolations left: the escapes undone. */
const evaluateLiteral = (text: string) => text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

const hostileWebhook = "https://alerts.example.com/hooks/${jndi:x}/%{ if true }y%{ endif }";
const hostileKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGVrZXlyZXBsYWNlbWV3aXRoeW91cm93bms ops ${HOME} %{ for x in y }$";

function hostileEstate() {
  const input = exampleEstateInput();
  input.alerts = { webhookUrl: hostileWebhook };
  input.ssh = { ...input.ssh, publicKeys: [hostileKey] };
  return validateEstate(input, "hostile estate");
}

const estates = {
  "the Hetzner flavour": () => exampleEstate("hetzner"),
  "the DigitalOcean flavour": () => exampleEstate("digitalocean"),
  "an estate with ${ and %{ in its webhook URL and SSH key comment": hostileEstate,
};

describe.each(Object.entries(estates))("every Terraform template sequence in %s", (_name, estate) => {
  const json = synthesize(estate());
  const sequences = templateSequences(json);

  test("is an interpolation of one of the stack's own references", () => {
    expect(sequences.length).toBeGreaterThan(20);
    const foreign = sequences.filter((s) => s.kind === "directive" || !isStackReference(s.expression, json));
    expect(foreign).toEqual([]);
  });

  test("the scripts, shell expansions and all, reach every node as they are in cloud-init/files (less their comment lines)", () => {
    const documents = Object.entries<string>(json.locals).filter(([name]) => /user-data/.test(name)).map(([, document]) => document);
    expect(documents.length).toBe(3);
    for (const document of documents) {
      const files = parse(evaluateLiteral(document)).write_files as WriteFile[];
      const script = files.find((file) => file.path === `${nodePaths.scripts}/failover-lib.sh`)!;
      expect(decodeWriteFile(script)).toBe(withoutCommentLines(readCloudInitFile("failover/failover-lib.sh")));
    }
  });
});

test("hostile text reaches the servers literally", () => {
  const json = synthesize(hostileEstate());
  const standbyDocument = evaluateLiteral(Object.entries<string>(json.locals).find(([name]) => name.startsWith("standby_user-data"))![1]);
  expect(standbyDocument).toContain(`ALERT_WEBHOOK_URL='${hostileWebhook}'`);
  expect(standbyDocument).toContain(hostileKey);
  const keys = Object.values<any>(json.resource.hcloud_ssh_key).map((key) => evaluateLiteral(key.public_key));
  expect(keys).toEqual([hostileKey]);
});

describe("terraformString", () => {
  const stack = new TerraformStack(new App(), "strings");
  const token = new TerraformVariable(stack, "secret", { type: "string" }).stringValue;

  test("leaves text without template sequences or tokens as it is", () => {
    expect(terraformString("plain $HOME and 100% {x}")).toBe("plain $HOME and 100% {x}");
  });

  test("keeps a token a reference inside a shell expansion, and a $ before a token literal", () => {
    new TerraformOutput(stack, "text", { value: terraformString(`A=\${X:-${token}} %{ if } cost=$${token}`) });
    const json = JSON.parse(Testing.synth(stack));
    expect(json.output.text.value).toBe('A=$${X:-${var.secret}} %%{ if } cost=${"$"}${var.secret}');
  });

  test("escapeTemplateLiteral undoes to the original text", () => {
    const text = "${a} $${b} %{c} %%{d} $$$";
    expect(evaluateLiteral(escapeTemplateLiteral(text))).toBe(text);
  });
});
