/**
 * A soft check that code meant for the audio thread allocates nothing per quantum: the heap's
 * growth over 11 windows of `quanta` calls after a warm-up. Without --expose-gc a collection
 * can land in a window (a negative delta) and the test runner can add noise, so judge the
 * median window: a per-quantum allocation raises every window that has no collection. One
 * 128-sample Float32Array per quantum adds about 600 KB per 1000 quanta; clean runs measure
 * 0.6–49 KB (the upper end before the JIT has settled). Small per-quantum objects go unseen.
 */
export function medianHeapGrowth(step: (quanta: number) => void, quanta = 1000, warmUp = 5000): { median: number; deltas: number[] } {
  step(warmUp); // lets the JIT settle (interpreted code boxes doubles)
  const deltas: number[] = [];
  for (let w = 0; w < 11; w++) {
    const before = process.memoryUsage().heapUsed;
    step(quanta);
    deltas.push(process.memoryUsage().heapUsed - before);
  }
  return { median: [...deltas].sort((a, b) => a - b)[5], deltas };
}

/** The bound the soft checks use: well above a clean run, well below one small array per quantum. */
export const HEAP_GROWTH_LIMIT = 200_000;
