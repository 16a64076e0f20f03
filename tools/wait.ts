export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; throws after `seconds`, with the last error seen. */
export async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message.split("\n")[0]}` : "";
      throw new Error(`timed out after ${seconds}s waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}
