import path from 'node:path';

export interface PlatformInfo {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

/**
 * The per-user state directory each OS expects (XDG Base Directory spec on Linux; Known Folders
 * LocalAppData on Windows; Apple's File System Programming Guide on macOS).
 */
export function defaultDataDir({ platform, env, homeDir }: PlatformInfo): string {
  switch (platform) {
    case 'win32': {
      const base = env.LOCALAPPDATA || path.win32.join(homeDir, 'AppData', 'Local');
      return path.win32.join(base, 'inference-mesh');
    }
    case 'darwin':
      return path.posix.join(homeDir, 'Library', 'Application Support', 'inference-mesh');
    default: {
      // XDG says a relative $XDG_STATE_HOME is invalid and must be ignored.
      const xdg = env.XDG_STATE_HOME;
      const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homeDir, '.local', 'state');
      return path.posix.join(base, 'inference-mesh');
    }
  }
}
