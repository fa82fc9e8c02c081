/**
 * runService against a fake exec (never a real systemctl, launchctl or schtasks) and either a temp
 * dir as home with the real file system (Linux --user) or an in-memory file system (system paths,
 * and the other platforms' paths, which must never be written on this machine).
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecError, type Exec } from '../../../agent/kernel/exec.js';
import { runService, type ServiceCommand, type ServiceDeps } from '../../../agent/service/service.js';

interface FakeExec {
  exec: Exec;
  calls: string[];
}

/** Records every command; `fail` maps a command line prefix to the error it throws. */
function fakeExec(fail: Record<string, ExecError> = {}, stdout: Record<string, string> = {}): FakeExec {
  const calls: string[] = [];
  const exec: Exec = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const failure = Object.entries(fail).find(([prefix]) => line.startsWith(prefix));
    if (failure) throw failure[1];
    return { stdout: Object.entries(stdout).find(([prefix]) => line.startsWith(prefix))?.[1] ?? '', stderr: '' };
  };
  return { exec, calls };
}

function memoryFs(): Pick<ServiceDeps, 'writeFile' | 'readFile' | 'mkdir' | 'rm'> & { files: Map<string, string | Uint8Array>; dirs: string[] } {
  const files = new Map<string, string | Uint8Array>();
  const dirs: string[] = [];
  const enoent = (f: string): Error => Object.assign(new Error(`ENOENT: no such file, open '${f}'`), { code: 'ENOENT' });
  return {
    files,
    dirs,
    writeFile: async (f, data) => void files.set(f, data),
    readFile: async (f) => {
      const v = files.get(f);
      if (v === undefined) throw enoent(f);
      return typeof v === 'string' ? v : Buffer.from(v).toString('utf16le');
    },
    mkdir: async (d) => void dirs.push(d),
    rm: async (f) => void files.delete(f),
  };
}

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'im-service-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const realFs: Pick<ServiceDeps, 'writeFile' | 'readFile' | 'mkdir' | 'rm'> = {
  writeFile: (f, d) => writeFile(f, d),
  readFile: (f) => readFile(f, 'utf8'),
  mkdir: async (d) => void (await mkdir(d, { recursive: true })),
  rm: (f) => rm(f, { force: true }),
};

function deps(over: Partial<ServiceDeps> & Pick<ServiceDeps, 'exec'>): ServiceDeps {
  return {
    platform: 'linux',
    homeDir: home,
    nodePath: '/usr/bin/node',
    entry: '/usr/lib/node_modules/inference-mesh/bin/inference-mesh.js',
    env: {},
    cwd: '/home/bob',
    ...realFs,
    ...over,
  };
}

const cmd = (over: Partial<ServiceCommand>): ServiceCommand => ({ action: 'install', user: true, dryRun: false, ...over });

