/**
 * What `inference-mesh service …` does on each platform: which file goes where, which commands
 * install, remove and query it, and what to tell the user when one fails. Pure: service.ts runs it.
 */
import path from 'node:path';
import { systemConfigLocation } from '../config-location.js';
import { defaultDataDir } from '../data-dir.js';
import {
  LAUNCHD_LABEL,
  LAUNCHD_PLIST_FILE,
  SERVICE_NAME,
  SYSTEMD_UNIT_FILE,
  launchdLogDir,
  renderLaunchdPlist,
  renderSystemdUnit,
  renderWindowsTask,
  type ServiceTemplateInput,
} from './templates.js';

export interface Step {
  argv: readonly [string, ...string[]];
  /** What it did, in plain words, for the report. */
  done: string;
  /** A failure is expected in a normal case (stopping what is not running) and ignored. */
  optional?: boolean;
}

export interface PlatformPlan {
  /** The service definition file. */
  file: string;
  content: string;
  /** How the file is written: Task Scheduler reads UTF-16 (the XML declaration says so). */
  encoding: 'utf8' | 'utf16le';
  /** Directories to create before writing (the file's own, log dirs). */
  dirs: string[];
  install: Step[];
  uninstall: Step[];
  /** After the file is removed (systemd forgets the unit only on a reload). */
  afterRemove: Step[];
  status: Step[];
  /** Printed after a successful install. */
  notes: string[];
  /** What to do when a step or a write fails for lack of rights. */
  permissionHint: string;
  /**
   * A machine-wide service's config file at the OS's shared location (agent/config-location.ts),
   * written as `{}` when absent, so every CLI command finds the service's data dir. Absent for
   * --user services (their data dir is the user's default anyway) and when --config names a file.
   */
  machineConfig?: { dir: string; file: string };
}

export interface PlanInput {
  platform: NodeJS.Platform;
  user: boolean;
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
  uid: number | undefined;
  nodePath: string;
  entry: string;
  /** Absolute (service.ts resolves --config or INFERENCE_MESH_CONFIG). */
  configPath: string | undefined;
}

/**
 * Settings from the installing shell that the service should keep. Not INFERENCE_MESH_KEY: unit
 * files and plists are world-readable, and the agent keeps its key in the data dir (mode 0600).
 */
const KEPT_ENV = ['INFERENCE_MESH_PORT', 'OLLAMA_HOST', 'IMMICH_MACHINE_LEARNING_URL'] as const;

function templateInput(input: PlanInput, extra: Partial<ServiceTemplateInput>): ServiceTemplateInput {
  const env: Record<string, string> = {};
  for (const name of KEPT_ENV) {
    const v = input.env[name];
    if (v) env[name] = v;
  }
  const config = input.configPath;
  return {
    nodePath: input.nodePath,
    entry: input.entry,
    args: ['start', ...(config ? ['--config', config] : [])],
    user: input.user ? 'user' : 'system',
    env,
    ...extra,
  };
}

/**
 * The system unit's own user (DynamicUser=) cannot enter /root or other users' homes (mode 0700,
 * and ProtectHome= comes with DynamicUser=, systemd.exec(5)): a Node from nvm or a checkout there
 * would fail at every start. Said at install time, where it can still be fixed.
 */
