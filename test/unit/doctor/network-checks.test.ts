import { describe, expect, it } from 'vitest';
import { FIREWALLD_FIX, checkMdnsFirewall, UFW_FIX, WINDOWS_FIX } from '../../../agent/doctor/checks/mdns-firewall.js';
import { checkMulticastRoute } from '../../../agent/doctor/checks/multicast-route.js';
import { checkWslNat, WSL_FIX } from '../../../agent/doctor/checks/wsl-nat.js';
import { ExecError } from '../../../agent/kernel/exec.js';
import { createFakeExec, ok } from '../../fakes/io.js';
import { config, fakeDeps, files, iface } from './fake-deps.js';

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
const MULTICAST_FIX = 'sudo ip route add 224.0.0.0/4 dev eth0 (make it permanent in your network configuration), or list peers in discovery.peers';

describe('checkMulticastRoute', () => {
  it('ok when ip route get names a device', async () => {
    const exec = createFakeExec({ ip: ok('multicast 224.0.0.251 dev eth0 src 192.168.1.20 uid 1000 \n    cache <mc> \n') });
    expect(await checkMulticastRoute(config(), fakeDeps({ exec }))).toMatchObject({ status: 'ok', detail: '224.0.0.251 goes out via eth0' });
    expect(exec.calls[0]?.args).toEqual(['route', 'get', '224.0.0.251']);
  });

  it('problem with the exact fix when the network is unreachable', async () => {
    const exec = createFakeExec({ ip: new ExecError('EXIT', 'ip failed: RTNETLINK answers: Network is unreachable', 'RTNETLINK answers: Network is unreachable\n') });
    expect(await checkMulticastRoute(config(), fakeDeps({ exec }))).toEqual({
      id: 'multicast-route',
      title: 'Multicast route (mDNS)',
      status: 'problem',
      detail: 'no route for multicast (224.0.0.251): mDNS cannot announce or find peers',
      fix: MULTICAST_FIX,
    });
  });

  it('reads /proc/net/route when iproute2 is missing', async () => {
    const withDefault = `${ROUTE_HEADER}\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n`;
    expect(await checkMulticastRoute(config(), fakeDeps({ readFile: files({ '/proc/net/route': withDefault }) }))).toMatchObject({ status: 'ok' });
    const localOnly = `${ROUTE_HEADER}\neth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`;
    expect(await checkMulticastRoute(config(), fakeDeps({ readFile: files({ '/proc/net/route': localOnly }) }))).toMatchObject({ status: 'problem', fix: MULTICAST_FIX });
  });

  it('skipped on other systems', async () => {
    expect((await checkMulticastRoute(config(), fakeDeps({ platform: 'darwin' }))).status).toBe('skipped');
  });

  it('skipped, with no command run, when mDNS discovery is off', async () => {
    const exec = createFakeExec({});
    expect(await checkMulticastRoute(config({ discovery: { mdns: { enabled: false } } }), fakeDeps({ exec }))).toMatchObject({
      status: 'skipped',
      detail: 'mDNS discovery is off (discovery.mdns.enabled)',
    });
    expect(exec.calls).toEqual([]);
  });

  // A socket pinned to an interface sends to the group through it (IP_MULTICAST_IF): a machine
  // with no multicast route at all still finds its peers (the new-owner lab of issue 17 showed the
  // old check reporting "cannot announce" there while the mesh formed).
  it('ok with no route when mDNS is pinned to an address of this machine', async () => {
    const exec = createFakeExec({ ip: new ExecError('EXIT', 'ip failed: RTNETLINK answers: Network is unreachable', 'RTNETLINK answers: Network is unreachable\n') });
    expect(await checkMulticastRoute(config({ discovery: { mdns: { interfaces: ['192.168.1.20'] } } }), fakeDeps({ exec }))).toEqual({
      id: 'multicast-route',
      title: 'Multicast route (mDNS)',
      status: 'ok',
      detail: 'mDNS is pinned to 192.168.1.20 (eth0): multicast goes out there, with no route needed',
    });
    expect(exec.calls).toEqual([]);
  });

  it('problem when a pinned address is not on this machine', async () => {
    const result = await checkMulticastRoute(config({ discovery: { mdns: { interfaces: ['192.168.1.20', '10.9.9.9'] } } }), fakeDeps());
    expect(result).toMatchObject({ status: 'problem', detail: 'mDNS is pinned to 10.9.9.9, which no interface of this machine has: mDNS cannot announce or find peers there' });
    expect(result.fix).toMatch(/discovery\.mdns\.interfaces/);
  });

  it('warn when mDNS is pinned to loopback only', async () => {
    expect(await checkMulticastRoute(config({ discovery: { mdns: { interfaces: ['127.0.0.1'] } } }), fakeDeps())).toMatchObject({
      status: 'warn',
      detail: 'mDNS is pinned to 127.0.0.1 (lo), which reaches only agents on this machine',
    });
  });
});

