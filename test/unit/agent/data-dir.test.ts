import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../../agent/data-dir.js';

describe('defaultDataDir', () => {
  it.each([
    ['linux', { XDG_STATE_HOME: '/var/xdg' }, '/home/ann', '/var/xdg/inference-mesh'],
    ['linux', {}, '/home/ann', '/home/ann/.local/state/inference-mesh'],
    // XDG: a relative path is invalid and ignored.
    ['linux', { XDG_STATE_HOME: 'relative/dir' }, '/home/ann', '/home/ann/.local/state/inference-mesh'],
    ['freebsd', {}, '/home/ann', '/home/ann/.local/state/inference-mesh'],
    ['win32', { LOCALAPPDATA: 'C:\\Users\\Ann\\AppData\\Local' }, 'C:\\Users\\Ann', 'C:\\Users\\Ann\\AppData\\Local\\inference-mesh'],
    ['win32', {}, 'C:\\Users\\Ann', 'C:\\Users\\Ann\\AppData\\Local\\inference-mesh'],
    ['darwin', {}, '/Users/ann', '/Users/ann/Library/Application Support/inference-mesh'],
  ] as const)('%s %j', (platform, env, homeDir, expected) => {
    expect(defaultDataDir({ platform, env, homeDir })).toBe(expected);
  });
});
