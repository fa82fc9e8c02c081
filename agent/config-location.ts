/**
 * One config location per OS that the service and every CLI command share (DESIGN.md §5, issue 16
 * "Two data dirs"): when neither --config nor INFERENCE_MESH_CONFIG names a file, the per-user
 * config file is used if it exists, else the machine's. The data dir that goes with the file is
 * the default for every command that reads the same file, so `key`, `offer`, `admin-token` and
 * `pin` find the key and credential of the installed service.
 *
 * - Linux: /etc/inference-mesh/config.json with data in /var/lib/inference-mesh (systemd's
 *   ConfigurationDirectory= and StateDirectory=, systemd.exec(5)); per user
 *   $XDG_CONFIG_HOME/inference-mesh/config.json (XDG Base Directory spec) with today's data dir.
 * - Windows: %ProgramData%\inference-mesh (per machine, Known Folders FOLDERID_ProgramData); per
 *   user %APPDATA%\inference-mesh\config.json with data in %LOCALAPPDATA%\inference-mesh.
 * - macOS: /Library/Application Support/inference-mesh; per user the same under ~/Library.
 */
import path from 'node:path';
import { defaultDataDir, type PlatformInfo } from './data-dir.js';

export const CONFIG_FILE_NAME = 'config.json';

export interface ConfigLocation {
  scope: 'system' | 'user';
  configFile: string;
  dataDir: string;
}

/** The machine-wide location: what `service install` (without --user) sets up. */
export function systemConfigLocation({ platform, env }: Pick<PlatformInfo, 'platform' | 'env'>): ConfigLocation {
  switch (platform) {
    case 'win32': {
      const dir = path.win32.join(env.ProgramData || 'C:\\ProgramData', 'inference-mesh');
      return { scope: 'system', configFile: path.win32.join(dir, CONFIG_FILE_NAME), dataDir: dir };
    }
    case 'darwin': {
      const dir = '/Library/Application Support/inference-mesh';
      return { scope: 'system', configFile: path.posix.join(dir, CONFIG_FILE_NAME), dataDir: dir };
    }
    default:
      return { scope: 'system', configFile: '/etc/inference-mesh/config.json', dataDir: '/var/lib/inference-mesh' };
  }
}

/** The per-user location (`--user` services and plain `inference-mesh start`). */
export function userConfigLocation(info: PlatformInfo): ConfigLocation {
  const dataDir = defaultDataDir(info);
  switch (info.platform) {
    case 'win32': {
      const base = info.env.APPDATA || path.win32.join(info.homeDir, 'AppData', 'Roaming');
      return { scope: 'user', configFile: path.win32.join(base, 'inference-mesh', CONFIG_FILE_NAME), dataDir };
    }
    case 'darwin':
      return { scope: 'user', configFile: path.posix.join(dataDir, CONFIG_FILE_NAME), dataDir };
    default: {
      // XDG says a relative $XDG_CONFIG_HOME is invalid and must be ignored.
      const xdg = info.env.XDG_CONFIG_HOME;
      const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(info.homeDir, '.config');
      return { scope: 'user', configFile: path.posix.join(base, 'inference-mesh', CONFIG_FILE_NAME), dataDir };
    }
  }
}

/**
 * The location whose config file exists, the user's first (the more specific one, as git reads
 * its config), or null: then the agent runs on defaults with the per-user data dir.
 */
export async function findConfigLocation(info: PlatformInfo, exists: (file: string) => Promise<boolean>): Promise<ConfigLocation | null> {
  for (const location of [userConfigLocation(info), systemConfigLocation(info)]) {
    if (await exists(location.configFile)) return location;
  }
  return null;
}
