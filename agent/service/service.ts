/**
 * `inference-mesh service install | uninstall | status` (issue "Run as a service"): writes the
 * platform's service definition (templates.ts), drives the platform's service manager through the
 * injected exec, and reports each step in plain words. Everything outside comes in through `deps`
 * (DESIGN.md §6.3), so tests run it against a temp dir and a fake exec, never a real systemctl.
 */
import path from 'node:path';
import { ExecError, type Exec } from '../kernel/exec.js';
import { planFor, type PlatformPlan, type Step } from './plan.js';

export interface ServiceCommand {
  action: 'install' | 'uninstall' | 'status';
  /** A per-user service instead of a machine-wide one. */
  user: boolean;
  /** Print what would be written and run; change nothing. */
  dryRun: boolean;
  /** `--config` for the service's `start`; made absolute (the service runs from another directory). */
  configPath?: string | undefined;
}

export interface ServiceDeps {
  platform: NodeJS.Platform;
  homeDir: string;
  exec: Exec;
  writeFile: (file: string, data: string | Uint8Array) => Promise<void>;
  readFile: (file: string) => Promise<string>;
  /** Creates a directory and its parents; no error when it exists. */
  mkdir: (dir: string) => Promise<void>;
  /** Removes a file; no error when it is missing. */
  rm: (file: string) => Promise<void>;
  /** process.execPath */
  nodePath: string;
  /** Absolute path of the script the service runs (the installed bin/inference-mesh.js). */
  entry: string;
  env: Readonly<Record<string, string | undefined>>;
  /** To resolve a relative configPath; process.cwd(). */
  cwd: string;
  /** process.getuid?.(): launchd's per-user domain is gui/<uid>. */
  uid?: number | undefined;
}

export interface ServiceResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A new machine config: every setting at its default (docs/configuration.md lists them). */
const MACHINE_CONFIG = '{}\n';

/** A service manager answers within seconds; a hung one must not hang the CLI. */
const EXEC_TIMEOUT_MS = 30_000;

/** Signs that a step failed for lack of rights rather than for a reason the user must read. */
const PERMISSION = /permission denied|access (is )?denied|not permitted|interactive authentication required|must be root|failed to connect to bus|EACCES|EPERM|EROFS/i;

