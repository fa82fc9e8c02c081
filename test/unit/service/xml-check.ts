/**
 * A tiny well-formedness check for the XML the templates emit (XML 1.0 §2.1): one root element,
 * tags nested and closed, only the predefined entities, no `--` inside comments, no raw `<` or `&`
 * in text. Enough to catch an escaping bug; not a validating parser.
 */
export function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  const token = /<\?[\s\S]*?\?>|<!--([\s\S]*?)-->|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of xml.matchAll(token)) {
    const [all, comment, close, name, attrs, selfClose, text, stray] = m;
    if (stray !== undefined) throw new Error(`stray "<" at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
    if (comment !== undefined) {
      if (comment.includes('--')) throw new Error(`"--" inside a comment: ${all}`);
      continue;
    }
    if (text !== undefined) {
      checkEntities(text);
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text.trim()}`);
      continue;
    }
    if (name === undefined) continue; // declaration or doctype
    checkEntities(attrs ?? '');
    if (close === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? '(nothing)'}>`);
    } else {
      if (stack.length === 0) roots++;
      if (selfClose !== '/') stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

function checkEntities(text: string): void {
  for (const m of text.matchAll(/&([^;\s]*);?/g)) {
    if (!['amp', 'lt', 'gt', 'quot', 'apos'].includes(m[1] ?? '') || !m[0].endsWith(';')) throw new Error(`bad entity: ${m[0]}`);
  }
  if (text.includes('>') && text.includes(']]>')) throw new Error('"]]>" in text');
}

/** Decodes the predefined entities (the inverse of xmlEscape). */
export function xmlUnescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '');
}
