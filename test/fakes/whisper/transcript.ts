/**
 * What the fake "hears" and how speaches writes it out, for each response_format.
 * Source: speaches-ai/speaches @ 870e1e16 src/speaches/executors/whisper.py
 * (segments_to_transcription_response, segments_to_translation_response,
 * handle_streaming_transcription_request) and src/speaches/text_utils.py (format_as_srt,
 * format_as_vtt, format_as_sse); field order is the pydantic model order in openai-python
 * src/openai/types/audio/*.py, which speaches serialises with model_dump_json (nulls included).
 */
import type { WhisperTask } from './types.js';

export interface Segment {
  id: number;
  seek: number;
  start: number;
  end: number;
  /** faster-whisper segment text starts with a space; the joined text is stripped. */
  text: string;
  tokens: number[];
}

export interface Transcript {
  task: WhisperTask;
  language: string;
  durationSec: number;
  segments: Segment[];
  /** Word timestamps were asked for (`timestamp_granularities[]` contains `word`). */
  words: boolean;
}

export type ResponseFormat = 'json' | 'verbose_json' | 'text' | 'srt' | 'vtt';
export const RESPONSE_FORMATS: readonly ResponseFormat[] = ['text', 'json', 'verbose_json', 'srt', 'vtt'];

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** One segment per sentence, the audio's duration spread over them in proportion to their length. */
export function makeSegments(text: string, durationSec: number): Segment[] {
  const sentences = text.match(/[^.!?]+[.!?]*/g)?.map((s) => s.trim()).filter((s) => s !== '') ?? [];
  const total = sentences.reduce((sum, s) => sum + s.length, 0) || 1;
  let at = 0;
  return sentences.map((sentence, id) => {
    const start = round2((at / total) * durationSec);
    at += sentence.length;
    const end = round2((at / total) * durationSec);
    // Token ids are opaque to clients; Whisper's text tokens start at 50365 after the specials.
    const tokens = sentence.split(/\s+/).map((_, i) => 50365 + id * 100 + i);
    return { id, seek: 0, start, end, text: ` ${sentence}`, tokens };
  });
}

/** segments_to_text: "".join(segment.text).strip(). */
export const joinedText = (segments: readonly Segment[]): string => segments.map((s) => s.text).join('').trim();

function clock(ts: number, fractionSep: ',' | '.'): string {
  const hours = Math.floor(ts / 3600);
  const minutes = Math.floor((ts % 3600) / 60);
  const seconds = Math.floor(ts % 60);
  const ms = Math.floor((ts * 1000) % 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${fractionSep}${pad(ms, 3)}`;
}

/** format_as_srt: a 1-based counter, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, the raw segment text, a blank line. */
export const toSrt = (segments: readonly Segment[]): string =>
  segments.map((s, i) => `${i + 1}\n${clock(s.start, ',')} --> ${clock(s.end, ',')}\n${s.text}\n\n`).join('');

/** format_as_vtt: `WEBVTT` header before the first cue, whose start is forced to 0. */
export const toVtt = (segments: readonly Segment[]): string =>
  segments
    .map((s, i) => {
      const cue = `${clock(i > 0 ? s.start : 0, '.')} --> ${clock(s.end, '.')}\n${s.text}\n\n`;
      return i === 0 ? `WEBVTT\n\n${cue}` : cue;
    })
    .join('');

/** openai.types.audio.TranscriptionSegment field order; temperature is `segment.temperature or 0`. */
function segmentJson(s: Segment, temperature: number): Record<string, unknown> {
  return {
    id: s.id,
    avg_logprob: -0.25,
    compression_ratio: 1.2,
    end: s.end,
    no_speech_prob: 0.01,
    seek: s.seek,
    start: s.start,
    temperature,
    text: s.text,
    tokens: s.tokens,
  };
}

function wordsJson(segments: readonly Segment[]): { start: number; end: number; word: string }[] {
  return segments.flatMap((s) => {
    const words = s.text.trim().split(/\s+/);
    const step = (s.end - s.start) / words.length;
    return words.map((w, i) => ({ start: round2(s.start + i * step), end: round2(s.start + (i + 1) * step), word: ` ${w}` }));
  });
}

export interface Rendered {
  contentType: string;
  body: string;
}

/**
 * The non-streaming answer. Starlette's Response adds `; charset=utf-8` to text/* media types;
 * speaches answers srt as text/plain (not application/x-subrip) and vtt as text/vtt.
 */
export function render(t: Transcript, format: ResponseFormat, temperature: number): Rendered {
  const text = joinedText(t.segments);
  switch (format) {
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: text };
    case 'srt':
      return { contentType: 'text/plain; charset=utf-8', body: toSrt(t.segments) };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: toVtt(t.segments) };
    case 'json':
      // openai Transcription has text, logprobs, usage; Translation only text.
      return { contentType: 'application/json', body: JSON.stringify(t.task === 'transcribe' ? { text, logprobs: null, usage: null } : { text }) };
    case 'verbose_json': {
      const base = { duration: t.durationSec, language: t.language, text, segments: t.segments.map((s) => segmentJson(s, temperature)) };
      // TranscriptionVerbose adds usage and words; TranslationVerbose has neither. There is no `task`
      // field: OpenAI's own API sends one, speaches (through openai-python's model) does not.
      const body = t.task === 'transcribe' ? { ...base, usage: null, words: t.words ? wordsJson(t.segments) : null } : base;
      return { contentType: 'application/json', body: JSON.stringify(body) };
    }
  }
}

/**
 * handle_streaming_transcription_request: one delta per segment, then done; no `[DONE]` line.
 * The done event's text is `"".join(segment.text for segment in segments)` over the generator the
 * deltas already consumed, so speaches sends `""` there (read in the source, not run); we do too.
 */
export function sseEvents(t: Transcript): string[] {
  const deltas = t.segments.map((s) => JSON.stringify({ delta: s.text, type: 'transcript.text.delta', logprobs: null }));
  const done = JSON.stringify({ text: '', type: 'transcript.text.done', logprobs: null, usage: null });
  return [...deltas, done].map((data) => `data: ${data}\n\n`);
}
