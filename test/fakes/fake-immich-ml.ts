/**
 * A faithful fake of the Immich machine-learning service (FastAPI under uvicorn) for tests and
 * demos, built from PROTOCOLS.md §2 and checked against immich_ml/main.py at v3.1.0:
 * GET / → {"message":"Immich ML"}, GET /ping → "pong", POST /predict (multipart: entries + image
 * or text) with embeddings serialised as strings and FastAPI-style {"detail": ...} errors.
 *
 * @example
 *   const ml = createFakeImmichMl({ delayMs: 50 });
 *   await ml.start();
 *   // point Immich (or the proxy under test) at ml.url
 *   await ml.stop();
 */
import { withServerHandle } from './shared/server-handle.js';
import type { OutgoingHttpHeaders } from 'node:http';
import { createCallLog } from './shared/call-log.js';
import { createHttpHarness } from './shared/http-harness.js';
import type { Exchange } from './shared/http-harness.js';
import { createTimerSet } from './shared/timers.js';
import { readImageSize } from './immich-ml/image-size.js';
import { parseEntries, runInference } from './immich-ml/predict.js';
import type { PredictInput } from './immich-ml/predict.js';
import type { FakeImmichMlFault, FakeImmichMlOptions, ImmichMlCall } from './immich-ml/types.js';

export type { FakeImmichMlFault, FakeImmichMlOptions, ImmichMlCall, PredictTask } from './immich-ml/types.js';

export interface FakeImmichMl {
  start(): Promise<void>;
  /** Closes the server and destroys open connections (hung predicts included); idempotent. */
  stop(): Promise<void>;
  /** `http://127.0.0.1:PORT`; throws before the first start(). */
  readonly url: string;
  readonly port: number;
  /** Every request in arrival order; /predict calls carry tasks, input kind and image part details. */
  readonly calls: ImmichMlCall[];
  waitForCall(predicate: (call: ImmichMlCall) => boolean, timeoutMs?: number): Promise<ImmichMlCall>;
  clearCalls(): void;
  setDelayMs(delayMs: number): void;
  setHang(hang: boolean): void;
  /** Queues a one-shot fault for the next /predict. */
  failNext(fault: FakeImmichMlFault): void;
  /** Timers still armed by the fake (0 after stop()). */
  readonly pendingTimers: number;
}

type MlExchange = Exchange<ImmichMlCall>;

/** uvicorn adds `server: uvicorn`; JSONResponse/ORJSONResponse use "application/json". */
function send(ex: MlExchange, status: number, headers: OutgoingHttpHeaders, body: string): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  ex.res.writeHead(status, { server: 'uvicorn', ...headers, 'content-length': Buffer.byteLength(body) });
  ex.res.end(body);
}
const sendJson = (ex: MlExchange, status: number, value: unknown): void =>
  send(ex, status, { 'content-type': 'application/json' }, JSON.stringify(value));
const sendText = (ex: MlExchange, status: number, text: string): void =>
  send(ex, status, { 'content-type': 'text/plain; charset=utf-8' }, text);
/** An exception FastAPI does not handle: Starlette's ServerErrorMiddleware plain 500. */
const sendInternal = (ex: MlExchange): void => sendText(ex, 500, 'Internal Server Error');

const ROUTES: Record<string, string> = { '/': 'GET', '/ping': 'GET', '/predict': 'POST' };

/** Starlette's form parsing; a non-form content type yields an empty form (→ 422 missing entries). */
async function parseForm(ex: MlExchange): Promise<FormData | undefined> {
  const contentType = ex.req.headers['content-type'] ?? '';
  const media = contentType.split(';')[0]?.trim().toLowerCase();
  if (media !== 'multipart/form-data' && media !== 'application/x-www-form-urlencoded') return new FormData();
  try {
    return await new Request('http://fake-immich-ml/predict', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(ex.body) }).formData();
  } catch {
    return undefined;
  }
}

/** FastAPI treats an empty string in a Form/File field as "not sent". */
function formValue(form: FormData, name: string): FormDataEntryValue | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

