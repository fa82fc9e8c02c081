import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config-schema.js';
import { liveSettings, flattenSettings, overlayAfterSave, overlayWithout } from '../../../agent/settings-overlay.js';
import { settingsSchema } from '../../../agent/kernel/shapes/settings.js';

const file = configSchema.parse({ offer: { coolDownSec: 120, notWhile: { processes: ['cs2.exe'] } }, placement: { ollama: { prefer: ['gaming-pc'] } } });

describe('settings overlay (issue 12)', () => {
  it('flattens to dotted keys; arrays are single keys; undefined is left out', () => {
    expect(flattenSettings({ offer: { coolDownSec: 30, windows: [{ from: '22:00', to: '07:00' }], timeZone: undefined }, placement: { ollama: { prefer: [] } } })).toEqual({
      'offer.coolDownSec': 30,
      'offer.windows': [{ from: '22:00', to: '07:00' }],
      'placement.ollama.prefer': [],
    });
  });

  it('a save keeps only the keys that differ from the file; saving the file value drops the key', () => {
    // The Setup page sends the whole offer (defaults filled by the schema), with one field changed.
    const change = settingsSchema.parse({ offer: { ...file.offer, vramReserveMb: 2048 } });
    const once = overlayAfterSave({}, file, change);
    expect(once).toEqual({ 'offer.vramReserveMb': 2048 });
    const back = overlayAfterSave(once, file, settingsSchema.parse({ offer: { ...file.offer, vramReserveMb: 0 } }));
    expect(back).toEqual({});
    // The form sends no windows as [], the file leaves them out: the same thing, not an override.
    expect(overlayAfterSave({}, file, settingsSchema.parse({ offer: { ...file.offer, windows: [] } }))).toEqual({});
    const url = overlayAfterSave(once, file, { services: { ollama: { url: 'http://10.0.0.5:11434' } } });
    expect(url).toEqual({ 'offer.vramReserveMb': 2048, 'services.ollama.url': 'http://10.0.0.5:11434' });
  });

  it('the file decides every key not in the overlay, also after the file changes', () => {
    const edited = configSchema.parse({ offer: { coolDownSec: 30 } });
    const live = liveSettings(edited, { 'offer.vramReserveMb': 2048, 'placement.ollama.prefer': ['hub'], 'services.ollama.url': 'http://10.0.0.5:11434', 'services.immichMl.url': 'http://10.0.0.6:3003' });
    expect(live.offer).toMatchObject({ coolDownSec: 30, vramReserveMb: 2048 });
    expect(live.placement.ollama.prefer).toEqual(['hub']);
    expect(live.services.ollama.url).toBe('http://10.0.0.5:11434');
    // Saved before the kinds registry under its old spelling: still Immich ML's.
    expect(live.services['immich-ml'].url).toBe('http://10.0.0.6:3003');
    // A key the schema has no place for is ignored, not written; the file is never changed.
    const other = liveSettings(edited, { 'offer.nope.deeper': 1, 'services.ollama.enabled': false });
    expect(other.offer).toEqual(edited.offer);
    expect(other.services.ollama).toEqual({ url: edited.services.ollama.url });
    expect(edited.offer.vramReserveMb).toBe(0);
  });

  it('reads older state files that kept whole objects', () => {
    expect(overlayAfterSave({ offer: { coolDownSec: 30 } }, file, {})).toEqual({ 'offer.coolDownSec': 30 });
  });

  it('reset drops the named keys and those under them; no key drops all', () => {
    const overlay = { 'offer.coolDownSec': 30, 'offer.notWhile.processes': ['x'], 'placement.ollama.prefer': ['hub'] };
    expect(overlayWithout(overlay, ['offer'])).toEqual({ overlay: { 'placement.ollama.prefer': ['hub'] }, dropped: ['offer.coolDownSec', 'offer.notWhile.processes'] });
    expect(overlayWithout(overlay, ['offer.notWhile.processes']).dropped).toEqual(['offer.notWhile.processes']);
    expect(overlayWithout(overlay, ['offer.cool']).dropped).toEqual([]);
    expect(overlayWithout(overlay, []).overlay).toEqual({});
  });
});