describe('linux (systemd)', () => {
  it('install --user writes the unit under the home and reloads, enables and starts it, in order', async () => {
    const x = fakeExec();
    const r = await runService(cmd({}), deps({ exec: x.exec, env: { OLLAMA_HOST: ':11435', INFERENCE_MESH_KEY: 'secret' } }));
    expect(r.exitCode).toBe(0);
    const unitPath = path.join(home, '.config', 'systemd', 'user', 'inference-mesh.service');
    const unit = await readFile(unitPath, 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/node --max-semi-space-size=4 --max-old-space-size=128 --v8-pool-size=1 /usr/lib/node_modules/inference-mesh/bin/inference-mesh.js start\n');
    expect(unit).toContain('Environment="OLLAMA_HOST=:11435"');
    // The key must not land in a world-readable unit file.
    expect(unit).not.toContain('secret');
    expect(x.calls).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable inference-mesh', 'systemctl --user restart inference-mesh']);
    expect(r.stdout).toContain(`wrote ${unitPath}`);
    expect(r.stdout).toContain('started inference-mesh');
    expect(r.stdout).toContain('journalctl --user -u inference-mesh');
    expect(r.stdout).toContain('loginctl enable-linger');
  });

  it('install resolves a relative --config against the working dir and checks it can be read', async () => {
    const x = fakeExec();
    await writeFile(path.join(home, 'agent.config.json'), '{}');
    const ok = await runService(cmd({ configPath: 'agent.config.json' }), deps({ exec: x.exec, cwd: home }));
    expect(ok.exitCode).toBe(0);
    expect(await readFile(path.join(home, '.config/systemd/user/inference-mesh.service'), 'utf8')).toContain(` start --config ${home}/agent.config.json\n`);
    // INFERENCE_MESH_CONFIG counts when there is no --config, as for `start`.
    const fromEnv = await runService(cmd({ dryRun: true }), deps({ exec: x.exec, cwd: home, env: { INFERENCE_MESH_CONFIG: './agent.config.json' } }));
    expect(fromEnv.stdout).toContain(` start --config ${home}/agent.config.json\n`);
    const missing = await runService(cmd({ configPath: 'nope.json' }), deps({ exec: x.exec, cwd: home }));
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`cannot read the configuration ${home}/nope.json`);
  });

  it('--dry-run prints the file and the commands, and writes and runs nothing', async () => {
    const x = fakeExec();
    const r = await runService(cmd({ dryRun: true }), deps({ exec: x.exec }));
    expect(r.exitCode).toBe(0);
    expect(x.calls).toEqual([]);
    await expect(stat(path.join(home, '.config'))).rejects.toThrow(/ENOENT/);
    expect(r.stdout).toContain(`would write ${path.join(home, '.config/systemd/user/inference-mesh.service')}:\n# Generated`);
    expect(r.stdout).toContain('Restart=on-failure');
    expect(r.stdout).toContain('would run: systemctl --user daemon-reload\nwould run: systemctl --user enable inference-mesh\nwould run: systemctl --user restart inference-mesh');
  });

  it('uninstall stops, disables, removes the unit and reloads; a second uninstall has nothing to do', async () => {
    const x = fakeExec();
    await runService(cmd({}), deps({ exec: x.exec }));
    x.calls.length = 0;
    const r = await runService(cmd({ action: 'uninstall' }), deps({ exec: x.exec }));
    expect(r.exitCode).toBe(0);
    expect(x.calls).toEqual(['systemctl --user disable --now inference-mesh', 'systemctl --user daemon-reload']);
    await expect(stat(path.join(home, '.config/systemd/user/inference-mesh.service'))).rejects.toThrow(/ENOENT/);
    const again = await runService(cmd({ action: 'uninstall' }), deps({ exec: x.exec }));
    expect(again).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('not installed') as unknown });
    expect(x.calls).toHaveLength(2);
  });

  it('a failing systemctl (system install without root) exits 1 with its message and the sudo hint', async () => {
    const fs = memoryFs();
    const x = fakeExec({ 'systemctl enable': new ExecError('EXIT', 'systemctl failed: Failed to enable unit: Access denied', 'Failed to enable unit: Access denied\n') });
    const r = await runService(cmd({ user: false }), deps({ exec: x.exec, ...fs }));
    expect(fs.files.has('/etc/systemd/system/inference-mesh.service')).toBe(true);
    expect(x.calls).toEqual(['systemctl daemon-reload', 'systemctl enable inference-mesh']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('systemctl enable inference-mesh failed: systemctl failed: Failed to enable unit: Access denied');
    expect(r.stderr).toContain('hint: needs root: run with sudo, or use --user');
  });

  it('a system install that cannot write /etc says so, with the hint, and runs nothing', async () => {
    const x = fakeExec();
    const denied = Object.assign(new Error("EACCES: permission denied, open '/etc/systemd/system/inference-mesh.service'"), { code: 'EACCES' });
    const r = await runService(cmd({ user: false }), deps({ exec: x.exec, ...memoryFs(), writeFile: () => Promise.reject(denied) }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot write \/etc\/systemd\/system\/inference-mesh.service: EACCES/);
    expect(r.stderr).toContain('hint: needs root: run with sudo, or use --user');
    expect(x.calls).toEqual([]);
  });

  it('a missing systemctl says there is no such service manager', async () => {
    const x = fakeExec({ systemctl: new ExecError('ENOENT', 'systemctl not found') });
    const r = await runService(cmd({}), deps({ exec: x.exec }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/systemctl not found[\s\S]*hint: this machine has no such service manager/);
  });

  it('status prints systemctl show and where the logs are; not installed exits 1', async () => {
    const x = fakeExec({}, { 'systemctl --user show': 'LoadState=loaded\nActiveState=active\nSubState=running\n' });
    const none = await runService(cmd({ action: 'status' }), deps({ exec: x.exec }));
    expect(none.exitCode).toBe(1);
    expect(none.stdout).toContain('not installed');
    expect(none.stdout).toContain('inference-mesh service install --user');
    await runService(cmd({}), deps({ exec: x.exec }));
    x.calls.length = 0;
    const r = await runService(cmd({ action: 'status' }), deps({ exec: x.exec }));
    expect(r.exitCode).toBe(0);
    expect(x.calls).toEqual(['systemctl --user show inference-mesh --no-pager --property=LoadState,ActiveState,SubState,MainPID,ExecMainStatus,NRestarts']);
    expect(r.stdout).toContain('ActiveState=active');
    expect(r.stdout).toContain('logs: journalctl --user -u inference-mesh');
  });

  it('system install uses /etc/systemd/system and plain systemctl', async () => {
    const fs = memoryFs();
    const x = fakeExec();
    const r = await runService(cmd({ user: false }), deps({ exec: x.exec, ...fs }));
    expect(r.exitCode).toBe(0);
    expect(String(fs.files.get('/etc/systemd/system/inference-mesh.service'))).toContain('--data-dir /var/lib/inference-mesh');
    expect(String(fs.files.get('/etc/systemd/system/inference-mesh.service'))).toContain('\nDynamicUser=yes\n');
    expect(x.calls).toEqual(['systemctl daemon-reload', 'systemctl enable inference-mesh', 'systemctl restart inference-mesh']);
    // The machine's config file, where every CLI command finds the service's data dir (issue 16).
    expect(fs.files.get('/etc/inference-mesh/config.json')).toBe('{}\n');
    expect(fs.dirs).toContain('/etc/inference-mesh');
    expect(r.stdout).toContain("wrote /etc/inference-mesh/config.json: this machine's configuration");
  });

  it('system install keeps an existing machine config; with --config it writes none and says the CLI needs it too', async () => {
    const fs = memoryFs();
    fs.files.set('/etc/inference-mesh/config.json', '{"node":{"name":"hub"}}');
    const r = await runService(cmd({ user: false }), deps({ exec: fakeExec().exec, ...fs }));
    expect(r.exitCode).toBe(0);
    expect(fs.files.get('/etc/inference-mesh/config.json')).toBe('{"node":{"name":"hub"}}');
    expect(r.stdout).not.toContain('wrote /etc/inference-mesh/config.json');

    const other = memoryFs();
    other.files.set('/srv/hub.json', '{}');
    const named = await runService(cmd({ user: false, configPath: '/srv/hub.json' }), deps({ exec: fakeExec().exec, ...other }));
    expect(named.exitCode).toBe(0);
    expect(other.files.has('/etc/inference-mesh/config.json')).toBe(false);
    expect(named.stdout).toContain('the CLI reads /etc/inference-mesh/config.json by default: give commands such as `inference-mesh key` the same --config');

    const fromHome = await runService(cmd({ user: false }), deps({ exec: fakeExec().exec, ...memoryFs(), nodePath: '/root/.nvm/versions/node/v20.20.0/bin/node' }));
    expect(fromHome.stdout).toContain('warning: the service runs as its own user, which cannot read /root/.nvm/versions/node/v20.20.0/bin/node');
    expect(named.stdout).not.toContain('cannot read');
    const dry = await runService(cmd({ user: false, dryRun: true }), deps({ exec: fakeExec().exec, ...memoryFs() }));
    expect(dry.stdout).toContain('would write /etc/inference-mesh/config.json (when absent): {}');
  });
});

describe('darwin (launchd)', () => {
  it('install --user writes a LaunchAgent, creates the log dir, and bootstraps it in gui/<uid>', async () => {
    const fs = memoryFs();
    const x = fakeExec({ 'launchctl bootout': new ExecError('EXIT', 'launchctl failed: Boot-out failed: 3: No such process') });
    const r = await runService(cmd({}), deps({ platform: 'darwin', homeDir: '/Users/bob', uid: 501, exec: x.exec, ...fs }));
    expect(r.exitCode).toBe(0);
    const plist = '/Users/bob/Library/LaunchAgents/com.inference-mesh.agent.plist';
    expect(String(fs.files.get(plist))).toContain('<string>/Users/bob/Library/Logs/inference-mesh/agent.err.log</string>');
    expect(fs.dirs).toContain('/Users/bob/Library/Logs/inference-mesh');
    // Not loaded before: the bootout failure is expected and ignored.
    expect(x.calls).toEqual(['launchctl bootout gui/501/com.inference-mesh.agent', `launchctl bootstrap gui/501 ${plist}`]);
    expect(r.stdout).toContain('nothing to do');
  });

  it('system install writes a LaunchDaemon with a machine-wide data dir; uninstall boots it out and removes it', async () => {
    const fs = memoryFs();
    const x = fakeExec();
    const d = deps({ platform: 'darwin', homeDir: '/var/root', uid: 0, exec: x.exec, ...fs });
    const r = await runService(cmd({ user: false }), d);
    expect(r.exitCode).toBe(0);
    const plist = '/Library/LaunchDaemons/com.inference-mesh.agent.plist';
    expect(String(fs.files.get(plist))).toContain('<string>/Library/Application Support/inference-mesh</string>');
    expect(x.calls.at(-1)).toBe(`launchctl bootstrap system ${plist}`);
    expect(fs.files.get('/Library/Application Support/inference-mesh/config.json')).toBe('{}\n');
    x.calls.length = 0;
    const u = await runService(cmd({ action: 'uninstall', user: false }), d);
    expect(u.exitCode).toBe(0);
    expect(x.calls).toEqual(['launchctl bootout system/com.inference-mesh.agent']);
    expect(fs.files.has(plist)).toBe(false);
  });

  it('status of an installed but unloaded agent exits 1 and says how to fix it', async () => {
    const fs = memoryFs();
    const x = fakeExec({ 'launchctl print': new ExecError('EXIT', 'launchctl failed: Could not find service') });
    const d = deps({ platform: 'darwin', homeDir: '/Users/bob', uid: 501, exec: x.exec, ...fs });
    await runService(cmd({}), d);
    const r = await runService(cmd({ action: 'status' }), d);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('launchctl print gui/501/com.inference-mesh.agent failed');
    expect(r.stderr).toContain('re-run inference-mesh service install --user');
  });
});

describe('win32 (Task Scheduler)', () => {
  const env = { LOCALAPPDATA: 'C:\\Users\\bob\\AppData\\Local', USERDOMAIN: 'GAMING-PC', USERNAME: 'bob', ProgramData: 'C:\\ProgramData' };
  const win = (x: FakeExec, fs: ReturnType<typeof memoryFs>): ServiceDeps =>
    deps({ platform: 'win32', homeDir: 'C:\\Users\\bob', env, nodePath: 'C:\\Program Files\\nodejs\\node.exe', entry: 'C:\\npm\\inference-mesh.js', cwd: 'C:\\Users\\bob', exec: x.exec, ...fs });

  it('install --user writes the task XML (UTF-16 with BOM) to the data dir, registers and runs it', async () => {
    const fs = memoryFs();
    const x = fakeExec();
    const r = await runService(cmd({}), win(x, fs));
    expect(r.exitCode).toBe(0);
    const file = 'C:\\Users\\bob\\AppData\\Local\\inference-mesh\\inference-mesh-task.xml';
    const bytes = fs.files.get(file);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const text = Buffer.from(bytes as Uint8Array).toString('utf16le');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('<UserId>GAMING-PC\\bob</UserId>');
    expect(x.calls).toEqual([`schtasks /Create /TN inference-mesh /XML ${file} /F`, 'schtasks /Run /TN inference-mesh']);
  });

  it('system install writes to ProgramData, runs as SYSTEM; failure without elevation hints at Run as administrator', async () => {
    const fs = memoryFs();
    const x = fakeExec({ 'schtasks /Create': new ExecError('EXIT', 'schtasks failed: ERROR: Access is denied.') });
    const r = await runService(cmd({ user: false }), win(x, fs));
    expect(String(Buffer.from(fs.files.get('C:\\ProgramData\\inference-mesh\\inference-mesh-task.xml') as Uint8Array).toString('utf16le'))).toContain('S-1-5-18');
    expect(fs.files.get('C:\\ProgramData\\inference-mesh\\config.json')).toBe('{}\n');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('hint: needs an administrator: run it from an elevated prompt (Run as administrator), or use --user');
  });

  it('uninstall ends and deletes the task; status queries it', async () => {
    const fs = memoryFs();
    const x = fakeExec({ 'schtasks /End': new ExecError('EXIT', 'schtasks failed: ERROR: The task is not running.') }, { 'schtasks /Query': 'TaskName: \\inference-mesh\nStatus: Running\n' });
    await runService(cmd({}), win(x, fs));
    x.calls.length = 0;
    const s = await runService(cmd({ action: 'status' }), win(x, fs));
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toContain('Status: Running');
    expect(x.calls).toEqual(['schtasks /Query /TN inference-mesh /V /FO LIST']);
    x.calls.length = 0;
    const u = await runService(cmd({ action: 'uninstall' }), win(x, fs));
    expect(u.exitCode).toBe(0);
    expect(x.calls).toEqual(['schtasks /End /TN inference-mesh', 'schtasks /Delete /TN inference-mesh /F']);
    expect(fs.files.size).toBe(0);
  });
});

it('an unsupported platform gets a clear message and exit 1', async () => {
  const x = fakeExec();
  const r = await runService(cmd({}), deps({ platform: 'freebsd', exec: x.exec, ...memoryFs() }));
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain('no service manager support on freebsd');
  expect(x.calls).toEqual([]);
});
