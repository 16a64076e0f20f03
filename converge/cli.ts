import * as fs from "node:fs";
import * as path from "node:path";
import { estateNodesOutput } from "../constructs/estate-nodes-output";
import { runTerraform } from "../deploy/terraform-cli";
import { NodeRole, nodeRoles } from "../estate/schema";
import { onlyStackFolder, ReviewInputError } from "../review/synth";
import { readCommandLine } from "../tools/command-line";
import { converge, ConvergeError, ConvergeNode } from "./converge";

const usage = `usage: npm run converge -- [--stack DIR] [--only ROLE]... [--dry-run] [--identity KEY] [--user NAME] [--port N] [--report FILE]

Brings the running nodes up to date with the deployed estate, one node at a time (witness, then
the read-only data node, then the writable one), over SSH with the host keys the state pins. Each
node gets the files of its document that differ, packages it lacks, and a reload of only what reads
them; it must be healthy again (and the formation settled) before the next node is touched.

  --stack DIR     the synthesized stack whose deployed state to read (default: the only one in cdktf.out/stacks)
  --only ROLE     converge only this node: ${nodeRoles.join(", ")} (repeatable)
  --dry-run       show what would change on each node, change nothing
  --identity KEY  SSH private key (default: ssh-agent and ssh's defaults)
  --user NAME     SSH user with sudo on the nodes (default: ops)
  --port N        SSH port (default: 22)
  --report FILE   write what was done as JSON
  --help          this text`;

export async function runConvergeCli(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const commandLine = readCommandLine(argv, {
    name: "converge",
    help: "npm run converge -- --help",
    usage,
    options: {
      stack: { type: "string" },
      only: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      identity: { type: "string" },
      user: { type: "string" },
      port: { type: "string" },
      report: { type: "string" },
    },
  });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { values } = commandLine;
  const unknown = (values.only ?? []).filter((role) => !(nodeRoles as readonly string[]).includes(role));
  const port = Number(values.port ?? 22);
  if (unknown.length > 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`converge: ${unknown.length > 0 ? `unknown role ${unknown.join(", ")}; choose from ${nodeRoles.join(", ")}` : `--port ${values.port} is not a port`}`);
    return 2;
  }
  try {
    const stack = values.stack ? path.resolve(cwd, values.stack) : onlyStackFolder(path.resolve(cwd, "cdktf.out/stacks"));
    const results = await converge(readDeployedNodes(stack), {
      ssh: { user: values.user ?? "ops", port, identity: values.identity, timeoutSeconds: 900 },
      dryRun: values["dry-run"],
      only: values.only as NodeRole[] | undefined,
      log: (line) => console.log(line),
    });
    if (values.report) {
      fs.writeFileSync(path.resolve(cwd, values.report), JSON.stringify(results, null, 2) + "\n");
    }
    return 0;
  } catch (error) {
    if (error instanceof ConvergeError || error instanceof ReviewInputError) {
      console.error(`converge: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** The `nodes` output of the deployed state: address, document and SSH host key per role. */
export function readDeployedNodes(stack: string): Record<NodeRole, ConvergeNode> {
  const result = runTerraform(["output", "-no-color", "-json", estateNodesOutput], stack);
  if (result.status !== 0) {
    throw new ConvergeError(`no deployed nodes in ${stack}: ${result.stderr.replace(/[│╷╵]/g, "").replace(/\s+/g, " ").trim()} (run cdktf deploy first)`);
  }
  const json = JSON.parse(result.stdout.slice(Math.max(0, result.stdout.search(/^\{/m)))) as Record<string, { address: string; document: string; host_public_key: string }>;
  const missing = nodeRoles.filter((role) => typeof json[role]?.document !== "string");
  if (missing.length > 0) {
    throw new ConvergeError(`the state's ${estateNodesOutput} output has no ${missing.join(", ")}: deploy the current estate first`);
  }
  return Object.fromEntries(
    nodeRoles.map((role) => [role, { address: json[role].address, document: json[role].document, hostPublicKey: json[role].host_public_key }]),
  ) as Record<NodeRole, ConvergeNode>;
}

if (require.main === module) {
  runConvergeCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