describe('checkMdnsFirewall', () => {
  it('warn with the ufw command when ufw is active without a 5353 rule', async () => {
    const exec = createFakeExec({ ufw: ok('Status: active\n\nTo                         Action      From\n--                         ------      ----\n22/tcp                     ALLOW       Anywhere\n') });
    expect(await checkMdnsFirewall(config(), fakeDeps({ exec }))).toMatchObject({ status: 'warn', fix: "sudo ufw allow 5353/udp comment 'mDNS (inference-mesh)'" });
    expect(UFW_FIX).toBe("sudo ufw allow 5353/udp comment 'mDNS (inference-mesh)'");
  });

  it('ok when ufw allows 5353/udp, or is inactive', async () => {
    const allowed = createFakeExec({ ufw: ok('Status: active\n\nTo Action From\n5353/udp ALLOW Anywhere\n') });
    expect((await checkMdnsFirewall(config(), fakeDeps({ exec: allowed }))).status).toBe('ok');
    const inactive = createFakeExec({ ufw: ok('Status: inactive\n') });
    expect(await checkMdnsFirewall(config(), fakeDeps({ exec: inactive }))).toMatchObject({ status: 'ok', detail: 'ufw is inactive' });
  });

  it('warn with the firewalld command when firewalld runs without mdns', async () => {
    const exec = createFakeExec({ 'firewall-cmd': ok('running\n') });
    // The fake answers every firewall-cmd call alike: "running" lists neither mdns nor 5353/udp.
    expect(await checkMdnsFirewall(config(), fakeDeps({ exec }))).toMatchObject({
      status: 'warn',
      fix: 'sudo firewall-cmd --permanent --add-service=mdns && sudo firewall-cmd --reload',
    });
    expect(FIREWALLD_FIX).toBe('sudo firewall-cmd --permanent --add-service=mdns && sudo firewall-cmd --reload');
  });

  it('warn with the netsh rule on Windows when the firewall is on; ok when off', async () => {
    const on = createFakeExec({ netsh: ok('\r\nPrivate Profile Settings:\r\n----------------------------------------------------------------------\r\nState                                 ON\r\nFirewall Policy                       BlockInbound,AllowOutbound\r\n') });
    const r = await checkMdnsFirewall(config(), fakeDeps({ platform: 'win32', exec: on }));
    expect(r).toMatchObject({ status: 'warn', fix: WINDOWS_FIX });
    expect(r.fix).toBe('in an administrator prompt: netsh advfirewall firewall add rule name="inference-mesh mDNS" dir=in action=allow protocol=UDP localport=5353');
    const off = createFakeExec({ netsh: ok('Public Profile Settings:\r\nState                                 OFF\r\n') });
    expect((await checkMdnsFirewall(config(), fakeDeps({ platform: 'win32', exec: off }))).status).toBe('ok');
  });

  it('skipped when no known firewall tool exists, or on macOS', async () => {
    expect((await checkMdnsFirewall(config(), fakeDeps())).status).toBe('skipped');
    expect((await checkMdnsFirewall(config(), fakeDeps({ platform: 'darwin' }))).status).toBe('skipped');
  });
});

describe('checkWslNat', () => {
  const wsl2 = files({ '/proc/version': 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) #1 SMP\n' });

  it('problem with the exact fix when wslinfo says nat', async () => {
    const r = await checkWslNat(config(), fakeDeps({ readFile: wsl2, exec: createFakeExec({ wslinfo: ok('nat\n') }) }));
    expect(r).toEqual({
      id: 'wsl-nat',
      title: 'WSL2 networking',
      status: 'problem',
      detail: 'WSL2 NAT networking: mDNS from the LAN does not reach this VM',
      fix: WSL_FIX,
    });
    expect(WSL_FIX).toBe(
      'set networkingMode=mirrored under [wsl2] in %UserProfile%\\.wslconfig (Windows 11 22H2 or later) and run wsl --shutdown, or use Tailscale or discovery.peers instead of mDNS',
    );
  });

  it('problem from eth0 in 172.16.0.0/12 when wslinfo is missing', async () => {
    const r = await checkWslNat(config(), fakeDeps({ readFile: wsl2, networkInterfaces: () => ({ eth0: [iface('172.24.96.5')] }) }));
    expect(r).toMatchObject({ status: 'problem', fix: WSL_FIX });
  });

  it('ok with mirrored networking (wslinfo, or LAN addresses in the VM)', async () => {
    expect((await checkWslNat(config(), fakeDeps({ readFile: wsl2, exec: createFakeExec({ wslinfo: ok('mirrored\n') }) }))).status).toBe('ok');
    expect((await checkWslNat(config(), fakeDeps({ readFile: wsl2 }))).status).toBe('ok');
  });

  it('skipped outside WSL', async () => {
    const native = files({ '/proc/version': 'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP\n' });
    expect((await checkWslNat(config(), fakeDeps({ readFile: native }))).status).toBe('skipped');
    expect((await checkWslNat(config(), fakeDeps({ platform: 'win32' }))).status).toBe('skipped');
  });
});
