import { costDelta, CostEstimate, estimateCost, money, signedMoney } from "./cost";
import { dangerousChanges, diffSynths, isStateful, planChanges, ResourceChange } from "./diff";
import { loadBalancers } from "./dns";
import { inventorySections } from "./inventory";
import { code, details, fenced, plainText, table } from "./markdown";
import { estateNodes } from "./nodes";
import { PlanReport } from "./plan-json";
import { pricesAreStale, pricesTakenOn } from "./prices";
import { Synth } from "./synth";

/** The workflow finds its comment by this first line. */
export const commentMarker = "<!-- dr-estate-plan-review -->";

/** GitHub refuses a comment body longer than this. */
export const githubCommentLimit = 65536;

export interface ReviewInput {
  /** The pull request's synth; absent when the synth failed. */
  readonly current?: Synth;
  /** The synth to compare against (e.g. the main branch's). */
  readonly base?: Synth;
  /** The plan, from `tofu show -json`. */
  readonly plan?: PlanReport;
  /** Its file, named in the header. */
  readonly planFile?: string;
  /** The human plan text, shown (trimmed to fit) at the end. */
  readonly planText?: string;
  readonly planTextFile?: string;
  /** A workflow step that failed, with its log. */
  readonly failure?: { readonly step: string; readonly log: string; readonly logFile?: string };
  /** Inputs that could not be read, said so in the header (a failed step leaves some behind). */
  readonly unavailable?: readonly string[];
  /** Default 65,536 (GitHub's limit). */
  readonly maxChars?: number;
  /** Today, for the stale-price warning; default `new Date()`. */
  readonly now?: Date;
  /** The workflow run whose `plan` artifact holds the full plan, when known. */
  readonly runUrl?: string;
}

const actionWords: Record<string, string> = {
  destroy: "DESTROY",
  replace: "REPLACE",
  forget: "forget",
  update: "change in place",
  create: "add",
  import: "import",
  move: "move",
  ignored: "no change (ignored)",
};
const actionOrder = Object.keys(actionWords);

const logTailLines = 60;
const logTailChars = 6000;
const dangerListed = 30;
/** Below this many characters of plan text, the plan text is left out rather than shown as a stub. */
const smallestPlanExcerpt = 400;

/**
 * The pull-request comment: what failed, what is dangerous, the changes and the cost in the open;
 * the estate's inventory and the plan text folded. It never exceeds `maxChars`: the plan text is
 * trimmed first, then the change tables, then the inventory is left out, each with a note.
 */
export function renderReview(input: ReviewInput): string {
  const maxChars = input.maxChars ?? githubCommentLimit;
  const { current, base, plan } = input;
  const fromPlan = plan ? sortChanges(planChanges(plan, current, base)) : [];
  const fromBase = base && current ? sortChanges(diffSynths(base, current)) : [];
  const artifact = input.runUrl
    ? `the \`plan\` artifact of [this workflow run](${input.runUrl})`
    : "the `plan` artifact of this pull request's workflow run";
  const limitText = maxChars.toLocaleString("en-US");

  const title = `# Estate review${current ? `: ${current.stackName}` : ""}`;
  const top = [commentMarker, ...failureSection(input), title, "", ...cautionSection([...fromBase, ...fromPlan]), ...sources(input)];
  const nodes = current ? estateNodes(current) : [];
  const estimate = current ? estimateCost(current, nodes) : undefined;
  const cost = estimate ? costSection(estimate, base, input.now ?? new Date()) : [];
  const inventory = current && estimate ? inventorySections(current, nodes, loadBalancers(current), estimate) : [];
  const planText = input.planText === undefined ? undefined : plainText(input.planText);

  const compose = (rows: number, planChars: number, withInventory: boolean): string => {
    const out = [...top, ...changesSection(input, fromPlan, fromBase, rows, limitText, artifact), ...cost];
    if (withInventory) {
      out.push(...inventory);
    } else if (inventory.length > 0) {
      out.push(`_The estate's inventory (nodes, DNS, firewall, backups, cost breakdown, diagram) is left out to fit GitHub's ${limitText}-character limit._`, "");
    }
    if (planText !== undefined) {
      out.push(...planTextSection(planText, planChars, input.planTextFile, limitText, artifact));
    }
    return out.join("\n");
  };

  const allRows = Math.max(fromPlan.length, fromBase.length);
  const all = planText?.length ?? 0;
  const full = compose(allRows, all, true);
  if (full.length <= maxChars) {
    return full;
  }
  // The plan text goes first: the longest excerpt that fits, or none.
  const fits = (rows: number, chars: number, withInventory: boolean) => compose(rows, chars, withInventory).length <= maxChars;
  if (planText !== undefined && fits(allRows, smallestPlanExcerpt, true)) {
    return compose(allRows, largest(smallestPlanExcerpt, all, (chars) => fits(allRows, chars, true)), true);
  }
  // Then the change tables, then the inventory.
  for (const withInventory of [true, false]) {
    if (fits(0, 0, withInventory)) {
      return compose(largest(0, allRows, (rows) => fits(rows, 0, withInventory)), 0, withInventory);
    }
  }
  // Only a tiny --max-chars gets here: cut the text itself.
  const note = `\n\n_Cut at ${limitText} characters; the full plan is ${artifact}._\n`;
  return compose(0, 0, false).slice(0, Math.max(0, maxChars - note.length)) + note;
}