export function createFakeImmichMl(opts: FakeImmichMlOptions = {}): FakeImmichMl {
  const timers = createTimerSet();
  const log = createCallLog<ImmichMlCall>();
  const faults: FakeImmichMlFault[] = [];
  let delayMs = opts.delayMs ?? 0;
  let hang = opts.hang ?? false;
  const config = { clipDims: opts.clipDims ?? 512, faces: opts.faces ?? 1, ocrTexts: opts.ocrTexts ?? ['HELLO'] };
  const fallbackSize = opts.fallbackImageSize ?? { width: 1080, height: 1440 };
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.|::1$|localhost$)/.test(host)) throw new Error(`fake-immich-ml listens on loopback only, not ${host}`);

  async function predict(ex: MlExchange): Promise<void> {
    const { call } = ex;
    const form = await parseForm(ex);
    if (ex.signal.aborted) return;
    if (form === undefined) {
      sendJson(ex, 400, { detail: 'There was an error parsing the body' });
      return;
    }
    const entriesValue = formValue(form, 'entries');
    const entriesText = entriesValue instanceof File ? await entriesValue.text() : entriesValue;
    const imageValue = formValue(form, 'image');
    const textValue = formValue(form, 'text');
    const parsed = entriesText === undefined ? undefined : parseEntries(entriesText);
    if (entriesText !== undefined) call.entries = entriesText;
    call.tasks = parsed?.tasks ?? [];
    if (imageValue instanceof File) call.image = { bytes: imageValue.size, filename: imageValue.name, contentType: imageValue.type || undefined };
    else if (imageValue !== undefined) call.image = { bytes: Buffer.byteLength(imageValue), filename: undefined, contentType: undefined };
    if (typeof textValue === 'string') call.text = textValue;
    if (imageValue !== undefined) call.input = 'image';
    else if (textValue !== undefined) call.input = 'text';
    log.changed();

    const fault = faults.shift();
    if (hang || fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      ex.req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      sendJson(ex, fault.status, { detail: fault.detail });
      return;
    }
    if (fault?.kind === 'internal') {
      sendInternal(ex);
      return;
    }

    if (parsed === undefined) {
      sendJson(ex, 422, { detail: [{ type: 'missing', loc: ['body', 'entries'], msg: 'Field required', input: null }] });
      return;
    }
    if (parsed.kind === 'invalid') {
      sendJson(ex, 422, { detail: 'Invalid request format.' });
      return;
    }
    if (parsed.kind === 'internal') {
      sendInternal(ex);
      return;
    }
    let input: PredictInput;
    if (imageValue !== undefined) {
      const bytes = imageValue instanceof File ? Buffer.from(await imageValue.arrayBuffer()) : Buffer.from(imageValue);
      if (bytes.length === 0) {
        sendInternal(ex); // PIL cannot identify an empty file
        return;
      }
      const size = readImageSize(bytes) ?? fallbackSize;
      if (size.width === 0 || size.height === 0) {
        sendJson(ex, 400, { detail: 'Image has zero width or height' });
        return;
      }
      input = { kind: 'image', bytes, size };
    } else if (typeof textValue === 'string') {
      input = { kind: 'text', text: textValue };
    } else {
      sendJson(ex, 400, { detail: 'Either image or text must be provided' });
      return;
    }

    const answer = (): void => {
      const result = runInference(parsed, input, config);
      if (result.kind === 'ok') sendJson(ex, 200, result.body);
      else if (result.kind === 'error') sendJson(ex, result.status, { detail: result.detail });
      else sendInternal(ex);
    };
    if (delayMs <= 0) {
      answer();
      return;
    }
    const cancel = timers.after(delayMs, answer);
    ex.signal.addEventListener('abort', cancel, { once: true });
  }

  const harness = createHttpHarness<ImmichMlCall>({
    name: 'fake-immich-ml',
    host,
    port: opts.port ?? 0,
    // MACHINE_LEARNING_HTTP_KEEPALIVE_TIMEOUT_S defaults to 2 (PROTOCOLS.md §2.1).
    keepAliveTimeoutMs: 2_000,
    log,
    makeCall(base, body) {
      return { ...base, contentType: base.headers['content-type'], bodyBytes: body.length, tasks: [] };
    },
    async handle(ex) {
      const { path, method } = ex.call;
      const allowed = ROUTES[path];
      if (allowed === undefined) {
        const trimmed = path.endsWith('/') && path !== '/' ? path.slice(0, -1) : undefined;
        if (trimmed !== undefined && ROUTES[trimmed] !== undefined) {
          // Starlette redirect_slashes: 307 to the absolute URL without the slash.
          const location = `http://${ex.req.headers.host ?? host}${trimmed}${ex.call.url.slice(path.length)}`;
          send(ex, 307, { location }, '');
          return;
        }
        sendJson(ex, 404, { detail: 'Not Found' });
        return;
      }
      if (method !== allowed) {
        send(ex, 405, { allow: allowed, 'content-type': 'application/json' }, JSON.stringify({ detail: 'Method Not Allowed' }));
        return;
      }
      if (path === '/') sendJson(ex, 200, { message: 'Immich ML' });
      else if (path === '/ping') sendText(ex, 200, 'pong');
      else await predict(ex);
    },
    onStop() {
      timers.clearAll();
    },
  });

  return withServerHandle(harness, log, {
    setDelayMs(ms) {
      delayMs = ms;
    },
    setHang(value) {
      hang = value;
    },
    failNext(fault) {
      faults.push(fault);
    },
    get pendingTimers() {
      return timers.size;
    },
  });
}
