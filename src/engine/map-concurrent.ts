/**
 * Runs `fn` over `items` with at most `limit` calls in flight, starting the next as one finishes. The
 * first failure stops new calls from starting and is rethrown once the running ones have settled, so no
 * transfer is left running unobserved.
 */
export async function mapConcurrent<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
}