/** The largest n in [low, high] with ok(n), given ok(low) and that ok only turns false as n grows. */
function largest(low: number, high: number, ok: (n: number) => boolean): number {
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (ok(middle)) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  return low;
}

function sortChanges(changes: ResourceChange[]): ResourceChange[] {
  return [...changes].sort((a, b) => actionOrder.indexOf(a.action) - actionOrder.indexOf(b.action) || a.address.localeCompare(b.address));
}

function failureSection({ failure, plan, planFile }: ReviewInput): string[] {
  const out: string[] = [];
  if (failure) {
    const lines = plainText(failure.log).replace(/\n+$/, "").split("\n");
    let tail = lines.slice(-logTailLines).join("\n");
    if (tail.length > logTailChars) {
      tail = tail.slice(tail.indexOf("\n", tail.length - logTailChars) + 1);
    }
    const shown = tail === "" ? 0 : tail.split("\n").length;
    const of = failure.logFile ? ` of ${code(failure.logFile)}` : "";
    out.push(`**The ${code(failure.step)} step failed.** What follows is what could still be reviewed; ` +
      (shown === 0 ? `its log${of} is empty.` : `${shown === 1 ? "this is the last line" : `these are the last ${shown} lines`}${of} (the workflow run has the whole log):`), "");
    if (shown > 0) {
      out.push(...fenced(tail), "");
    }
  }
  if (plan?.errored) {
    out.push(`**The plan failed:** ${planFile ? code(planFile) : "the plan JSON"} says \`errored: true\`. ` +
      "The changes below are only those OpenTofu planned before the error; the rest of the estate was not planned, so nothing here says it is safe.", "");
  }
  return out;
}

function cautionSection(changes: readonly ResourceChange[]): string[] {
  const dangerous = dangerousChanges(changes);
  if (dangerous.length === 0) {
    return [];
  }
  const stateful = dangerous.filter((c) => isStateful(c.type)).length;
  const servers = dangerous.length - stateful;
  const counted = [
    stateful > 0 ? `${stateful} stateful resource${stateful === 1 ? "" : "s"}` : "",
    servers > 0 ? `${servers} server${servers === 1 ? "" : "s"}` : "",
  ].filter(Boolean).join(" and ");
  const why = [
    stateful > 0 ? "A destroyed or replaced volume, reserved IP or bucket loses its data or its address." : "",
    servers > 0 ? "A replaced server is rebuilt from its user-data: that node is down meanwhile and loses what only its disk held." : "",
  ].filter(Boolean).join(" ");
  const out = ["> [!CAUTION]", `> **${counted} will be destroyed or replaced.** ${why} Check the backups and the runbook before approving.`];
  for (const c of dangerous.slice(0, dangerListed)) {
    const where = c.constructPath ? ` (${c.constructPath})` : "";
    const detail = c.details.length > 0 ? `: ${c.details.join("; ")}` : "";
    out.push(`> - ${code(c.address)}${where}: **${c.action === "destroy" ? "destroyed" : "replaced"}** (${c.source})${detail}`);
  }
  if (dangerous.length > dangerListed) {
    out.push(`> - … and ${dangerous.length - dangerListed} more; see the changes below.`);
  }
  return [...out, ""];
}

function sources({ current, base, planFile, planTextFile, unavailable }: ReviewInput): string[] {
  const out: string[] = [];
  const read = [
    current ? `synth ${code(current.file)}` : "",
    base ? `base ${code(base.file)}` : "",
    planFile ? `plan ${code(planFile)}` : "",
    planTextFile ? `plan text ${code(planTextFile)}` : "",
  ].filter(Boolean);
  if (read.length > 0) {
    out.push(`Reviewed: ${read.join(" · ")}`, "");
  }
  for (const what of unavailable ?? []) {
    out.push(`Not available: ${what}.`, "");
  }
  return out;
}

