/** A small seeded PRNG (mulberry32): the offline agent's choices must be reproducible from (seed, step). */
export function seededRandom(...seedParts: number[]): () => number {
  let state = seedParts.reduce((h, part) => Math.imul(h ^ (part >>> 0), 0x9e3779b1) >>> 0, 0x12345678);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