class Report {
  readonly out: string[] = [];
  readonly err: string[] = [];
  result(exitCode: number): ServiceResult {
    return { exitCode, stdout: this.out.join('\n'), stderr: this.err.join('\n') };
  }
  fail(what: string, err: unknown, plan: PlatformPlan | undefined): ServiceResult {
    const message = err instanceof Error ? err.message : String(err);
    const detail = err instanceof ExecError && err.stderr.trim() && !message.includes(err.stderr.trim()) ? `\n${err.stderr.trim()}` : '';
    this.err.push(`inference-mesh: ${what}: ${message}${detail}`);
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' && err instanceof ExecError) this.err.push(`hint: this machine has no such service manager; run \`inference-mesh start\` from your own init system instead`);
    else if (plan && (PERMISSION.test(`${message} ${detail}`) || code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) this.err.push(`hint: ${plan.permissionHint}`);
    return this.result(1);
  }
}

const shown = (argv: readonly string[]): string => argv.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ');

async function runSteps(steps: readonly Step[], deps: ServiceDeps, report: Report, plan: PlatformPlan): Promise<ServiceResult | undefined> {
  for (const step of steps) {
    const [file, ...args] = step.argv;
    try {
      await deps.exec(file, args, { timeoutMs: EXEC_TIMEOUT_MS });
      report.out.push(step.done);
    } catch (err) {
      // Expected in a normal case (nothing to stop): say so and go on.
      if (step.optional) report.out.push(`(${shown(step.argv)}: ${err instanceof Error ? err.message : String(err)}; nothing to do)`);
      else return report.fail(`${shown(step.argv)} failed`, err, plan);
    }
  }
  return undefined;
}

function dryRunSteps(steps: readonly Step[], report: Report): void {
  for (const step of steps) report.out.push(`would run: ${shown(step.argv)}${step.optional ? ' (a failure is ignored)' : ''}`);
}

async function exists(deps: ServiceDeps, file: string): Promise<boolean> {
  try {
    await deps.readFile(file);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return false;
    throw err;
  }
}

async function install(plan: PlatformPlan, cmd: ServiceCommand, deps: ServiceDeps, report: Report): Promise<ServiceResult> {
  if (cmd.dryRun) {
    report.out.push(`would write ${plan.file}:`, plan.content.replace(/\r\n/g, '\n'));
    if (plan.machineConfig) report.out.push(`would write ${plan.machineConfig.file} (when absent): ${MACHINE_CONFIG.trim()}`);
    if (plan.encoding === 'utf16le') report.out.push('(as UTF-16, which Task Scheduler reads)');
    dryRunSteps(plan.install, report);
    return report.result(0);
  }
  try {
    for (const dir of plan.dirs) await deps.mkdir(dir);
    // Task Scheduler wants UTF-16 with a byte order mark when the declaration says UTF-16.
    await deps.writeFile(plan.file, plan.encoding === 'utf16le' ? Buffer.from(`\ufeff${plan.content}`, 'utf16le') : plan.content);
  } catch (err) {
    return report.fail(`cannot write ${plan.file}`, err, plan);
  }
  report.out.push(`wrote ${plan.file}`);
  const config = plan.machineConfig;
  if (config && !(await exists(deps, config.file))) {
    try {
      await deps.mkdir(config.dir);
      await deps.writeFile(config.file, MACHINE_CONFIG);
    } catch (err) {
      return report.fail(`cannot write ${config.file}`, err, plan);
    }
    report.out.push(`wrote ${config.file}: this machine's configuration, read by the service and every inference-mesh command`);
  }
  const failed = await runSteps(plan.install, deps, report, plan);
  if (failed) return failed;
  report.out.push(...plan.notes);
  return report.result(0);
}

async function uninstall(plan: PlatformPlan, cmd: ServiceCommand, deps: ServiceDeps, report: Report): Promise<ServiceResult> {
  if (!(await exists(deps, plan.file))) {
    report.out.push(`not installed (no ${plan.file}); nothing to do`);
    return report.result(0);
  }
  if (cmd.dryRun) {
    dryRunSteps(plan.uninstall, report);
    report.out.push(`would remove ${plan.file}`);
    dryRunSteps(plan.afterRemove, report);
    return report.result(0);
  }
  const failed = await runSteps(plan.uninstall, deps, report, plan);
  if (failed) return failed;
  try {
    await deps.rm(plan.file);
  } catch (err) {
    return report.fail(`cannot remove ${plan.file}`, err, plan);
  }
  report.out.push(`removed ${plan.file}`);
  return (await runSteps(plan.afterRemove, deps, report, plan)) ?? report.result(0);
}

async function status(plan: PlatformPlan, cmd: ServiceCommand, deps: ServiceDeps, report: Report): Promise<ServiceResult> {
  const flag = cmd.user ? ' --user' : '';
  if (!(await exists(deps, plan.file))) {
    report.out.push(`not installed (no ${plan.file}); install with: inference-mesh service install${flag}`);
    return report.result(1);
  }
  report.out.push(`installed: ${plan.file}`);
  for (const step of plan.status) {
    const [file, ...args] = step.argv;
    try {
      const { stdout } = await deps.exec(file, args, { timeoutMs: EXEC_TIMEOUT_MS });
      report.out.push(stdout.trimEnd());
    } catch (err) {
      return report.fail(`installed, but ${shown(step.argv)} failed (not loaded? re-run inference-mesh service install${flag})`, err, plan);
    }
  }
  report.out.push(...plan.notes.filter((n) => n.startsWith('logs:')));
  return report.result(0);
}

export async function runService(cmd: ServiceCommand, deps: ServiceDeps): Promise<ServiceResult> {
  const report = new Report();
  const p = deps.platform === 'win32' ? path.win32 : path.posix;
  // --config, else INFERENCE_MESH_CONFIG from the installing shell (the precedence `start` uses).
  const configRaw = cmd.configPath ?? (deps.env.INFERENCE_MESH_CONFIG || undefined);
  const configPath = configRaw === undefined ? undefined : p.resolve(deps.cwd, configRaw);
  if (configPath !== undefined && cmd.action === 'install') {
    // Fail now rather than leave a service that exits 78 at every boot.
    try {
      await deps.readFile(configPath);
    } catch (err) {
      return report.fail(`cannot read the configuration ${configPath}`, err, undefined);
    }
  }
  let plan: PlatformPlan | undefined;
  try {
    plan = planFor({ platform: deps.platform, user: cmd.user, homeDir: deps.homeDir, env: deps.env, uid: deps.uid, nodePath: deps.nodePath, entry: deps.entry, configPath });
  } catch (err) {
    return report.fail('cannot prepare the service definition', err, undefined);
  }
  if (!plan) {
    report.err.push(
      `inference-mesh: no service manager support on ${deps.platform}; supported: Linux (systemd), macOS (launchd), Windows (Task Scheduler). Run \`inference-mesh start\` from your own init system.`,
    );
    return report.result(1);
  }
  try {
    switch (cmd.action) {
      case 'install':
        return await install(plan, cmd, deps, report);
      case 'uninstall':
        return await uninstall(plan, cmd, deps, report);
      case 'status':
        return await status(plan, cmd, deps, report);
    }
  } catch (err) {
    return report.fail(`cannot read ${plan.file}`, err, plan);
  }
}
