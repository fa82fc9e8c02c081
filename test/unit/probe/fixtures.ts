/** Fixture outputs shared by the probe tests, shaped like what the real programs and drivers write. */

const drm = '/sys/class/drm';

/**
 * A desktop with an Intel iGPU (i915: no VRAM or busy files), a Radeon RX 7900 XTX (amdgpu), an
 * NVIDIA card (left to nvidia-smi), an Instinct with a product_name, connectors, render nodes and
 * DRM's `version` file. Values are what those drivers write, newline included.
 */
export const desktopSysfs: Record<string, string> = {
  [`${drm}/version`]: 'drm 1.1.0 20060810\n',
  // Intel UHD 770 (i915).
  [`${drm}/card0/device/vendor`]: '0x8086\n',
  [`${drm}/card0/device/device`]: '0x4680\n',
  [`${drm}/card0/device/uevent`]: 'DRIVER=i915\nPCI_CLASS=30000\nPCI_ID=8086:4680\nPCI_SLOT_NAME=0000:00:02.0\n',
  [`${drm}/card0-HDMI-A-1/status`]: 'connected\n',
  // Radeon RX 7900 XTX (amdgpu); consumer cards have an empty product_name.
  [`${drm}/card1/device/vendor`]: '0x1002\n',
  [`${drm}/card1/device/device`]: '0x744C\n',
  [`${drm}/card1/device/product_name`]: '\n',
  [`${drm}/card1/device/uevent`]:
    'DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:744C\nPCI_SUBSYS_ID=1EAE:7901\nPCI_SLOT_NAME=0000:03:00.0\nMODALIAS=pci:v00001002d0000744Csv00001EAEsd00007901bc03sc00i00\n',
  [`${drm}/card1/device/mem_info_vram_total`]: '25753026560\n',
  [`${drm}/card1/device/mem_info_vram_used`]: '1610612736\n',
  [`${drm}/card1/device/gpu_busy_percent`]: '42\n',
  [`${drm}/card1-DP-1/status`]: 'disconnected\n',
  [`${drm}/card1-DP-2/status`]: 'connected\n',
  // NVIDIA (nouveau or nvidia-drm): nvidia-smi reports it instead.
  [`${drm}/card2/device/vendor`]: '0x10de\n',
  [`${drm}/card2/device/device`]: '0x2684\n',
  [`${drm}/card2/device/uevent`]: 'DRIVER=nvidia\nPCI_SLOT_NAME=0000:01:00.0\n',
  // AMD Instinct MI210: server boards fill product_name from the FRU EEPROM.
  [`${drm}/card10/device/vendor`]: '0x1002\n',
  [`${drm}/card10/device/device`]: '0x740f\n',
  [`${drm}/card10/device/product_name`]: 'AMD Instinct MI210\n',
  [`${drm}/card10/device/uevent`]: 'DRIVER=amdgpu\nPCI_SLOT_NAME=0000:c1:00.0\n',
  [`${drm}/card10/device/mem_info_vram_total`]: '68702699520\n',
  [`${drm}/card10/device/mem_info_vram_used`]: '11862016\n',
  [`${drm}/card10/device/gpu_busy_percent`]: '0\n',
  [`${drm}/renderD128/dev`]: '226:128\n',
  [`${drm}/renderD129/dev`]: '226:129\n',
};

// Shaped like real `nvidia-smi --query-gpu=name,pci.bus_id,memory.total,memory.used,utilization.gpu
// --format=csv,noheader,nounits` output: `, ` separators, 8-digit PCI domain, MiB, percent.
export const nvidiaSmiTwoGpus =
  'NVIDIA GeForce RTX 4090, 00000000:01:00.0, 24564, 1843, 37\n' +
  'NVIDIA GeForce RTX 3060, 00000000:0A:00.0, 12288, 0, 0\n';
export const nvidiaSmiNotAvailable =
  'NVIDIA GeForce MX450, 00000000:2B:00.0, 2048, [N/A], [N/A]\n' +
  'NVIDIA GH200 480GB, 00000009:01:00.0, [N/A], N/A, [Not Supported]\n' +
  '[N/A], , , , \n';
export const nvidiaSmiWindowsCrlf = 'NVIDIA GeForce RTX 3080, 00000000:01:00.0, 10240, 812, 4\r\n\r\n';

/** `tasklist /fo csv /nh` on Windows 11: quoted CSV, CRLF, thousands separators inside quotes. */
export const tasklistCsv =
  '"System Idle Process","0","Services","0","8 K"\r\n' +
  '"System","4","Services","0","144 K"\r\n' +
  '"svchost.exe","1220","Services","0","12,840 K"\r\n' +
  '"steam.exe","10412","Console","1","52,312 K"\r\n' +
  '"cs2.exe","22120","Console","1","3,145,728 K"\r\n' +
  '"ollama app.exe","9876","Console","1","25,004 K"\r\n';

/** `ps -axo comm=` on macOS: full executable paths, some with spaces; login shells start with `-`. */
export const psCommMacos = [
  '/sbin/launchd',
  '/usr/libexec/logd',
  '/Applications/Steam.app/Contents/MacOS/steam_osx',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Ollama.app/Contents/Resources/ollama',
  '-zsh',
  '',
].join('\n');

/**
 * A Linux /proc: systemd, a kernel thread (empty cmdline), Steam, a Proton game whose comm is cut
 * to 15 characters and whose argv[0] is a Windows path, Ollama, and non-process entries.
 */
export const linuxProc: Record<string, string> = {
  '/proc/1/comm': 'systemd\n',
  '/proc/1/cmdline': '/sbin/init\0splash\0',
  '/proc/2/comm': 'kthreadd\n',
  '/proc/2/cmdline': '',
  '/proc/3105/comm': 'steam\n',
  '/proc/3105/cmdline': '/home/ana/.local/share/Steam/ubuntu12_32/steam\0-srt-logger-opened\0',
  '/proc/4242/comm': 'RocketLeague.ex\n',
  '/proc/4242/cmdline':
    'C:\\Program Files (x86)\\Steam\\steamapps\\common\\rocketleague\\Binaries\\Win64\\RocketLeague.exe\0-nomovie\0',
  '/proc/5120/comm': 'ollama\n',
  '/proc/5120/cmdline': '/usr/local/bin/ollama\0serve\0',
  '/proc/meminfo': 'MemTotal:       32768000 kB\n',
  '/proc/sys/kernel/hostname': 'gaming-pc\n',
  '/proc/self/comm': 'node\n',
};