function privateHomeWarning(input: PlanInput): string[] {
  const inHome = [input.nodePath, input.entry].filter((p) => /^\/(root|home)\//.test(p));
  return inHome.length === 0
    ? []
    : [`warning: the service runs as its own user, which cannot read ${inHome.join(' or ')}; install Node.js and the package system-wide (e.g. /usr/bin/node, npm install -g), or use --user`];
}

function systemdPlan(input: PlanInput): PlatformPlan {
  const sc = (...args: string[]): [string, ...string[]] => ['systemctl', ...(input.user ? ['--user'] : []), ...args];
  const dir = input.user ? path.posix.join(input.homeDir, '.config', 'systemd', 'user') : '/etc/systemd/system';
  const journal = `journalctl${input.user ? ' --user' : ''} -u ${SERVICE_NAME}`;
  return {
    file: path.posix.join(dir, SYSTEMD_UNIT_FILE),
    content: renderSystemdUnit(templateInput(input, {})),
    encoding: 'utf8',
    dirs: [dir],
    install: [
      { argv: sc('daemon-reload'), done: 'systemd reloaded its units' },
      { argv: sc('enable', SERVICE_NAME), done: `enabled ${SERVICE_NAME}: it starts at ${input.user ? 'login' : 'boot'}` },
      // restart, not `enable --now`: --now leaves an already running agent on the old unit.
      { argv: sc('restart', SERVICE_NAME), done: `started ${SERVICE_NAME}` },
    ],
    uninstall: [
      { argv: sc('disable', '--now', SERVICE_NAME), done: `stopped and disabled ${SERVICE_NAME}`, optional: true },
    ],
    afterRemove: [{ argv: sc('daemon-reload'), done: 'systemd reloaded its units' }],
    status: [
      // `show` exits 0 whatever the state (`status` exits 3 when stopped) and is stable to read.
      { argv: sc('show', SERVICE_NAME, '--no-pager', '--property=LoadState,ActiveState,SubState,MainPID,ExecMainStatus,NRestarts'), done: '' },
    ],
    notes: [
      `logs: ${journal}`,
      ...(input.user ? [] : privateHomeWarning(input)),
      ...(input.user ? ['a user service stops when you log out; to keep it running and start it at boot: loginctl enable-linger $USER'] : []),
    ],
    permissionHint: input.user
      ? 'systemctl --user needs your login session (not sudo, not a plain su); run it as yourself in a login shell, or install system-wide: sudo inference-mesh service install'
      : 'needs root: run with sudo, or use --user',
  };
}

function launchdPlan(input: PlanInput): PlatformPlan {
  if (input.user && input.uid === undefined) throw new Error('cannot tell the user id for the launchd gui domain');
  const domain = input.user ? `gui/${input.uid ?? ''}` : 'system';
  const dir = input.user ? path.posix.join(input.homeDir, 'Library', 'LaunchAgents') : '/Library/LaunchDaemons';
  const file = path.posix.join(dir, LAUNCHD_PLIST_FILE);
  const mode = input.user ? 'user' : 'system';
  const logDir = launchdLogDir(mode, input.homeDir);
  // A daemon runs as root, whose "home" default data dir would be /var/root: keep it in the
  // machine-wide Application Support instead.
  const dataDir = input.user ? {} : { dataDir: '/Library/Application Support/inference-mesh' };
  return {
    file,
    content: renderLaunchdPlist(templateInput(input, { homeDir: input.homeDir, ...dataDir })),
    encoding: 'utf8',
    // launchd opens the log files but does not create their directory.
    dirs: [dir, logDir],
    install: [
      // bootstrap refuses a label that is already loaded (error 5): unload the old one first.
      { argv: ['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`], done: 'unloaded the previous agent', optional: true },
      { argv: ['launchctl', 'bootstrap', domain, file], done: `loaded and started ${LAUNCHD_LABEL} (${input.user ? 'at login' : 'at boot'})` },
    ],
    uninstall: [{ argv: ['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`], done: `stopped and unloaded ${LAUNCHD_LABEL}`, optional: true }],
    afterRemove: [],
    status: [{ argv: ['launchctl', 'print', `${domain}/${LAUNCHD_LABEL}`], done: '' }],
    notes: [`logs: ${path.posix.join(logDir, 'agent.err.log')} (the agent logs to stderr)`],
    permissionHint: input.user ? 'run it as yourself, not with sudo' : 'needs root: run with sudo, or use --user',
  };
}

function windowsPlan(input: PlanInput): PlatformPlan {
  // The user's own default data dir, or the machine-wide one for the SYSTEM task (ProgramData is
  // where Windows keeps per-machine application data).
  const dataDir = input.user
    ? defaultDataDir({ platform: 'win32', env: input.env, homeDir: input.homeDir })
    : path.win32.join(input.env.ProgramData || 'C:\\ProgramData', SERVICE_NAME);
  const userId = input.env.USERDOMAIN && input.env.USERNAME ? `${input.env.USERDOMAIN}\\${input.env.USERNAME}` : input.env.USERNAME;
  if (input.user && !userId) throw new Error('cannot tell the Windows user (USERNAME is not set)');
  const file = path.win32.join(dataDir, 'inference-mesh-task.xml');
  const tn = ['/TN', SERVICE_NAME] as const;
  return {
    file,
    content: renderWindowsTask(templateInput(input, input.user ? { windowsUserId: userId ?? '' } : { dataDir })),
    encoding: 'utf16le',
    dirs: [dataDir],
    install: [
      { argv: ['schtasks', '/Create', ...tn, '/XML', file, '/F'], done: `registered the task ${SERVICE_NAME} (${input.user ? 'at logon' : 'at startup, as SYSTEM'})` },
      { argv: ['schtasks', '/Run', ...tn], done: `started ${SERVICE_NAME}` },
    ],
    uninstall: [
      { argv: ['schtasks', '/End', ...tn], done: `stopped ${SERVICE_NAME}`, optional: true },
      { argv: ['schtasks', '/Delete', ...tn, '/F'], done: `removed the task ${SERVICE_NAME}` },
    ],
    afterRemove: [],
    status: [{ argv: ['schtasks', '/Query', ...tn, '/V', '/FO', 'LIST'], done: '' }],
    notes: [`logs: ${path.win32.join(dataDir, 'agent.log')}`],
    permissionHint: input.user ? 'run it as yourself' : 'needs an administrator: run it from an elevated prompt (Run as administrator), or use --user',
  };
}

function platformPlan(input: PlanInput): PlatformPlan | undefined {
  switch (input.platform) {
    case 'linux':
      return systemdPlan(input);
    case 'darwin':
      return launchdPlan(input);
    case 'win32':
      return windowsPlan(input);
    default:
      return undefined;
  }
}

/** The plan for this platform, or undefined where there is no supported service manager. */
export function planFor(input: PlanInput): PlatformPlan | undefined {
  const plan = platformPlan(input);
  if (!plan || input.user) return plan;
  const location = systemConfigLocation(input);
  const p = input.platform === 'win32' ? path.win32 : path.posix;
  if (input.configPath === undefined) return { ...plan, machineConfig: { dir: p.dirname(location.configFile), file: location.configFile } };
  // The service reads its own file; the CLI finds it only when told.
  return { ...plan, notes: [...plan.notes, `the CLI reads ${location.configFile} by default: give commands such as \`inference-mesh key\` the same --config`] };
}
