import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config-schema.js';
import { createSettingsHolder, type LivePart } from '../../../agent/live-settings.js';
import { liveSettings } from '../../../agent/settings-overlay.js';
import { captureLog } from '../../helpers/capture-log.js';

const file = configSchema.parse({});

function holder() {
  const h = createSettingsHolder(liveSettings(file, {}), captureLog().log);
  const heard: [LivePart, unknown][] = [];
  for (const part of ['services', 'offer', 'placement'] as const) h.on(part, (v) => heard.push([part, v]));
  return { h, heard };
}

describe('the live settings holder (issue 13)', () => {
  it('tells each part only about its own changes, once, with the new value', () => {
    const { h, heard } = holder();
    expect(h.set(liveSettings(file, { 'offer.coolDownSec': 30 }))).toEqual(['offer']);
    expect(heard).toEqual([['offer', expect.objectContaining({ coolDownSec: 30 })]]);
    heard.length = 0;
    expect(h.set(liveSettings(file, { 'offer.coolDownSec': 30, 'placement.ollama.prefer': ['pc'], 'services.whisper.url': 'http://127.0.0.1:9000' }))).toEqual(['services', 'placement']);
    expect(heard.map(([p]) => p)).toEqual(['services', 'placement']);
    expect(h.current().services.whisper.url).toBe('http://127.0.0.1:9000');
  });

  it('the same settings again are no change: nobody is told', () => {
    const { h, heard } = holder();
    expect(h.set(liveSettings(file, {}))).toEqual([]);
    expect(heard).toEqual([]);
  });

  it('what it hands out is its own copy: a caller mutating its input changes nothing', () => {
    const { h } = holder();
    const next = liveSettings(file, { 'offer.coolDownSec': 60 });
    h.set(next);
    next.offer.coolDownSec = 1;
    expect(h.current().offer.coolDownSec).toBe(60);
  });

  it('an unsubscribed part hears nothing more; a failing listener does not stop the others', () => {
    const { log, lines } = captureLog();
    const h = createSettingsHolder(liveSettings(file, {}), log);
    const heard: string[] = [];
    const off = h.on('offer', () => heard.push('first'));
    h.on('offer', () => {
      throw new Error('boom');
    });
    h.on('offer', () => heard.push('third'));
    h.set(liveSettings(file, { 'offer.coolDownSec': 5 }));
    off();
    h.set(liveSettings(file, { 'offer.coolDownSec': 6 }));
    expect(heard).toEqual(['first', 'third', 'third']);
    expect(lines.some((l) => l.includes('settings listener failed'))).toBe(true);
  });
});
