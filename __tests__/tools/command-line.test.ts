import { CommandLineError, parseCommandLine, readCommandLine } from "../../tools/command-line";

const spec = {
  name: "seed",
  help: "npm run seed -- --help",
  usage: "usage: npm run seed -- --out DIR",
  options: { out: { type: "string" }, only: { type: "string", multiple: true }, "dry-run": { type: "boolean" } },
  renamed: { "--plan": "the plan is now --plan-json FILE" },
} as const;

function refusal(argv: string[], allowPositionals = false): string {
  try {
    parseCommandLine(argv, { ...spec, allowPositionals });
  } catch (error) {
    expect(error).toBeInstanceOf(CommandLineError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
}

test("parses the options and positionals it is given", () => {
  const { values, positionals } = parseCommandLine(["plan", "--out", "x", "--only", "a", "--only=b", "--dry-run"], { ...spec, allowPositionals: true });
  expect({ ...values }).toEqual({ out: "x", only: ["a", "b"], "dry-run": true });
  expect(positionals).toEqual(["plan"]);
});

test("names what is wrong in one line and where the usage is", () => {
  const see = "; see npm run seed -- --help";
  expect(refusal(["--outt", "x"])).toBe(`unknown option --outt${see}`);
  expect(refusal(["-x"])).toBe(`unknown option -x${see}`);
  expect(refusal(["--plan", "p"])).toBe(`unknown option --plan: the plan is now --plan-json FILE${see}`);
  expect(refusal(["--out"])).toBe(`--out needs a value${see}`);
  expect(refusal(["--out="])).toBe(`--out needs a value${see}`);
  expect(refusal(["--only", "a", "--only="])).toBe(`--only needs a value${see}`);
  expect(refusal(["--out", "--dry-run"])).toBe(`--out needs a value${see}`);
  expect(refusal(["--help=yes"])).toBe(`--help takes no value${see}`);
  expect(refusal(["stray"])).toBe(`unexpected argument stray${see}`);
});

describe("readCommandLine", () => {
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;
  beforeEach(() => {
    out = jest.spyOn(console, "log").mockImplementation(() => undefined);
    err = jest.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test("prints the usage for --help and -h, and returns 0", () => {
    expect(readCommandLine(["--help"], spec)).toBe(0);
    expect(readCommandLine(["--out", "x", "-h"], spec)).toBe(0);
    expect(out.mock.calls).toEqual([[spec.usage], [spec.usage]]);
    expect(err).not.toHaveBeenCalled();
  });

  test("prints the refusal with the command's name and returns 2", () => {
    expect(readCommandLine(["--help", "--nope"], spec)).toBe(2);
    expect(err.mock.calls).toEqual([["seed: unknown option --nope; see npm run seed -- --help"]]);
    expect(out).not.toHaveBeenCalled();
  });

  test("returns the parse otherwise", () => {
    expect(readCommandLine(["--out", "x"], spec)).toMatchObject({ values: { out: "x" }, positionals: [] });
  });
});
