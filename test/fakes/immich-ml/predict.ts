/**
 * /predict semantics of immich_ml/main.py (v3.1.0): get_entries turns the `entries` JSON into
 * inference entries with Python's failure modes (JSON/Key/Attribute errors → 422 "Invalid request
 * format."; other exceptions → plain 500), run_inference runs entries without dependencies first,
 * and each task writes response[task] (so face recognition replaces face detection's output).
 * Output shapes follow PROTOCOLS.md §2.3; embeddings are JSON arrays serialised into strings.
 */
import { float32ish, unitVector } from '../shared/vectors.js';
import type { ImageSize } from './image-size.js';
import { dependencyRepr, dependsOn, modelKind } from './models.js';
import type { ModelKind } from './models.js';
import type { PredictTask } from './types.js';

interface Entry {
  name: string;
  task: string;
  kind: ModelKind;
  options: Record<string, unknown>;
}

export type EntriesResult =
  | { kind: 'ok'; withoutDeps: Entry[]; withDeps: Entry[]; tasks: PredictTask[] }
  | { kind: 'invalid'; tasks: PredictTask[] }
  | { kind: 'internal'; tasks: PredictTask[] };

const isDict = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function parseEntries(raw: string): EntriesResult {
  const tasks: PredictTask[] = [];
  let request: unknown;
  try {
    request = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', tasks };
  }
  if (!isDict(request)) return { kind: 'invalid', tasks }; // .items() → AttributeError
  const withoutDeps: Entry[] = [];
  const withDeps: Entry[] = [];
  for (const [task, types] of Object.entries(request)) {
    if (!isDict(types)) return { kind: 'invalid', tasks };
    for (const [type, entry] of Object.entries(types)) {
      // entry["modelName"] on a list/str/None/number is a TypeError (uncaught → 500);
      // on a dict without the key a KeyError (→ 422).
      if (!isDict(entry)) return { kind: 'internal', tasks };
      const options = entry['options'] ?? {};
      tasks.push({ task, type, modelName: entry['modelName'], options });
      if (!('modelName' in entry)) return { kind: 'invalid', tasks };
      const name = entry['modelName'];
      if (typeof name !== 'string') return { kind: 'invalid', tasks }; // clean_name: no .split → AttributeError
      const kind = modelKind(name, type, task);
      if (kind === undefined) return { kind: 'internal', tasks }; // ValueError: Unknown model combination
      const parsed: Entry = { name, task, kind, options: isDict(options) ? options : {} };
      (dependsOn(kind) ? withDeps : withoutDeps).push(parsed);
    }
  }
  return { kind: 'ok', withoutDeps, withDeps, tasks };
}

export type PredictInput = { kind: 'image'; bytes: Buffer; size: ImageSize } | { kind: 'text'; text: string };

export interface InferenceConfig {
  clipDims: number;
  faces: number;
  ocrTexts: readonly string[];
}

export type InferenceResult =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'error'; status: number; detail: string }
  | { kind: 'internal' };

/** serialize_np_array: orjson.dumps(array).decode(). */
function serialize(values: number[]): string {
  return `[${values.join(',')}]`;
}

interface Face {
  box: [number, number, number, number];
  score: number;
  landmarks: [number, number][];
}

function detectFaces(size: ImageSize, count: number, minScore: number): Face[] {
  const faces: Face[] = [];
  for (let i = 0; i < count; i++) {
    const w = size.width / Math.max(3, count + 1);
    const x1 = Math.round(w * (i + 0.5));
    const y1 = Math.round(size.height * 0.2);
    const box: Face['box'] = [x1, y1, Math.round(x1 + w * 0.8), Math.round(y1 + size.height * 0.3)];
    const score = float32ish(0.92 - i * 0.07);
    const landmarks: [number, number][] = [[0.3, 0.4], [0.7, 0.4], [0.5, 0.55], [0.35, 0.75], [0.65, 0.75]].map(
      ([fx = 0, fy = 0]) => [float32ish(box[0] + (box[2] - box[0]) * fx), float32ish(box[1] + (box[3] - box[1]) * fy)],
    );
    if (score >= minScore) faces.push({ box, score, landmarks });
  }
  return faces;
}

