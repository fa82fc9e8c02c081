/**
 * How Ollama's Go server prints things: encoding/json output, time.Time, durations, decode errors.
 * The point is byte-level fidelity where a client or proxy could notice (PROTOCOLS.md §1.3, §1.6, §1.9).
 */
import type { KeepAlive } from './types.js';

/** encoding/json escapes <, > and & (HTMLEscape) and U+2028/U+2029; JSON.stringify does not. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Go's %q for plain names: double quotes with JSON-like escapes. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** time.Time marshalled as RFC3339Nano: trailing zeros of the fraction trimmed, Z or ±hh:mm. */
export function formatGoTime(epochMs: number, zone: 'utc' | 'local'): string {
  const offsetMin = zone === 'utc' ? 0 : -new Date(epochMs).getTimezoneOffset();
  const shifted = new Date(epochMs + offsetMin * 60_000);
  const iso = shifted.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ in the shifted zone
  const [whole = '', fraction = ''] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  const stamp = trimmed === '' ? whole : `${whole}.${trimmed}`;
  if (offsetMin === 0) return `${stamp}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${stamp}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Unix seconds of a Go time, as OpenAI's `created` (time.Unix()). */
export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** time.ParseDuration, returning milliseconds, with Go's error texts. */
export function parseGoDuration(input: string): number {
  const quoted = `"${input}"`;
  let rest = input;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let totalMs = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const intPart = number?.[1] ?? '';
    const fracPart = number?.[2] ?? '';
    if (number === null || (intPart === '' && fracPart === '')) throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const factor = UNIT_MS[unit];
    if (factor === undefined) throw new Error(`time: unknown unit "${unit}" in duration ${quoted}`);
    totalMs += Number(`${intPart || '0'}.${fracPart || '0'}`) * factor;
    rest = rest.slice(unit.length);
  }
  return negative ? -totalMs : totalMs;
}

/** reflect.TypeOf(v) of a value decoded into `any`, as Duration.UnmarshalJSON prints it. */
function goAnyTypeName(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
}

/**
 * api.Duration.UnmarshalJSON (PROTOCOLS.md §1.6): a number is seconds, a string is a Go duration,
 * any negative value means "forever" (Infinity here); a bare numeric string like "10" is an error.
 */
export function parseKeepAlive(value: unknown): KeepAlive {
  if (value === undefined || value === null) return { kind: 'absent' };
  if (typeof value === 'number') return { kind: 'ms', ms: value < 0 ? Infinity : value * 1000 };
  if (typeof value === 'string') {
    const ms = parseGoDuration(value);
    return { kind: 'ms', ms: ms < 0 ? Infinity : ms };
  }
  throw new Error(`Unsupported type: '${goAnyTypeName(value)}'`);
}

/**
 * Parses a request body the way gin's ShouldBindJSON does: empty → io.EOF ("missing request body"
 * in handlers, "EOF" in the OpenAI middleware); syntax errors become a Go-like message
 * (the wording is approximated from JSON.parse's position, PROTOCOLS.md §1.9).
 */
export type DecodedBody = { kind: 'empty' } | { kind: 'invalid'; message: string } | { kind: 'ok'; value: unknown };

export function decodeJsonBody(raw: string): DecodedBody {
  if (raw.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'ok', value: JSON.parse(raw) as unknown };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (/end of JSON input|Unterminated/i.test(text)) return { kind: 'invalid', message: 'unexpected EOF' };
    const position = /position (\d+)/.exec(text);
    const index = position?.[1] !== undefined ? Number(position[1]) : raw.search(/\S/);
    const ch = raw.charAt(index) || raw.trim().charAt(0);
    return { kind: 'invalid', message: `invalid character '${ch}' looking for beginning of value` };
  }
}

/** JSON kind names used in encoding/json's UnmarshalTypeError ("cannot unmarshal X into ..."). */
function jsonKind(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/**
 * Reads one field of a decoded Go struct. Go matches keys case-insensitively (exact match
 * preferred) and treats null as "leave the zero value". A wrong JSON type throws Go's message.
 */
export class GoStruct {
  constructor(
    private readonly value: unknown,
    private readonly pkg: 'api' | 'openai',
    private readonly structName: string,
  ) {}

  /** The body was not a JSON object at all. */
  shapeError(): string | undefined {
    if (this.value !== null && typeof this.value === 'object' && !Array.isArray(this.value)) return undefined;
    return `json: cannot unmarshal ${jsonKind(this.value)} into Go value of type ${this.pkg}.${this.structName}`;
  }

  raw(field: string): unknown {
    if (this.value === null || typeof this.value !== 'object' || Array.isArray(this.value)) return undefined;
    const record = this.value as Record<string, unknown>;
    if (field in record) return record[field] ?? undefined;
    const key = Object.keys(record).find((k) => k.toLowerCase() === field.toLowerCase());
    return key === undefined ? undefined : (record[key] ?? undefined);
  }

  string(field: string): string {
    const v = this.raw(field);
    if (v === undefined) return '';
    if (typeof v !== 'string') throw this.typeError(field, v, 'string');
    return v;
  }

  bool(field: string): boolean | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.typeError(field, v, 'bool');
    return v;
  }

  array(field: string, goType: string): unknown[] | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw this.typeError(field, v, goType);
    return v as unknown[];
  }

  object(field: string, goType: string): Record<string, unknown> | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.typeError(field, v, goType);
    return v as Record<string, unknown>;
  }

  private typeError(field: string, value: unknown, goType: string): Error {
    return new Error(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${this.structName}.${field} of type ${goType}`);
  }
}
