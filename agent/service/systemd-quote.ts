/**
 * systemd's command-line quoting, for the subset this project emits (systemd.service(5) "Command
 * lines", systemd.unit(5) "Specifiers", systemd.syntax(7) "Quoting"). `%` starts a specifier in
 * every setting, so it is doubled; `$` starts variable expansion in ExecStart=, so it is doubled
 * there. A word with whitespace, quotes, a backslash or a lone `;` (the old command separator) is
 * double-quoted, with C-style escapes for `\`, `"` and control characters inside.
 */

const NEEDS_QUOTES = /[\s"'\\;]|^$/;

function cEscape(s: string): string {
  return s.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c] ?? c);
}

function quoteWord(word: string): string {
  return NEEDS_QUOTES.test(word) ? `"${cEscape(word)}"` : word;
}

/** One ExecStart= word: specifiers and `$` escaped, quoted when needed. */
export function systemdExecWord(word: string): string {
  return quoteWord(word.replace(/%/g, '%%').replace(/\$/g, '$$$$'));
}

/** The value of an `Environment=` assignment (no `$` expansion there, so `$` stays as is). */
export function systemdEnvAssignment(name: string, value: string): string {
  return `"${cEscape(`${name}=${value}`.replace(/%/g, '%%'))}"`;
}

/** The inverse of the C escapes above. */
function cUnescape(c: string): string {
  return ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[c] ?? c;
}

/**
 * Splits an ExecStart= value (or an Environment= value) back into words, undoing the quoting and
 * specifier/variable escapes this module emits. Used by the tests to run exactly what systemd would.
 * Throws on a specifier or variable other than `%%`/`$$`: systemd would substitute those, and this
 * module never emits them.
 */
export function parseSystemdWords(line: string, opts: { expandDollar: boolean }): string[] {
  const words: string[] = [];
  let i = 0;
  const at = (k: number): string => line.charAt(k);
  while (i < line.length) {
    while (i < line.length && /\s/.test(at(i))) i++;
    if (i >= line.length) break;
    let word = '';
    let quote: string | null = null;
    for (; i < line.length; i++) {
      const c = at(i);
      if (quote === null && /\s/.test(c)) break;
      if (quote === null && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== null && c === quote) {
        quote = null;
      } else if (c === '\\') {
        i++;
        word += cUnescape(at(i));
      } else if (c === '%') {
        if (at(i + 1) !== '%') throw new Error(`unsupported specifier %${at(i + 1)} in: ${line}`);
        word += '%';
        i++;
      } else if (c === '$' && opts.expandDollar) {
        if (at(i + 1) !== '$') throw new Error(`unsupported variable expansion in: ${line}`);
        word += '$';
        i++;
      } else {
        word += c;
      }
    }
    if (quote !== null) throw new Error(`unterminated quote in: ${line}`);
    words.push(word);
  }
  return words;
}
