/**
 * bench/results/latest.svg: small multiples of horizontal bars, one panel per key figure,
 * one bar per contender (hand-written SVG, no chart library).
 */
import type { BenchResults } from './report';
import { median } from './report';
import { CONTENDERS, type ContenderId } from './scenarios';

const COLORS: Record<ContenderId, string> = {
  'voxplay-shared': '#1f6feb',
  'voxplay-message': '#6ea8fe',
  legacy: '#d9480f',
  scheduled: '#7950f2',
  wavtools: '#2b8a3e',
};

interface Panel {
  title: string;
  subtitle: string;
  unit: string;
  values: Record<ContenderId, number | null>;
  digits: number;
  /** Draw on a log10 axis (values spanning orders of magnitude). */
  log?: boolean;
  higherIsBetter?: boolean;
  /** voxplay's target, drawn as a dashed line. */
  target?: number;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function streamMedian(
  r: BenchResults,
  scenario: string,
  id: ContenderId,
  pick: (f: NonNullable<BenchResults['streams'][number]['figures']>) => number | null,
): number | null {
  const xs = r.streams
    .filter((s) => s.scenario === scenario && s.contender === id && s.figures)
    .map((s) => pick(s.figures!))
    .filter((x): x is number => typeof x === 'number');
  return median(xs);
}

function sumOver(
  r: BenchResults,
  scenarios: string[],
  id: ContenderId,
  pick: (f: NonNullable<BenchResults['streams'][number]['figures']>) => number | null,
): number | null {
  let total = 0;
  for (const s of scenarios) {
    const v = streamMedian(r, s, id, pick);
    if (v === null) return null;
    total += v;
  }
  return total;
}

function per(fn: (id: ContenderId) => number | null): Record<ContenderId, number | null> {
  const out = {} as Record<ContenderId, number | null>;
  for (const c of CONTENDERS) out[c.id] = fn(c.id);
  return out;
}

function panels(r: BenchResults): Panel[] {
  const out: Panel[] = [];
  const at24 = ['fast', 'jitter', 'stall', 'tiny', 'large'];
  const noStall = ['fast', 'jitter', 'tiny', 'large'];
  if (r.streams.length > 0) {
    out.push({
      title: 'Gap time',
      subtitle: 'sum over fast, jitter, tiny, large (24 kHz; the 500 ms stall is left out), ms',
      unit: 'ms',
      values: per((id) => sumOver(r, noStall, id, (f) => f.gapMs)),
      digits: 0,
    });
    out.push({
      title: 'Discontinuities (clicks)',
      subtitle: 'sum over the 5 scenarios at 24 kHz',
      unit: '',
      values: per((id) => sumOver(r, at24, id, (f) => f.discontinuities)),
      digits: 0,
    });
    out.push({
      title: 'Samples lost or duplicated',
      subtitle: 'sum of |lost/dup| over the 5 scenarios at 24 kHz',
      unit: '',
      values: per((id) => sumOver(r, at24, id, (f) => (f.lostDup === null ? null : Math.abs(f.lostDup)))),
      digits: 0,
    });
    out.push({
      title: 'Added latency, fast producer',
      subtitle: 'first frame received → first audible sample, ms',
      unit: 'ms',
      values: per((id) => streamMedian(r, 'fast', id, (f) => f.latencyMs)),
      digits: 1,
    });
    out.push({
      title: 'Interrupt → silence',
      subtitle: 'ms from the call (a hard stop is instant but clicks)',
      unit: 'ms',
      values: per((id) => streamMedian(r, 'interrupt', id, (f) => f.interruptToSilenceMs)),
      digits: 1,
    });
    out.push({
      title: 'Stale audio after interrupt',
      subtitle: 'ms of late frames still played',
      unit: 'ms',
      values: per((id) => streamMedian(r, 'interrupt', id, (f) => f.staleMs)),
      digits: 0,
    });
  }
  if (r.cpu.length > 0) {
    out.push({
      title: 'Main-thread time per 40 ms frame',
      subtitle: 'µs, log scale',
      unit: 'µs',
      values: per((id) => (r.cpu.find((c) => c.kind === id)?.perFrameMs ?? NaN) * 1000 || null),
      digits: 1,
      log: true,
    });
  }
  if (r.speed.length > 0) {
    out.push({
      title: 'Offline render speed, 24 → 48 kHz',
      subtitle: '× real time, higher is better (target ≥ 300×)',
      unit: '×',
      values: per((id) => median(r.speed.filter((s) => s.kind === id && s.contextRate === 48000).map((s) => s.speed))),
      digits: 0,
      higherIsBetter: true,
      target: 300,
    });
  }
  if (r.memory.length > 0) {
    out.push({
      title: 'JS heap after 10 min of audio',
      subtitle: 'KB after gc() (growth 1→10 min in the table)',
      unit: 'KB',
      values: per((id) => median(r.memory.filter((m) => m.kind === id).map((m) => (m.readings.find((x) => x.minute === m.minutes)?.heap ?? NaN) / 1024))),
      digits: 0,
    });
  }
  if (r.sizes) {
    const s = r.sizes;
    out.push({
      title: 'Bundle size, min+gzip',
      subtitle: 'KB (voxplay: library + worklet; target ≤ 8 KB)',
      unit: 'KB',
      values: {
        'voxplay-shared': s.voxplay.total.gzip / 1024,
        'voxplay-message': s.voxplay.total.gzip / 1024,
        legacy: s.legacy.gzip / 1024,
        scheduled: s.scheduled.gzip / 1024,
        wavtools: s.wavtools.gzip / 1024,
      },
      digits: 1,
      target: 8,
    });
  }
  return out;
}

export function renderSvg(r: BenchResults): string {
  const list = panels(r);
  const cols = 2;
  const panelW = 560;
  const barH = 22;
  const gap = 6;
  const labelW = 170;
  const valueW = 80;
  const panelH = 60 + CONTENDERS.length * (barH + gap) + 24;
  const top = 70;
  const width = cols * panelW + 40;
  const height = top + Math.ceil(list.length / cols) * panelH + 20;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="20" y="32" font-size="22" font-weight="bold" fill="#111">voxplay vs. the designs it replaces</text>`);
  parts.push(
    `<text x="20" y="54" font-size="13" fill="#555">${esc(`npm run bench, ${r.date.slice(0, 10)}, headless Chromium ${r.env.chromium}; medians of ${r.runs} run(s); lower is better unless marked. Details: bench/results/latest.md`)}</text>`,
  );
  list.forEach((p, i) => {
    const x0 = 20 + (i % cols) * panelW;
    const y0 = top + Math.floor(i / cols) * panelH;
    parts.push(`<g transform="translate(${x0},${y0})">`);
    parts.push(`<rect x="0" y="0" width="${panelW - 20}" height="${panelH - 12}" rx="6" fill="#f8f9fa" stroke="#dee2e6"/>`);
    parts.push(`<text x="12" y="22" font-size="15" font-weight="bold" fill="#111">${esc(p.title)}</text>`);
    parts.push(`<text x="12" y="40" font-size="12" fill="#666">${esc(p.subtitle)}</text>`);
    const vals = Object.values(p.values).filter((v): v is number => v !== null && Number.isFinite(v));
    const max = Math.max(...vals, p.target ?? 0, 0);
    const minPos = Math.min(...vals.filter((v) => v > 0), Infinity);
    const barMax = panelW - 20 - labelW - valueW - 24;
    const scale = (v: number): number => {
      if (v <= 0 || max <= 0) return 0;
      if (p.log) {
        const lo = Math.log10(Math.min(minPos, max) / 2);
        const hi = Math.log10(max);
        return hi > lo ? ((Math.log10(v) - lo) / (hi - lo)) * barMax : barMax;
      }
      return (v / max) * barMax;
    };
    CONTENDERS.forEach((c, k) => {
      const y = 52 + k * (barH + gap);
      const v = p.values[c.id];
      parts.push(`<text x="${labelW}" y="${y + barH * 0.7}" font-size="12.5" text-anchor="end" fill="#222">${esc(c.label)}</text>`);
      if (v === null || !Number.isFinite(v)) {
        parts.push(`<text x="${labelW + 10}" y="${y + barH * 0.7}" font-size="12" fill="#999">n/a</text>`);
        return;
      }
      const w = Math.max(v > 0 ? 2 : 0, scale(v));
      parts.push(`<rect x="${labelW + 8}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="3" fill="${COLORS[c.id]}"/>`);
      const text = `${v.toLocaleString('en-US', { maximumFractionDigits: p.digits, minimumFractionDigits: p.digits })}${p.unit && p.unit !== '×' ? ` ${p.unit}` : p.unit}`;
      parts.push(`<text x="${labelW + 14 + w}" y="${y + barH * 0.7}" font-size="12.5" fill="#111">${esc(text)}</text>`);
    });
    if (p.target !== undefined && max > 0) {
      const tx = labelW + 8 + scale(p.target);
      const y1 = 48;
      const y2 = 52 + CONTENDERS.length * (barH + gap) - gap + 4;
      parts.push(`<line x1="${tx.toFixed(1)}" y1="${y1}" x2="${tx.toFixed(1)}" y2="${y2}" stroke="#c92a2a" stroke-width="1.5" stroke-dasharray="5,4"/>`);
      parts.push(
        `<text x="${(tx + 4).toFixed(1)}" y="${y2 + 1}" font-size="11" fill="#c92a2a">target ${p.target}${p.unit === '×' ? '×' : ` ${p.unit}`}</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
