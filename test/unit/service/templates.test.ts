import { describe, expect, it } from 'vitest';
import { parseSystemdWords } from '../../../agent/service/systemd-quote.js';
import { AGENT_NODE_FLAGS, renderLaunchdPlist, renderSystemdUnit, renderWindowsTask, windowsTaskArguments, type ServiceTemplateInput } from '../../../agent/service/templates.js';
import { cmdCommandLine, windowsArg } from '../../../agent/service/windows-quote.js';
import { assertWellFormedXml, xmlUnescape } from './xml-check.js';

const base: ServiceTemplateInput = {
  nodePath: '/usr/bin/node',
  entry: '/usr/lib/node_modules/inference-mesh/bin/inference-mesh.js',
  args: ['start', '--config', '/etc/inference-mesh/agent.config.json'],
  user: 'system',
};
const lines = (text: string): string[] => text.split(/\r?\n/);
const execStart = (unit: string): string => (lines(unit).find((l) => l.startsWith('ExecStart=')) ?? '').slice('ExecStart='.length);

describe('systemd unit', () => {
  it('system: restarts on failure but not on a bad configuration, keeps state in StateDirectory, starts at boot', () => {
    const unit = lines(renderSystemdUnit(base));
    expect(unit).toEqual(
      expect.arrayContaining([
        '[Unit]',
        'After=network-online.target',
        'Wants=network-online.target',
        '[Service]',
        'Type=simple',
        'ExecStart=/usr/bin/node --max-semi-space-size=4 --max-old-space-size=128 --v8-pool-size=1 /usr/lib/node_modules/inference-mesh/bin/inference-mesh.js start --config /etc/inference-mesh/agent.config.json --data-dir /var/lib/inference-mesh',
        'Environment="MALLOC_ARENA_MAX=2"',
        'Restart=on-failure',
        'RestartSec=5',
        'KillSignal=SIGTERM',
        'TimeoutStopSec=10',
        'SuccessExitStatus=0',
        'RestartPreventExitStatus=78',
        'StateDirectory=inference-mesh',
        '# Logs: journalctl -u inference-mesh',
        '[Install]',
        'WantedBy=multi-user.target',
      ]),
    );
    expect(unit.some((l) => l.startsWith('Description='))).toBe(true);
    expect(unit).toContain('Documentation=file:///usr/lib/node_modules/inference-mesh/README.md');
    // Never root (issue 16): a user of its own that owns the state directory; the config in /etc.
    expect(unit).toEqual(expect.arrayContaining(['DynamicUser=yes', 'StateDirectoryMode=0700', 'ConfigurationDirectory=inference-mesh']));
    expect(unit.filter((l) => /^User=/.test(l))).toEqual([]);
  });

  it('user: no StateDirectory or forced data dir, WantedBy=default.target, mentions linger and the user journal', () => {
    const text = renderSystemdUnit({ ...base, user: 'user' });
    const unit = lines(text);
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).not.toContain('WantedBy=multi-user.target');
    expect(unit.filter((l) => l.startsWith('StateDirectory='))).toEqual([]);
    expect(unit.filter((l) => /^(DynamicUser|ConfigurationDirectory)=/.test(l))).toEqual([]);
    expect(execStart(text)).not.toContain('--data-dir');
    expect(text).toContain('loginctl enable-linger');
    expect(text).toContain('journalctl --user -u inference-mesh');
  });

  it('an explicit data dir wins over the system default', () => {
    expect(execStart(renderSystemdUnit({ ...base, dataDir: '/srv/im' }))).toMatch(/ --data-dir \/srv\/im$/);
    expect(execStart(renderSystemdUnit({ ...base, args: ['start', '--data-dir', '/srv/x'] }))).not.toContain('/var/lib/inference-mesh');
  });

  it('quotes a path with spaces and escapes % and $, and the quoting round-trips', () => {
    const input = { ...base, nodePath: '/opt/node 20/bin/node', args: ['start', '--config', '/etc/100% sure/$HOME "x"\\y.json'] };
    const line = execStart(renderSystemdUnit(input));
    expect(line).toBe('"/opt/node 20/bin/node" --max-semi-space-size=4 --max-old-space-size=128 --v8-pool-size=1 /usr/lib/node_modules/inference-mesh/bin/inference-mesh.js start --config "/etc/100%% sure/$$HOME \\"x\\"\\\\y.json" --data-dir /var/lib/inference-mesh');
    expect(parseSystemdWords(line, { expandDollar: true })).toEqual([input.nodePath, ...AGENT_NODE_FLAGS, input.entry, ...input.args, '--data-dir', '/var/lib/inference-mesh']);
  });

  it('writes Environment= lines with % escaped', () => {
    const unit = lines(renderSystemdUnit({ ...base, env: { OLLAMA_HOST: ':11435', ODD: 'a b%c' } }));
    expect(unit).toContain('Environment="OLLAMA_HOST=:11435"');
    expect(unit).toContain('Environment="ODD=a b%%c"');
  });
});

