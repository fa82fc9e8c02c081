/**
 * The Linux distribution and its release from os-release(5), read as a file. systeminformation's
 * osInfo() gets the same two values by running `cat` in a shell, and first runs `hostname -f`
 * with execSync, which blocks the whole agent for as long as the name takes to resolve (seconds
 * with a slow DNS) — on every machine of a mesh that starts after a power cut (issue 17).
 * The values follow systeminformation's rules, so an advert reads the same either way.
 */
import type { ProbeFs } from './gpu-sysfs.js';

/** os-release(5): /etc first, /usr/lib as the vendor fallback. */
export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'] as const;

export interface OsRelease {
  distro: string | null;
  release: string | null;
}

/**
 * Parses os-release's `KEY=value` lines (values may be quoted). `distro` is NAME; `release` is what
 * PRETTY_NAME says after the name (else VERSION, else VERSION_ID), without a "(codename)".
 *
 * @example
 * parseOsRelease('NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\nVERSION_ID="24.04"\n'); // { distro: 'Ubuntu', release: '24.04.1 LTS' }
 */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at <= 0 || line.trimStart().startsWith('#')) continue;
    fields.set(line.slice(0, at).trim().toUpperCase(), line.slice(at + 1).trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  const distro = fields.get('NAME') || null;
  const pretty = fields.get('PRETTY_NAME') ?? '';
  let release = distro && pretty.startsWith(`${distro} `) ? pretty.slice(distro.length + 1).trim() : (fields.get('VERSION') ?? '');
  release = release.split('(')[0]?.trim() ?? '';
  return { distro, release: release || fields.get('VERSION_ID') || null };
}

/** The first os-release file that can be read; nulls when none can. */
export async function readOsRelease(fs: ProbeFs): Promise<OsRelease> {
  for (const file of OS_RELEASE_FILES) {
    try {
      return parseOsRelease(await fs.readFile(file));
    } catch {
      // not there: the next one
    }
  }
  return { distro: null, release: null };
}
