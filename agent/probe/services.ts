/**
 * The probe of each service kind (issue 13): one entry per kind, so a kind without a probe is a
 * compile error. Each answers up/down with a reason, and the models where the kind has them.
 */
import type { KindId } from '../kernel/kinds.js';
import type { ServiceProbe } from '../kernel/shapes/facts.js';
import { probeImmichMl } from './immich-ml.js';
import { probeOllama } from './ollama.js';
import { probeWhisper } from './whisper.js';


export const SERVICE_PROBES: Readonly<Record<KindId, ServiceProbe>> = {
  ollama: probeOllama,
  'immich-ml': probeImmichMl,
  whisper: probeWhisper,
};
