import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { ClientFallbackInput, clientFallbackDocument, clientFallbackHostsFile, clientFallbackOutputs } from "../estate/client-fallback";

/**
 * The hard-coded DNS fallback for clients as two stack outputs: a hosts-file snippet and a JSON
 * document, both listing every service hostname with the last known primary's address first.
 */
export class ClientFallbackOutput extends Construct {
  constructor(scope: Construct, id: string, input: ClientFallbackInput) {
    super(scope, id);
    new TerraformOutput(this, "hosts-file", {
      description: "hosts-file lines for every service hostname, last known primary first: clients' fallback when DNS fails",
      value: clientFallbackHostsFile(input),
    }).overrideLogicalId(clientFallbackOutputs.hostsFile);
    new TerraformOutput(this, "document", {
      description: "JSON for client libraries: each service hostname's addresses in the order to try them when DNS fails",
      value: `${JSON.stringify(clientFallbackDocument(input), null, 2)}\n`,
    }).overrideLogicalId(clientFallbackOutputs.document);
  }
}
