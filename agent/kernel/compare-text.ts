/**
 * Orderings without ICU where they can do without it: the first `localeCompare` maps about 3 MB of
 * ICU collation data into the process for good (issue 14: an idle agent sorts its network interfaces).
 */

/** Plain names (lowercase ASCII letters, digits, `.`, `-`): Unicode's root collation orders them as their code points do. */
const PLAIN = /^[0-9a-z.-]*$/;

/**
 * `a.localeCompare(b)` for names shown to people (interfaces, node names), by code point when both
 * are plain: the same order for every locale that does not tailor these letters (root, English,
 * German, French, …). Locales that do (Danish sorts "aa" after "z", Czech "ch" after "h") see plain
 * names in code-point order instead.
 */
export function compareNames(a: string, b: string): number {
  if (PLAIN.test(a) && PLAIN.test(b)) return compareIds(a, b);
  return a.localeCompare(b);
}

/**
 * Identifiers (node ids): by code point, the same on every machine whatever its locale, which a
 * deterministic election needs (scheduler/election.ts).
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
