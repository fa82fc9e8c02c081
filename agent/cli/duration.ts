/**
 * Durations on the command line: "2h", "30m", "90s", "1h30m", "1d". Returns seconds.
 */
const UNIT_SEC: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[dhms])+$/.test(trimmed)) throw new Error(`"${text}" is not a duration; use e.g. 2h, 30m, 1h30m, 1d`);
  let total = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([dhms])/g)) total += Number(n) * (UNIT_SEC[unit as string] ?? 0);
  if (total <= 0) throw new Error('the duration must be longer than 0');
  return total;
}
