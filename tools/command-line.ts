// The command-line parsing every `npm run` command of the project shares: Node's util.parseArgs
// (strict), a --help/-h on every command, and parse errors as one line that names the option and
// says where the usage is, e.g. "seed: unknown option --outt; see npm run seed -- --help".
import { parseArgs, ParseArgsConfig } from "node:util";

export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

const helpOption = { help: { type: "boolean", short: "h" } } as const;

export interface CommandSpec<O extends CommandOptions, P extends boolean> {
  /** Starts every error line, e.g. "seed". */
  readonly name: string;
  /** How to get the usage, e.g. "npm run seed -- --help". */
  readonly help: string;
  readonly options: O;
  readonly allowPositionals?: P;
  /** A line for options people still type, e.g. `{ "--plan": "the plan is now --plan-json FILE" }`. */
  readonly renamed?: Readonly<Record<string, string>>;
}

export type ParsedCommandLine<O extends CommandOptions, P extends boolean> = ReturnType<typeof parseArgs<{
  args: string[];
  options: O & typeof helpOption;
  strict: true;
  allowPositionals: P;
}>>;

/** A bad command line, in one line (without the command's name). */
export class CommandLineError extends Error {}

/** Parses `argv`; throws CommandLineError for an unknown option, a missing or empty value, or an unexpected argument. */
export function parseCommandLine<const O extends CommandOptions, const P extends boolean = false>(
  argv: readonly string[],
  spec: CommandSpec<O, P>,
): ParsedCommandLine<O, P> {
  const see = `see ${spec.help}`;
  let parsed: ParsedCommandLine<O, P>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, ...helpOption },
      strict: true,
      allowPositionals: (spec.allowPositionals ?? false) as P,
    }) as ParsedCommandLine<O, P>;
  } catch (error) {
    throw new CommandLineError(`${describeParseError(error as Error & { code?: string }, spec.renamed ?? {})}; ${see}`);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === "" || (Array.isArray(value) && value.includes(""))) {
      throw new CommandLineError(`--${name} needs a value; ${see}`);
    }
  }
  return parsed;
}

export interface CommandUsage<O extends CommandOptions, P extends boolean> extends CommandSpec<O, P> {
  /** Printed on stdout for --help. */
  readonly usage: string;
}

/**
 * For a command's entry point: the parsed command line, or the exit status when there is nothing
 * more to do: 0 after printing the usage for --help, 2 after printing the one-line error.
 */
export function readCommandLine<const O extends CommandOptions, const P extends boolean = false>(
  argv: readonly string[],
  spec: CommandUsage<O, P>,
): ParsedCommandLine<O, P> | number {
  let parsed: ParsedCommandLine<O, P>;
  try {
    parsed = parseCommandLine(argv, spec);
  } catch (error) {
    if (error instanceof CommandLineError) {
      console.error(`${spec.name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(spec.usage);
    return 0;
  }
  return parsed;
}

function describeParseError(error: Error & { code?: string }, renamed: Readonly<Record<string, string>>): string {
  const option = /'(?:-\w, )?(--?[\w-]+)/.exec(error.message)?.[1] ?? /'([^']*)'/.exec(error.message)?.[1] ?? "";
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return renamed[option] ? `unknown option ${option}: ${renamed[option]}` : `unknown option ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(error.message) ? `${option} takes no value` : `${option} needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ""}`;
    default:
      return error.message.split("\n")[0];
  }
}
