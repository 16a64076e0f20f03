// The drill lab for a test file: built and under the write load before its tests, then `prepare`
// (the scenario the file asserts on), and cleaned up after them. Each file takes its own ports.
import { DrillLab } from "../../drill/drill-lab";
import { requirePrerequisites } from "../../drill/prerequisites";
import { DrillContext, startDrill } from "../../drill/scenarios";

/**
 * Registers the file's beforeAll and afterAll. `portOffset` is added to DRILL_PORT_BASE (47400) so
 * several files' labs can exist at once; the drill's progress goes to stderr prefixed with `name`,
 * so a failure says what the estate was doing.
 */
export function drillLabForTests(
  name: string,
  portOffset: number,
  prepare: (context: DrillContext) => Promise<void> = async () => {},
  options: { readonly walArchiving?: boolean } = {},
): { readonly context: DrillContext } {
  const log = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
  const state: { lab?: DrillLab; context?: DrillContext } = {};
  beforeAll(async () => {
    const portBase = Number(process.env.DRILL_PORT_BASE ?? 47400) + portOffset;
    await requirePrerequisites(portBase);
    state.lab = new DrillLab({ portBase, log, ...options });
    await state.lab.build();
    state.context = await startDrill(state.lab, log, 100);
    await prepare(state.context);
  }, 900_000);
  afterAll(async () => {
    await state.context?.writer.stop();
    await state.context?.observer.stop();
    state.lab?.cleanup();
  });
  return {
    get context() {
      if (!state.context) throw new Error(`${name}: the drill lab is not up`);
      return state.context;
    },
  };
}
