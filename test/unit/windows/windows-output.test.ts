/**
 * The Windows paths on output shapes the existing fixtures leave out (issue 16: "none of its code
 * paths has run on Windows here"). Written from the tools' documented formats, not recorded on a
 * Windows machine (there is none here): tasklist's "no tasks" notice and names that need CSV
 * quoting, netsh's localised output, and the per-user/machine locations the user guide names.
 */
import { describe, expect, it } from 'vitest';
import { checkMdnsFirewall } from '../../../agent/doctor/checks/mdns-firewall.js';
import { systemConfigLocation, userConfigLocation } from '../../../agent/config-location.js';
import { ExecError } from '../../../agent/kernel/exec.js';
import { listProcessNames, parseTasklistCsv } from '../../../agent/probe/processes.js';
import { readNvidiaGpus } from '../../../agent/probe/gpu-nvidia.js';
import { createFakeExec, createFakeFs, ok } from '../../fakes/io.js';
import { config, fakeDeps } from '../doctor/fake-deps.js';

describe('tasklist /fo csv /nh', () => {
  it('"INFO: No tasks are running…" (printed instead of rows) gives no names', () => {
    expect(parseTasklistCsv('INFO: No tasks are running which match the specified criteria.\r\n')).toEqual([]);
  });

  it('names with commas, doubled quotes and spaces keep them; a blank line is skipped', async () => {
    const stdout = '"Game, The.exe","4242","Console","1","812,000 K"\r\n\r\n"say ""hi"".exe","7","Console","1","1,000 K"\r\n"ollama app.exe","9876","Console","1","25,004 K"\r\n';
    const exec = createFakeExec({ tasklist: ok(stdout) });
    const names = await listProcessNames({ platform: 'win32', exec, fs: createFakeFs({}) });
    expect([...names]).toEqual(['Game, The.exe', 'say "hi".exe', 'ollama app.exe']);
    expect(exec.calls[0]).toMatchObject({ file: 'tasklist', args: ['/fo', 'csv', '/nh'] });
  });
});

describe('nvidia-smi.exe', () => {
  it('is called by its .exe name; a PC without it has no NVIDIA GPU rather than a failed probe', async () => {
    const exec = createFakeExec({ 'nvidia-smi.exe': new ExecError('ENOENT', "'nvidia-smi.exe' is not recognized") });
    expect(await readNvidiaGpus({ exec, platform: 'win32' })).toEqual([]);
    expect(exec.calls[0]?.file).toBe('nvidia-smi.exe');
  });
});

describe('netsh advfirewall show currentprofile', () => {
  it('localised output (German "Status EIN") is skipped, not guessed', async () => {
    const german = '\r\nProfileinstellungen für "Privat":\r\n----------------------------------------------------------------------\r\nStatus                                EIN\r\n';
    const r = await checkMdnsFirewall(config(), fakeDeps({ platform: 'win32', exec: createFakeExec({ netsh: ok(german) }) }));
    expect(r).toMatchObject({ status: 'skipped', detail: 'could not read the Windows Firewall state' });
  });

  it('netsh missing or failing: skipped with the reason', async () => {
    const r = await checkMdnsFirewall(config(), fakeDeps({ platform: 'win32', exec: createFakeExec({ netsh: new ExecError('EXIT', 'netsh failed: The requested operation requires elevation.') }) }));
    expect(r).toMatchObject({ status: 'skipped', detail: 'netsh advfirewall could not be run' });
  });
});

describe('the folders the user guide names for Windows', () => {
  it('machine: C:\\ProgramData\\inference-mesh; per user: %APPDATA% config, %LOCALAPPDATA% data', () => {
    const env = { ProgramData: 'C:\\ProgramData', APPDATA: 'C:\\Users\\bob\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\bob\\AppData\\Local' };
    expect(systemConfigLocation({ platform: 'win32', env })).toEqual({
      scope: 'system',
      configFile: 'C:\\ProgramData\\inference-mesh\\config.json',
      dataDir: 'C:\\ProgramData\\inference-mesh',
    });
    expect(userConfigLocation({ platform: 'win32', env, homeDir: 'C:\\Users\\bob' })).toEqual({
      scope: 'user',
      configFile: 'C:\\Users\\bob\\AppData\\Roaming\\inference-mesh\\config.json',
      dataDir: 'C:\\Users\\bob\\AppData\\Local\\inference-mesh',
    });
  });
});
