import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clientFallbackOutputs } from "../../estate/client-fallback";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { renderReview } from "../../review/render";
import { readSynth, Synth, synthFromJson } from "../../review/synth";
import { synthesizeEstate } from "../../stacks/synthesize-estate";

const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function synth(lastKnownPrimary: "primary" | "standby"): Synth {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "review-fallback-"));
  temporary.push(dir);
  const dns = { ...exampleEstateInput().dns, lastKnownPrimary };
  return readSynth(synthesizeEstate(exampleEstate("hetzner", { dns } as any), dir));
}

/** The body of the review's collapsed "Client DNS fallback" block. */
function fallbackBlock(current: Synth): string {
  const markdown = renderReview({ current, now: new Date("2026-12-01") });
  const start = markdown.indexOf("<details><summary><b>Client DNS fallback");
  expect(start).toBeGreaterThanOrEqual(0);
  return markdown.slice(start, markdown.indexOf("\n</details>", start));
}

function fencedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```(?:text|json)\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}

test.each([
  ["primary", ["203.0.113.10", "reserved IP of standby"]],
  ["standby", ["reserved IP of standby", "203.0.113.10"]],
] as const)("with %s as the last known primary, every service hostname lists its address first", (lastKnownPrimary, [first, then]) => {
  const block = fallbackBlock(synth(lastKnownPrimary));
  expect(block).toContain(`Last known primary: **${lastKnownPrimary}**`);
  for (const name of ["api.example.com", "stream.example.com", "cdn.example.com"]) {
    expect(block).toContain(`| ${name} | ${first} | ${then} |`);
  }
  const [hostsFile, json] = fencedBlocks(block);
  expect(hostsFile.split("\n").slice(1)).toEqual([
    `${first} api.example.com stream.example.com cdn.example.com # ${lastKnownPrimary}`,
    `${then} api.example.com stream.example.com cdn.example.com # ${lastKnownPrimary === "primary" ? "standby" : "primary"}`,
  ]);
  expect(JSON.parse(json).hosts["cdn.example.com"]).toEqual([first, then]);
});

test("a synth without the fallback outputs says so instead of failing", () => {
  const current = synth("primary");
  const json = JSON.parse(JSON.stringify(current.json));
  delete json.output[clientFallbackOutputs.hostsFile];
  expect(fallbackBlock(synthFromJson(json, "old.json"))).toContain("Client DNS fallback: not in this synth.");
});