function ocrBoxes(size: ImageSize, count: number): number[][][] {
  return Array.from({ length: count }, (_, i) => {
    const y = size.height * (0.2 + 0.1 * i);
    const x1 = size.width * 0.1;
    const x2 = size.width * 0.45;
    const y2 = y + size.height * 0.06;
    return [[x1, y], [x2, y], [x2, y2], [x1, y2]].map(([x = 0, yy = 0]) => [float32ish(x), float32ish(yy)]);
  });
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

type Failure = Exclude<InferenceResult, { kind: 'ok' }>;

/** Checks that run before a model predicts: input kind and the dependency's output. */
function precondition(entry: Entry, input: PredictInput, outputs: Map<ModelKind, unknown>): Failure | undefined {
  const needsImage = entry.kind !== 'clip-textual';
  // A textual model given an image (or the reverse) fails inside predict: an unhandled exception.
  if (needsImage !== (input.kind === 'image')) return { kind: 'internal' };
  const dep = dependsOn(entry.kind);
  if (dep !== undefined && !outputs.has(dep)) {
    const type = entry.kind.split('-')[1] ?? '';
    return { kind: 'error', status: 400, detail: `Task ${entry.task} of type ${type} depends on output of ${dependencyRepr(dep)}` };
  }
  return undefined;
}

function predict(entry: Entry, input: PredictInput, outputs: Map<ModelKind, unknown>, cfg: InferenceConfig): unknown {
  const seed = input.kind === 'image' ? Buffer.concat([Buffer.from(`${entry.name}\n`), input.bytes]) : `${entry.name}\n${input.text}`;
  const size = input.kind === 'image' ? input.size : { width: 0, height: 0 };
  switch (entry.kind) {
    case 'clip-visual':
    case 'clip-textual':
      return serialize(unitVector(seed, cfg.clipDims));
    case 'face-detection': {
      const faces = detectFaces(size, cfg.faces, num(entry.options['minScore'], 0.7));
      return { boxes: faces.map((f) => f.box), scores: faces.map((f) => f.score), landmarks: faces.map((f) => f.landmarks) };
    }
    case 'face-recognition': {
      const det = outputs.get('face-detection') as { boxes: Face['box'][]; scores: number[] };
      return det.boxes.map(([x1, y1, x2, y2], i) => ({
        boundingBox: { x1, y1, x2, y2 },
        embedding: serialize(unitVector(Buffer.concat([Buffer.from(`face${i}\n`), Buffer.from(seed)]), 512)),
        score: det.scores[i] ?? 0,
      }));
    }
    case 'ocr-detection': {
      const boxes = ocrBoxes(size, cfg.ocrTexts.length);
      return { boxes, scores: boxes.map((_, i) => float32ish(0.93 - i * 0.02)) };
    }
    case 'ocr-recognition': {
      const det = outputs.get('ocr-detection') as { boxes: number[][][]; scores: number[] };
      const minScore = num(entry.options['minScore'], 0.9);
      const kept = det.boxes
        .map((box, i) => ({ box, boxScore: det.scores[i] ?? 0, text: cfg.ocrTexts[i] ?? '', textScore: float32ish(0.98 - i * 0.01) }))
        .filter((t) => t.textScore > minScore);
      return {
        // Corner points normalised by the image width/height, 8 numbers per text.
        box: kept.flatMap((t) => t.box.flatMap(([x = 0, y = 0]) => [float32ish(x / size.width), float32ish(y / size.height)])),
        text: kept.map((t) => t.text),
        boxScore: kept.map((t) => t.boxScore),
        textScore: kept.map((t) => t.textScore),
      };
    }
  }
}

export function runInference(entries: Extract<EntriesResult, { kind: 'ok' }>, input: PredictInput, cfg: InferenceConfig): InferenceResult {
  const outputs = new Map<ModelKind, unknown>();
  const body: Record<string, unknown> = {};
  for (const group of [entries.withoutDeps, entries.withDeps]) {
    for (const entry of group) {
      const failure = precondition(entry, input, outputs);
      if (failure !== undefined) return failure;
      const output = predict(entry, input, outputs, cfg);
      outputs.set(entry.kind, output);
      body[entry.task] = output;
    }
  }
  if (input.kind === 'image') {
    body['imageHeight'] = input.size.height;
    body['imageWidth'] = input.size.width;
  }
  return { kind: 'ok', body };
}
