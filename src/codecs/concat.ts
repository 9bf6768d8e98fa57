/** Joins typed-array parts into one new array made by `make` (the part itself when there is one). */
export function concat<T extends Float32Array | Uint8Array>(parts: readonly T[], make: (length: number) => T): T {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = make(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
