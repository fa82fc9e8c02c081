/**
 * Deterministic fake embeddings: the same input always gives the same vector, different inputs give
 * different vectors, so caching and routing tests can compare results across fakes.
 */
import { createHash } from 'node:crypto';

/**
 * The value as a float32 would print in its shortest round-trip form (Go's encoding/json for
 * []float32, orjson for numpy float32): 0.45 stays 0.45, not 0.44999998807907104.
 */
export function float32ish(value: number): number {
  const f = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

/** A unit-length vector of `dims` float32-like values seeded from `seed`. */
export function unitVector(seed: string | Uint8Array, dims: number): number[] {
  const raw = seededNumbers(seed, dims);
  const norm = Math.sqrt(raw.reduce((sum, v) => sum + v * v, 0)) || 1;
  return raw.map((v) => float32ish(v / norm));
}

/** `count` values in [-1, 1) from a SHA-256 seeded xorshift generator. */
export function seededNumbers(seed: string | Uint8Array, count: number): number[] {
  const digest = createHash('sha256').update(seed).digest();
  let state = digest.readUInt32LE(0) || 0x9e3779b9;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out.push(state / 0x80000000 - 1);
  }
  return out;
}
