import { ClientFallbackDocument, clientFallbackOutputs } from "../estate/client-fallback";
import { code, fenced, table } from "./markdown";
import { notInSynth } from "./nodes";
import { readable } from "./references";
import { Synth } from "./synth";

/** The stack's client DNS fallback outputs, addresses made readable; undefined when the synth has none. */
export function clientFallback(synth: Synth): { hostsFile: string; document: ClientFallbackDocument; documentText: string } | undefined {
  const output = (name: string): unknown => synth.json.output?.[name]?.value;
  const hostsFile = output(clientFallbackOutputs.hostsFile);
  const documentText = output(clientFallbackOutputs.document);
  if (typeof hostsFile !== "string" || typeof documentText !== "string") {
    return undefined;
  }
  const readableDocument = readable(synth, documentText);
  return { hostsFile: readable(synth, hostsFile), document: JSON.parse(readableDocument), documentText: readableDocument };
}

/** The review's section: which address clients try first for each name, and both forms they ship. */
export function clientFallbackSection(synth: Synth): string[] {
  const fallback = clientFallback(synth);
  if (!fallback) {
    return [`Client DNS fallback: ${notInSynth}.`];
  }
  const { document } = fallback;
  return [
    `Last known primary: **${document.lastKnownPrimary}** (\`dns.lastKnownPrimary\`), so its address comes first. ` +
      `Outputs ${code(clientFallbackOutputs.hostsFile)} and ${code(clientFallbackOutputs.document)} (\`tofu output -raw NAME\`).`,
    "",
    ...table(["Hostname", "First", "Then"], Object.entries(document.hosts).map(([name, [first, ...rest]]) => [name, first, rest.join(", ")])),
    "",
    "Hosts file:",
    "",
    ...fenced(fallback.hostsFile),
    "",
    "JSON for client libraries:",
    "",
    ...fenced(fallback.documentText, "json"),
  ];
}
