import { describe, expect, it } from 'vitest';
import { ExecError } from '../../../agent/kernel/exec.js';
import {
  listProcessNames,
  parseProcCmdlineArgv0,
  parsePsComm,
  parseTasklistCsv,
  pathBasename,
} from '../../../agent/probe/processes.js';
import { createFakeExec, createFakeFs, ok } from '../../fakes/io.js';
import { linuxProc, psCommMacos, tasklistCsv } from './fixtures.js';

describe('parseTasklistCsv', () => {
  it.each([
    {
      name: 'Windows 11 listing',
      stdout: tasklistCsv,
      want: ['System Idle Process', 'System', 'svchost.exe', 'steam.exe', 'cs2.exe', 'ollama app.exe'],
    },
    { name: 'empty', stdout: '', want: [] },
    { name: 'escaped quote', stdout: '"odd""name.exe","1","Console","1","1 K"\n', want: ['odd"name.exe'] },
    { name: 'an INFO line is not a process', stdout: 'INFO: No tasks are running which match the specified criteria.\r\n', want: [] },
  ])('$name', ({ stdout, want }) => {
    expect(parseTasklistCsv(stdout)).toEqual(want);
  });
});

describe('parsePsComm', () => {
  it.each([
    {
      name: 'macOS full paths, spaces kept',
      stdout: psCommMacos,
      want: ['launchd', 'logd', 'steam_osx', 'Google Chrome', 'ollama', '-zsh'],
    },
    { name: 'BSD-style bare names', stdout: 'init\nsteam\n', want: ['init', 'steam'] },
    { name: 'empty', stdout: '\n', want: [] },
  ])('$name', ({ stdout, want }) => {
    expect(parsePsComm(stdout)).toEqual(want);
  });
});

describe('parseProcCmdlineArgv0 / pathBasename', () => {
  it.each([
    ['/usr/bin/python3\0-m\0immich_ml\0', 'python3'],
    ['C:\\Program Files (x86)\\Steam\\steam.exe\0', 'steam.exe'],
    ['ollama\0serve\0', 'ollama'],
    ['', null],
  ])('%j -> %s', (cmdline, want) => {
    expect(parseProcCmdlineArgv0(cmdline)).toBe(want);
  });

  it('ignores trailing separators', () => {
    expect(pathBasename('/opt/game/')).toBe('game');
  });
});

describe('listProcessNames', () => {
  it('Linux: comm and argv[0] of numeric /proc entries; vanished processes are skipped', async () => {
    // pid 7777 is listed by readdir but exited before its files were read.
    const fs = createFakeFs(linuxProc, { '/proc': ['7777'] });
    const exec = createFakeExec({});
    const names = await listProcessNames({ platform: 'linux', exec, fs });
    expect([...names].sort()).toEqual(
      ['RocketLeague.ex', 'RocketLeague.exe', 'init', 'kthreadd', 'ollama', 'steam', 'systemd'].sort(),
    );
    expect(exec.calls).toEqual([]);
    expect(fs.reads).toContain('/proc/7777/comm');
    expect(fs.reads.some((p) => p.startsWith('/proc/self') || p.startsWith('/proc/meminfo'))).toBe(false);
  });

  it('Windows: tasklist CSV', async () => {
    const exec = createFakeExec({ tasklist: ok(tasklistCsv) });
    const names = await listProcessNames({ platform: 'win32', exec, fs: createFakeFs({}) });
    expect(names.has('cs2.exe')).toBe(true);
    expect(exec.calls[0]?.args).toEqual(['/fo', 'csv', '/nh']);
  });

  it('macOS: ps -axo comm=', async () => {
    const exec = createFakeExec({ ps: ok(psCommMacos) });
    const names = await listProcessNames({ platform: 'darwin', exec, fs: createFakeFs({}) });
    expect(names.has('steam_osx')).toBe(true);
    expect(exec.calls[0]).toMatchObject({ file: 'ps', args: ['-axo', 'comm='] });
  });

  it('a failing lister rejects (the probe reports it)', async () => {
    const exec = createFakeExec({ tasklist: new ExecError('EXIT', 'tasklist failed: Access denied') });
    await expect(listProcessNames({ platform: 'win32', exec, fs: createFakeFs({}) })).rejects.toThrow('Access denied');
  });

  it('an aborted signal stops the Linux walk', async () => {
    const abort = new AbortController();
    abort.abort(new Error('probe timed out'));
    const fs = createFakeFs(linuxProc);
    await expect(listProcessNames({ platform: 'linux', exec: createFakeExec({}), fs }, abort.signal)).rejects.toThrow(
      'probe timed out',
    );
  });
});