function changesSection(
  { plan, base, current, failure }: ReviewInput,
  fromPlan: readonly ResourceChange[],
  fromBase: readonly ResourceChange[],
  rows: number,
  limitText: string,
  artifact: string,
): string[] {
  const out = ["## Changes", ""];
  if (!plan && !(base && current)) {
    out.push(failure
      ? "No plan to review."
      : "No plan or base synth given (`--plan-json FILE`, `--base DIR_OR_JSON`): this review describes the estate only.", "");
    return out;
  }
  if (plan) {
    const s = plan.summary;
    const counts = [
      s.import > 0 ? `${s.import} to import` : "",
      `${s.add} to add`, `${s.change} to change`, `${s.destroy} to destroy`,
      s.forget > 0 ? `${s.forget} to forget` : "",
    ].filter(Boolean);
    out.push(plan.changes.length === 0 && !plan.errored ? "**No changes.** The infrastructure matches the configuration." : `**Plan: ${counts.join(", ")}.**`, "");
    if (plan.changes.length > 0) {
      out.push(...changeTable(fromPlan, "Note", rows, limitText, artifact), "");
    }
  }
  if (base && current) {
    const againstBase = changeTable(fromBase, "What changed", rows, limitText, artifact);
    if (fromBase.some((c) => c.action === "replace")) {
      againstBase.push("", "_Replacement is inferred from attributes that force a new resource; the plan is authoritative._");
    }
    if (plan) {
      out.push(...details(`Against the base synth (${fromBase.length} resource${fromBase.length === 1 ? "" : "s"} differ)`, againstBase));
    } else {
      out.push("### Against the base synth", "", ...againstBase, "");
    }
  }
  return out;
}

function changeTable(changes: readonly ResourceChange[], noteHeader: string, rows: number, limitText: string, artifact: string): string[] {
  if (changes.length === 0) {
    return ["No resource changes."];
  }
  const counts = actionOrder.filter((a) => changes.some((c) => c.action === a)).map((a) => `${changes.filter((c) => c.action === a).length} ${actionWords[a]}`);
  const shown = changes.slice(0, rows);
  const out = [
    `${counts.join(", ")}.`,
    "",
    ...table(["Action", "Resource", "Construct", noteHeader], shown.map((c) => [actionWords[c.action] ?? c.action, code(c.address), c.constructPath ?? "", c.details.join("; ")])),
  ];
  if (shown.length < changes.length) {
    out.push("", `_Showing ${shown.length} of ${changes.length} changes (destroyed and replaced first) to fit GitHub's ${limitText}-character limit; the full plan is ${artifact}._`);
  }
  return out;
}

function costSection(estimate: CostEstimate, base: Synth | undefined, now: Date): string[] {
  const out = ["## Estimated monthly cost", ""];
  if (pricesAreStale(now)) {
    out.push("> [!WARNING]", `> The prices in \`review/prices.ts\` were taken on ${pricesTakenOn}, more than six months ago: check them against the providers' pricing pages and update the table.`, "");
  }
  const total = (e: CostEstimate) => Object.entries(e.byCurrency).map(([currency, amount]) => money(amount, currency)).join(" + ") || "nothing priced";
  if (base) {
    const baseEstimate = estimateCost(base, estateNodes(base));
    const delta = costDelta(estimate, baseEstimate);
    const currencies = Object.keys(delta);
    out.push(...table(
      ["", ...currencies],
      [
        ["This pull request", ...currencies.map((c) => money(estimate.byCurrency[c] ?? 0, c))],
        ["Base", ...currencies.map((c) => money(baseEstimate.byCurrency[c] ?? 0, c))],
        ["**Change**", ...currencies.map((c) => `**${signedMoney(delta[c], c)}**`)],
      ],
    ), "");
    if (baseEstimate.unpriced.length > 0) {
      out.push(`Not in the price table (left out of the base's total): ${baseEstimate.unpriced.join(", ")}.`, "");
    }
  } else {
    out.push(`**Estimated total: ${total(estimate)} per month.**`, "");
  }
  if (estimate.unpriced.length > 0) {
    out.push(`Not in the price table (left out of the total): ${estimate.unpriced.join(", ")}.`, "");
  }
  out.push(`_List prices as of ${pricesTakenOn}; the breakdown is below._`, "");
  return out;
}

function planTextSection(text: string, chars: number, file: string | undefined, limitText: string, artifact: string): string[] {
  const name = file ? ` (<code>${file.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</code>)` : "";
  if (chars >= text.length) {
    return details(`Plan text${name}`, fenced(text));
  }
  if (chars < smallestPlanExcerpt) {
    return details(`Plan text${name}: left out`, [`_The plan text (${text.length.toLocaleString("en-US")} characters) does not fit in GitHub's ${limitText}-character limit; the full plan is ${artifact}._`]);
  }
  const cut = text.lastIndexOf("\n", chars);
  const excerpt = text.slice(0, cut > 0 ? cut : chars);
  const lines = text.split("\n").length;
  const shownLines = excerpt.split("\n").length;
  return details(`Plan text${name}: trimmed`, [
    `_Trimmed to fit GitHub's ${limitText}-character limit: the first ${shownLines} of ${lines} lines are shown, ` +
      `${(text.length - excerpt.length).toLocaleString("en-US")} characters are cut from the end. The full plan is ${artifact}._`,
    "",
    ...fenced(excerpt),
  ]);
}
