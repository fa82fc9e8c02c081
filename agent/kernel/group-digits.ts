/**
 * A count written with thousands separators ("20,000"), as `n.toLocaleString('en-US')` writes it,
 * without ICU: the first `toLocaleString` of a process costs ~20 ms of CPU and maps ~8 MB of ICU
 * number-formatting data for good (issue 14's memory, issue 17's start-up), which an agent paid the
 * first time it logged a count.
 * @example groupDigits(20000) === '20,000'; groupDigits(-1234.5) === '-1,234.5'
 */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [whole = '', fraction] = String(Math.abs(n)).split('.');
  // Scientific notation (1e21 and up) is left as String() writes it.
  const grouped = /^\d+$/.test(whole) ? whole.replace(/\B(?=(\d{3})+$)/g, ',') : whole;
  return `${n < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}
