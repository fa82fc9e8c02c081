/**
 * Words for history actions and request outcomes on the activity page; the client twin is
 * `actionRowHtml` in web/static/view-js.ts.
 */
import type { HistoryEntry } from '../../scheduler/history-schema.js';

export const ACTION_WORDS: Record<NonNullable<HistoryEntry['action']>, string> = {
  unload: 'unload models',
  'warm-up': 'warm up models',
  'pause-queues': 'pause Immich queues',
  'resume-queues': 'resume Immich queues',
  wake: 'wake (Wake-on-LAN)',
};

export const STATUS_WORDS: Record<HistoryEntry['status'], string> = {
  ok: 'done',
  failed: 'failed',
  retrying: 'retrying',
  'gave-up': 'gave up',
  info: 'info',
};
