/**
 * Windows command lines, two layers:
 * 1. The program splits its own command line: Node uses the MSVC CRT rules (CommandLineToArgvW;
 *    "Parsing C++ command-line arguments", Microsoft Learn): quote a word with whitespace or `"`,
 *    double the backslashes that precede a `"` or the closing quote, escape `"` as `\"`.
 * 2. cmd.exe runs that line first (we need it for the `>>` log redirect). Inside double quotes its
 *    metacharacters `& | < > ^ ( )` are literal, but `%NAME%` is expanded everywhere. `^` escapes
 *    a character only outside quotes, so a literal `%` is emitted as close-quote, `^%`, reopen:
 *    `"a "^%" b"` reaches the program as `"a "%" b"`, which rule 1 joins back into `a % b`.
 */

/** Rule 1: one argument for CommandLineToArgvW. */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      backslashes++;
      continue;
    }
    if (c === '"') out += '\\'.repeat(backslashes * 2 + 1) + '"';
    else out += '\\'.repeat(backslashes) + c;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/**
 * Rule 2: makes a command line (already quoted per rule 1) safe to pass through cmd.exe: every
 * `%` becomes literal. Quote state is tracked the way cmd does (every `"` toggles it; cmd does not
 * know `\"`), so an argument containing `"` cannot be passed through cmd safely: rejected.
 */
export function cmdLiteral(line: string): string {
  let inQuotes = false;
  let out = '';
  for (const c of line) {
    if (c === '"') inQuotes = !inQuotes;
    if (c === '%') out += inQuotes ? '"^%"' : '^%';
    else if (!inQuotes && '&|<>^()'.includes(c)) out += `^${c}`;
    else out += c;
  }
  return out;
}

/** A whole argv as one cmd.exe-safe command line. */
export function cmdCommandLine(argv: readonly string[]): string {
  for (const a of argv) {
    if (a.includes('"') || /[\r\n]/.test(a)) throw new TypeError(`cannot pass ${JSON.stringify(a)} through cmd.exe (a quote or a line break)`);
  }
  return cmdLiteral(argv.map(windowsArg).join(' '));
}
