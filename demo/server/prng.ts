/**
 * Deterministic PRNG for the mock server and the tests: mulberry32 (Tommy Ettinger's 32-bit generator).
 * Same seed, same sequence, on every platform, so a failing fuzz case can be
 * replayed from its seed. Not for anything security-related.
 *
 * @param seed - Any number; only its low 32 bits matter.
 * @returns A function yielding floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
