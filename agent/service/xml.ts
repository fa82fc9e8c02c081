/** XML 1.0 escaping (§2.4 character data, §3.1 attribute values): the five predefined entities. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** A comment's text must not contain `--` (XML 1.0 §2.5); a single space between the dashes keeps it legal. */
export function xmlComment(text: string): string {
  return `<!-- ${text.replace(/--/g, '- -')} -->`;
}
