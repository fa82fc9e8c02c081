/**
 * The length of an uploaded PCM WAV file from its RIFF header, so tests that send real WAV bytes see
 * a matching `duration`. Other files (mp3, opus, random bytes) get the fake's configured duration:
 * the fake does not decode audio.
 */
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