describe('launchd plist', () => {
  const user = { ...base, user: 'user' as const, homeDir: '/Users/bob' };

  it('user: label, program arguments, run at load, restart on failure only, logs in ~/Library/Logs', () => {
    const plist = renderLaunchdPlist({ ...user, env: { OLLAMA_HOST: ':11435' } });
    assertWellFormedXml(plist);
    const compact = plist.replace(/\n\s*/g, '');
    expect(compact).toContain('<key>Label</key><string>com.inference-mesh.agent</string>');
    expect(compact).toContain(
      '<key>ProgramArguments</key><array><string>/usr/bin/node</string><string>--max-semi-space-size=4</string><string>--max-old-space-size=128</string><string>--v8-pool-size=1</string><string>/usr/lib/node_modules/inference-mesh/bin/inference-mesh.js</string><string>start</string><string>--config</string><string>/etc/inference-mesh/agent.config.json</string></array>',
    );
    expect(compact).toContain('<key>RunAtLoad</key><true/>');
    expect(compact).toContain('<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>');
    expect(compact).toContain('<key>StandardOutPath</key><string>/Users/bob/Library/Logs/inference-mesh/agent.log</string>');
    expect(compact).toContain('<key>StandardErrorPath</key><string>/Users/bob/Library/Logs/inference-mesh/agent.err.log</string>');
    expect(compact).toContain('<key>EnvironmentVariables</key><dict><key>OLLAMA_HOST</key><string>:11435</string></dict>');
  });

  it('system: logs in /Library/Logs', () => {
    const plist = renderLaunchdPlist(base);
    assertWellFormedXml(plist);
    expect(plist).toContain('<string>/Library/Logs/inference-mesh/agent.err.log</string>');
  });

  it('XML-escapes every value and stays well-formed', () => {
    const nasty = '/Users/bob & <alice>/"q" \'s/a.json';
    const plist = renderLaunchdPlist({ ...user, args: ['start', '--config', nasty], env: { 'K&<': 'v>"' } });
    assertWellFormedXml(plist);
    expect(plist).toContain('<string>/Users/bob &amp; &lt;alice&gt;/&quot;q&quot; &apos;s/a.json</string>');
    expect(plist).toContain('<key>K&amp;&lt;</key>');
    const strings = [...plist.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => xmlUnescape(m[1] ?? ''));
    expect(strings).toContain(nasty);
  });

  it('the tiny checker does catch what it should', () => {
    expect(() => assertWellFormedXml('<a><b></a></b>')).toThrow();
    expect(() => assertWellFormedXml('<a>x & y</a>')).toThrow();
    expect(() => assertWellFormedXml('<a><!-- a -- b --></a>')).toThrow();
  });
});

describe('Windows task', () => {
  const win: ServiceTemplateInput = {
    nodePath: 'C:\\Program Files\\nodejs\\node.exe',
    entry: 'C:\\Users\\bob\\AppData\\Roaming\\npm\\node_modules\\inference-mesh\\bin\\inference-mesh.js',
    args: ['start'],
    user: 'user',
    windowsUserId: 'GAMING-PC\\bob',
  };

  it('user: a logon task for that user, restart on failure, no time limit, runs node through cmd with the log redirect', () => {
    const xml = renderWindowsTask(win);
    assertWellFormedXml(xml);
    const compact = xml.replace(/\r\n\s*/g, '');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(true);
    expect(compact).toContain('<LogonTrigger><Enabled>true</Enabled><UserId>GAMING-PC\\bob</UserId></LogonTrigger>');
    expect(compact).toContain('<Principal id="Author"><UserId>GAMING-PC\\bob</UserId><LogonType>InteractiveToken</LogonType>');
    expect(compact).toContain('<RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>');
    expect(compact).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(compact).toContain('<Command>cmd.exe</Command>');
    const args = xmlUnescape(/<Arguments>([^<]*)<\/Arguments>/.exec(xml)?.[1] ?? '');
    expect(args).toBe(
      '/d /v:off /s /c ""C:\\Program Files\\nodejs\\node.exe" --max-semi-space-size=4 --max-old-space-size=128 --v8-pool-size=1 C:\\Users\\bob\\AppData\\Roaming\\npm\\node_modules\\inference-mesh\\bin\\inference-mesh.js start >> "%LOCALAPPDATA%\\inference-mesh\\agent.log" 2>&1"',
    );
    expect(xml).toMatch(/service wrapper would be better/);
  });

  it('system: an at-startup task as SYSTEM, logging into the explicit data dir', () => {
    const xml = renderWindowsTask({ ...win, user: 'system', dataDir: 'C:\\ProgramData\\inference-mesh' });
    assertWellFormedXml(xml);
    const compact = xml.replace(/\r\n\s*/g, '');
    expect(compact).toContain('<BootTrigger><Enabled>true</Enabled></BootTrigger>');
    expect(compact).toContain('<UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel>');
    expect(compact).not.toContain('LogonTrigger');
    expect(windowsTaskArguments({ ...win, user: 'system', dataDir: 'C:\\ProgramData\\inference-mesh' })).toContain(
      'start --data-dir C:\\ProgramData\\inference-mesh >> C:\\ProgramData\\inference-mesh\\agent.log 2>&1"',
    );
  });

  it('quotes paths with spaces for the program and keeps % and & literal through cmd.exe', () => {
    expect(windowsArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(windowsArg('plain')).toBe('plain');
    expect(windowsArg('')).toBe('""');
    expect(cmdCommandLine(['C:\\my 100%\\a&b.json'])).toBe('"C:\\my 100"^%"\\a&b.json"');
    expect(cmdCommandLine(['50%', 'x&y'])).toBe('50^% x^&y');
    expect(() => cmdCommandLine(['say "hi"'])).toThrow(/quote/);
    const xml = renderWindowsTask({ ...win, args: ['start', '--config', 'C:\\my 100%\\a&b.json'], env: { OLLAMA_HOST: ':11435' } });
    assertWellFormedXml(xml);
    expect(xmlUnescape(/<Arguments>([^<]*)<\/Arguments>/.exec(xml)?.[1] ?? '')).toContain('/s /c "set "OLLAMA_HOST=:11435"&& "C:\\Program Files');
    expect(xml).toContain('--config &quot;C:\\my 100&quot;^%&quot;\\a&amp;b.json&quot;');
  });

  it('refuses environment values cmd.exe cannot set literally', () => {
    expect(() => windowsTaskArguments({ ...win, env: { X: '100%' } })).toThrow(/cannot set X/);
  });
});
