/**
 * docs/configuration.md, generated from the one zod schema (DESIGN.md §6.5) by way of its JSON
 * Schema (agent/config-json-schema.ts): every key path with its type, default, allowed values and
 * the `.describe()` text. Written by `npm run docs:config`; a unit test fails when the committed
 * file differs, so the reference cannot drift from the code.
 */
import { z } from 'zod';
import { configSchema } from './config-schema.js';

/** The subset of JSON Schema that `z.toJSONSchema` emits for the config schema. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
}

interface Row {
  path: string;
  type: string;
  default: string;
  allowed: string;
  description: string;
}

/** Regular expressions of the schema said in words; anything else is shown as the expression. */
const PATTERN_WORDS: Record<string, string> = {
  '^([01]\\d|2[0-3]):[0-5]\\d$': 'HH:MM, 00:00–23:59',
  '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$': 'HH:MM, 00:00–24:00',
  '^tag:[A-Za-z0-9-]+$': '`tag:` and a name of letters, digits, hyphens',
};

/**
 * Descriptions for keys whose schema lives in a file shared with other code and carries no
 * `.describe()` (the time window, scheduler/windows.ts). A `.describe()` on the key wins.
 */
const EXTRA_DESCRIPTIONS: Record<string, string> = {
  'offer.windows[].days': 'The days on which the window STARTS: a 22:00–07:00 window listed on `fri` ends Saturday morning.',
  'offer.windows[].from': 'Local start time, 24-hour.',
  'offer.windows[].to': 'Local end time, 24-hour; not later than `from` = the next day. `24:00` is the midnight that ends the day.',
};

/** zod puts the safe-integer limits on every `.int()`: not worth printing. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

const INTRO = `# Configuration reference

<!-- Generated from agent/config-schema.ts by \`npm run docs:config\`. Do not edit by hand. -->

The agent reads one JSON file, given with \`--config FILE\` or \`INFERENCE_MESH_CONFIG\`. Every key is
optional: a missing key takes its default, and a file with just \`{}\` is valid. Precedence is
**flags > environment > config file > defaults**. A bad file (invalid JSON, an unknown or misspelt
key, a wrong type, a value out of range) stops the agent before anything starts, lists every problem
as \`path: message\`, and exits with code 78.

Start the file with \`"$schema": "./docs/config.schema.json"\` (or the path where that file is) and
editors such as VS Code complete and check it as you type.

Overrides from the command line and the environment:

| key | flag | environment |
|---|---|---|
| (the file itself) | \`--config FILE\` | \`INFERENCE_MESH_CONFIG\` |
| \`dataDir\` | \`--data-dir DIR\` | \`INFERENCE_MESH_DATA_DIR\` |
| \`api.port\` | \`--port N\` | \`INFERENCE_MESH_PORT\` |
| \`mesh.key\` | \`--key KEY\` | \`INFERENCE_MESH_KEY\` |
| \`discovery.mdns.interfaces\` | \`--mdns-interface ADDR\` | |
| \`services.ollama.url\` | | \`OLLAMA_HOST\` (Ollama's own rules: \`:1234\` → \`http://127.0.0.1:1234\`) |
| \`services["immich-ml"].url\` | | \`IMMICH_MACHINE_LEARNING_URL\` |

The offer and the placement policy can also be changed in the web UI (Setup) or through
\`PUT /api/v1/settings\`; such changes are kept in the data directory and survive a restart.

In the tables: \`[]\` in a key stands for "each element of the list"; "—" means no default (the key
is left out, and its description says what that means).
`;

/**
 * The Markdown reference of agent.config.json: an introduction, then one section per top-level key
 * with a table of every key below it.
 * @example configReference().startsWith('# Configuration reference') === true
 */
export function configReference(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const sections: string[] = [INTRO];
  for (const [key, schema] of Object.entries(root.properties ?? {})) {
    if (key === '$schema') continue; // explained in the introduction
    const [first, ...rest] = collect(key, schema, isRequired(root, key));
    // The section's own description is printed above its table, not again in its first row.
    if (first && schema.description) first.description = '';
    sections.push(section(key, schema, first ? [first, ...rest] : rest));
  }
  return sections.join('\n');
}

function section(key: string, schema: JsonSchema, rows: Row[]): string {
  const lines = [`## \`${key}\``, ''];
  if (schema.description) lines.push(prose(schema.description), '');
  lines.push('| key | type | default | allowed | description |', '|---|---|---|---|---|');
  for (const r of rows) lines.push(`| \`${r.path}\` | ${r.type} | ${r.default} | ${r.allowed} | ${r.description} |`);
  lines.push('');
  return lines.join('\n');
}

