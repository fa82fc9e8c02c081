/**
 * `inference-mesh status` as a readable table: pure formatting of a node advert, so it is tested
 * without a terminal.
 */
import { ALL_KINDS } from '../kernel/kinds.js';
import type { ServiceFacts } from '../kernel/shapes/facts.js';
import type { NodeAdvert } from '../../discovery/advert.js';
import type { GpuFacts } from '../kernel/shapes/facts.js';

export function formatStatus(advert: NodeAdvert, nowMs: number): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(11)}${value}`);
  };
  row('Node', `${advert.name} (${advert.nodeId.slice(0, 8)}) · agent ${advert.agentVersion} · port ${advert.port} · up ${formatDuration(nowMs - advert.startedAtMs)}`);

  const hw = advert.hardware;
  if (hw) {
    row('CPU', `${hw.cpu.model} · ${hw.cpu.cores} threads${hw.cpu.physicalCores ? ` / ${hw.cpu.physicalCores} cores` : ''}`);
    row('Memory', formatMb(hw.memTotalMb));
    row('OS', [hw.os.distro ?? hw.os.platform, hw.os.release, hw.os.arch].filter(Boolean).join(' '));
    if (hw.gpus.length === 0) row('GPU', 'none found');
    hw.gpus.forEach((gpu, i) => row(i === 0 ? 'GPU' : '', formatGpu(gpu)));
  } else {
    row('Hardware', probeNote(advert, 'hardware') ?? 'not probed yet');
  }

  const modelTable = (service: ServiceFacts, howToAdd: string): void => {
    if (service.models.length === 0) return row('', `no models (${howToAdd})`);
    const loaded = new Map(service.loaded.map((m) => [m.name, m]));
    const table = [
      ['MODEL', 'SIZE', 'FAMILY', 'PARAMS', 'QUANT', 'LOADED'],
      ...service.models.map((m) => {
        const l = loaded.get(m.name);
        return [m.name, m.sizeBytes === null ? '-' : formatBytes(m.sizeBytes), m.family ?? '-', m.parameterSize ?? '-', m.quantization ?? '-', l ? `yes, ${formatBytes(l.sizeVramBytes)} in VRAM` : '-'];
      }),
    ];
    const widths = table[0]?.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length))) ?? [];
    for (const r of table) lines.push(`  ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}`);
  };

  for (const d of ALL_KINDS) {
    const service = advert.services[d.id];
    if (!service) row(d.label, 'not probed (disabled or starting)');
    else if (service.state !== 'up') row(d.label, `${service.state} · ${service.reason ?? 'not probed yet'}`);
    else {
      row(d.label, `up${service.version ? ` · version ${service.version}` : ''} · ${service.url}`);
      if (d.traits.modelAware) modelTable(service, d.id === 'ollama' ? 'ollama pull <model>' : 'see its documentation');
    }
  }

  const act = advert.activity;
  if (act) {
    const procs = act.runningProcesses.length ? `running: ${act.runningProcesses.join(', ')}` : 'no watched process running';
    const load = act.gpuUtilizationPct === null ? 'GPU load unknown' : `GPU load ${act.gpuUtilizationPct} %`;
    row('Activity', `${procs} · ${load}`);
  }
  const failed = Object.entries(advert.probes).filter(([, s]) => s.ok === false);
  if (failed.length) for (const [name, s] of failed) row('Probe', `${name} failed: ${s.error ?? 'unknown error'}`);
  return lines.join('\n');
}

function probeNote(advert: NodeAdvert, probe: keyof NodeAdvert['probes']): string | null {
  const s = advert.probes[probe];
  return s?.ok === false ? `probe failed: ${s.error ?? 'unknown error'}` : null;
}

function formatGpu(gpu: GpuFacts): string {
  const parts = [`${vendorName(gpu.vendor)} ${gpu.model}`.replace(/^(\w+) \1 /i, '$1 ')];
  if (gpu.vramTotalMb !== null) parts.push(`VRAM ${gpu.vramUsedMb === null ? '?' : formatMb(gpu.vramUsedMb, false)} / ${formatMb(gpu.vramTotalMb)} used`);
  else parts.push('VRAM unknown');
  parts.push(gpu.utilizationPct === null ? 'load unknown' : `load ${gpu.utilizationPct} %`);
  return parts.join(' · ');
}

function vendorName(vendor: GpuFacts['vendor']): string {
  return { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel', apple: 'Apple', other: '' }[vendor];
}

export function formatMb(mb: number, withUnit = true): string {
  const gb = mb / 1024;
  const text = gb >= 1 ? gb.toFixed(1) : String(Math.round(mb));
  return withUnit ? `${text} ${gb >= 1 ? 'GB' : 'MB'}` : text;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const totalMin = Math.max(0, Math.floor(ms / 60_000));
  if (totalMin < 1) return `${Math.max(0, Math.floor(ms / 1000))} s`;
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const min = totalMin % 60;
  return [days ? `${days} d` : '', hours ? `${hours} h` : '', min ? `${min} min` : ''].filter(Boolean).join(' ');
}
