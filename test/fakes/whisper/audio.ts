/**
 * What speaches' audio dependency (dependencies.py `audio_file_dependency`, speaches @ 870e1e16)
 * would make of an upload, without decoding it: `audio/pcm` and `audio/raw` parts are s16le mono at
 * 16 kHz (np.frombuffer: an odd byte count raises ValueError → 500 "Failed to decode audio."); other
 * parts go to PyAV, where zero bytes are a ValueError (400 "... likely empty") and data in no known
 * container is InvalidDataError (415 "... file type is not supported"). The fake recognises the
 * containers by their magic bytes (WAV, MP3/ID3, ADTS AAC, Ogg, FLAC, MP4/M4A, WebM/Matroska, AIFF,
 * CAF) and reads the length only from WAV headers and raw PCM; other files get the configured length.
 */
export type AudioProbe =
  | { kind: 'ok'; durationSec: number | undefined }
  | { kind: 'status'; status: number; detail: string };

const hasAscii = (b: Buffer, offset: number, text: string): boolean => b.length >= offset + text.length && b.toString('latin1', offset, offset + text.length) === text;

export function probeAudio(bytes: Uint8Array, contentType: string, acceptAnyBytes: boolean): AudioProbe {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (contentType === 'audio/pcm' || contentType === 'audio/raw') {
    if (buf.length % 2 !== 0) return { kind: 'status', status: 500, detail: 'Failed to decode audio.' };
    return { kind: 'ok', durationSec: buf.length / 2 / 16_000 };
  }
  if (buf.length === 0) return { kind: 'status', status: 400, detail: 'Failed to decode audio. The provided file is likely empty.' };
  const known =
    (hasAscii(buf, 0, 'RIFF') && hasAscii(buf, 8, 'WAVE')) ||
    hasAscii(buf, 0, 'ID3') ||
    (buf.length >= 2 && buf[0] === 0xff && ((buf[1] ?? 0) & 0xe0) === 0xe0) || // MPEG audio / ADTS frame sync
    hasAscii(buf, 0, 'OggS') ||
    hasAscii(buf, 0, 'fLaC') ||
    hasAscii(buf, 4, 'ftyp') ||
    (buf.length >= 4 && buf.readUInt32BE(0) === 0x1a45dfa3) || // EBML: WebM / Matroska
    (hasAscii(buf, 0, 'FORM') && (hasAscii(buf, 8, 'AIFF') || hasAscii(buf, 8, 'AIFC'))) ||
    hasAscii(buf, 0, 'caff');
  if (!known && !acceptAnyBytes) return { kind: 'status', status: 415, detail: 'Failed to decode audio. The provided file type is not supported.' };
  return { kind: 'ok', durationSec: wavDurationSec(bytes) };
}

/** The length of a PCM WAV file from its RIFF header (undefined when the header does not say). */
export function wavDurationSec(bytes: Uint8Array): number | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const data = offset + 8;
    if (id === 'fmt ' && data + 12 <= buf.length) byteRate = buf.readUInt32LE(data + 8);
    if (id === 'data') {
      if (byteRate === undefined || byteRate === 0) return undefined;
      // A streamed WAV may declare 0 or 0xFFFFFFFF; count what was sent instead.
      const dataBytes = size === 0 || data + size > buf.length ? buf.length - data : size;
      return Math.round((dataBytes / byteRate) * 1000) / 1000;
    }
    offset = data + size + (size % 2); // chunks are word-aligned (RIFF padding byte)
  }
  return undefined;
}

/** A 16 kHz mono 16-bit PCM WAV of silence, `seconds` long (for tests and demos). */
export function silentWav(seconds: number, sampleRate = 16_000): Buffer {
  const dataBytes = Math.round(seconds * sampleRate) * 2;
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'latin1');
  b.write('fmt ', 12, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(dataBytes, 40);
  return b;
}