/** One row for this key, then rows for the keys of an object and of a list's object elements. */
function collect(path: string, schema: JsonSchema, required: boolean): Row[] {
  const rows: Row[] = [row(path, schema, required)];
  if (schema.properties) rows.push(...children(path, schema));
  const items = schema.items;
  if (schema.type === 'array' && items?.properties) rows.push(...children(`${path}[]`, items));
  return rows;
}

function children(path: string, schema: JsonSchema): Row[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => collect(`${path}.${key}`, child, isRequired(schema, key)));
}

function isRequired(parent: JsonSchema, key: string): boolean {
  return parent.required?.includes(key) ?? false;
}

function row(path: string, schema: JsonSchema, required: boolean): Row {
  return {
    path,
    type: `${typeOf(schema)}${required ? ' (required)' : ''}`,
    default: defaultOf(schema),
    allowed: cell(allowedOf(schema)),
    description: cell(prose(schema.description ?? EXTRA_DESCRIPTIONS[path] ?? '')),
  };
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return 'string';
  switch (schema.type) {
    case 'array':
      return schema.items ? `list of ${plural(typeOf(schema.items))}` : 'list';
    case 'object':
      if (schema.properties) return 'object';
      if (typeof schema.additionalProperties === 'object') return `map of string → ${typeOf(schema.additionalProperties)}`;
      return 'object';
    case 'string':
      if (schema.format === 'uri') return 'URL';
      if (schema.format === 'ipv4') return 'IPv4 address';
      return 'string';
    case undefined:
      return 'any';
    default:
      return schema.type;
  }
}

function plural(type: string): string {
  if (type === 'IPv4 address') return 'IPv4 addresses';
  if (type.includes(' ')) return type;
  return `${type}s`;
}

function defaultOf(schema: JsonSchema): string {
  if (!('default' in schema)) return '—';
  const value = schema.default;
  // Objects with a default of {} are groups: their keys carry the defaults.
  if (schema.properties && value !== null && typeof value === 'object' && Object.keys(value).length === 0) return '';
  return cell(`\`${JSON.stringify(value)}\``);
}

function allowedOf(schema: JsonSchema): string {
  if (schema.anyOf) {
    return schema.anyOf
      .map((s) => (s.type === 'null' ? 'null' : allowedOf(s)))
      .filter((s) => s !== '' && s !== 'null')
      .join('; ');
  }
  const parts: string[] = [];
  if (schema.enum) parts.push(schema.enum.map((v) => `\`${String(v)}\``).join(', '));
  const range = rangeOf(schema.minimum, schema.maximum);
  if (range) parts.push(range);
  if (schema.minLength === 1 && schema.maxLength === undefined) parts.push('not empty');
  else if (schema.minLength !== undefined || schema.maxLength !== undefined) parts.push(`${rangeOf(schema.minLength, schema.maxLength)} characters`);
  if (schema.minItems === 1 && schema.maxItems === undefined) parts.push('at least one');
  else if (schema.minItems !== undefined || schema.maxItems !== undefined) parts.push(`${rangeOf(schema.minItems, schema.maxItems)} items`);
  if (schema.pattern && schema.format !== 'ipv4') parts.push(PATTERN_WORDS[schema.pattern] ?? `matches \`${schema.pattern}\``);
  if (schema.format === 'uri') parts.push('http:// or https://');
  if (schema.type === 'array' && schema.items) {
    const inner = allowedOf(schema.items);
    if (inner) parts.push(`each: ${inner}`);
  }
  if (typeof schema.additionalProperties === 'object') {
    const inner = allowedOf(schema.additionalProperties);
    if (inner) parts.push(`each value: ${inner}`);
  }
  return parts.join('; ');
}

function rangeOf(min: number | undefined, max: number | undefined): string {
  const lo = min === undefined || min <= -NO_LIMIT ? undefined : min;
  const hi = max === undefined || max >= NO_LIMIT ? undefined : max;
  if (lo !== undefined && hi !== undefined) return `${lo}–${hi}`;
  if (lo !== undefined) return `≥ ${lo}`;
  if (hi !== undefined) return `≤ ${hi}`;
  return '';
}

/**
 * Description text as Markdown: outside `code spans`, the characters Markdown would read as
 * emphasis or HTML (`placement.*.prefer`, `_inference-mesh._tcp`, `<apiKey>`) are escaped.
 */
function prose(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[*_<>\\]/g, (c) => `\\${c}`)))
    .join('`');
}

/** A Markdown table cell: no line breaks, and a `|` would end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}
