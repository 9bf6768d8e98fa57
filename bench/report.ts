/**
 * Turns the bench's raw results into the table (absolute values, ratios to voxplay, PASS/MISS
 * against voxplay's targets), the notes and the caveats of bench/results/latest.md.
 */
import { DEFAULT_HALF_TAPS } from '../src/dsp/resampler';
import type { BreakdownRow } from './bundle-breakdown';
import type { BundleSizes } from './bundle-size';
import { CONTENDERS, SCENARIOS, SEND_AFTER_INTERRUPT_MS, type ContenderId, type RunResult } from './scenarios';
import { SIGNAL_SECONDS, SOURCE_RATE } from './signal';
import { MIN_GAP_MS, SILENCE, INTERRUPT_SILENCE_MS } from './analyze';

/** Render-speed targets by context rate (issue 26: 44.1 kHz ≥ 300× in the same run as 48 kHz ≥ 350×). */
const RENDER_TARGET: Record<number, number> = { 48000: 350, 44100: 300 };

export interface CpuResult {
  kind: string;
  frames: number;
  frameSamples: number;
  perFrameMs: number;
  passesMs: number[];
  mbPerS: number;
  wireBytes: number;
  pcmBytes: number;
  breakdown: Record<string, number>;
  errors?: string[];
}

export interface SpeedResult {
  kind: string;
  contextRate: number;
  seconds: number;
  ms: number;
  speed: number;
  active: number;
  expected: number;
  info: Record<string, unknown>;
  run: number;
}

export interface MemoryResult {
  kind: string;
  minutes: number;
  before: number | null;
  readings: { minute: number; heap: number | null }[];
  ms: number;
  active: number;
  expected: number;
  info: Record<string, unknown>;
  run: number;
}

export interface BenchResults {
  date: string;
  runs: number;
  env: {
    chromium: string;
    node: string;
    cpus: number;
    cpuModel: string;
    loadAverageStart: number;
    loadAverageEnd: number;
    clock: { sampleRate: number; baseLatency: number; outputLatency: number; steps: [number, number][] }[];
  };
  streams: RunResult[];
  retries: { scenario: string; contender: string; run: number; deliveryLateMs: number }[];
  cpu: CpuResult[];
  speed: SpeedResult[];
  nodeSpeed: { inRate: number; outRate: number; resampler: number | null; engine: number | null; error?: string }[];
  memory: MemoryResult[];
  /** Decode cost per format: ms per second of audio, median over runs (bench/pages/decode.js). */
  decode: { format: string; seconds: number; msPerSecond: number | null; errors: string[] }[];
  sizes: BundleSizes;
  sizeBreakdown: BreakdownRow[];
  durationS: number;
}

// ---------------------------------------------------------------------------------------------

export const PREBUFFER_MS = 60;
export const FADE_MS = 5;
const IDS: ContenderId[] = CONTENDERS.map((c) => c.id);
const VOX: ContenderId[] = ['voxplay-shared', 'voxplay-message'];

export function median(xs: number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

type Value = number | null;

interface Row {
  section?: string;
  figure: string;
  values: Record<ContenderId, Value>;
  /** Text for cells whose value is null. */
  na?: Partial<Record<ContenderId, string>>;
  digits: number;
  unit?: string;
  /** Ratio of |value| to voxplay (SAB)'s. */
  ratio: boolean;
  target?: string;
  /** Does voxplay (this transport) meet the target? */
  check?: (v: number, id: ContenderId) => boolean;
}

function streamValues(results: BenchResults, scenario: string, pick: (r: RunResult) => number | null | undefined): Record<ContenderId, Value> {
  const out = {} as Record<ContenderId, Value>;
  for (const id of IDS) {
    const xs = results.streams
      .filter((r) => r.scenario === scenario && r.contender === id && r.figures)
      .map((r) => pick(r))
      .filter((x): x is number => typeof x === 'number');
    out[id] = median(xs);
  }
  return out;
}

function naFor(results: BenchResults, scenario: string): Partial<Record<ContenderId, string>> {
  const na: Partial<Record<ContenderId, string>> = {};
  for (const id of IDS) {
    const r = results.streams.find((s) => s.scenario === scenario && s.contender === id);
    if (r && !r.figures) na[id] = 'n/a';
  }
  return na;
}

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return String(v);
  const rounded = Number(v.toFixed(digits));
  return (Object.is(rounded, -0) ? 0 : rounded).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratioText(v: number, ref: number): string {
  const a = Math.abs(v);
  const b = Math.abs(ref);
  if (b === 0) return a === 0 ? '=' : '∞';
  const r = a / b;
  if (r === 0) return '×0';
  return `×${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(1)}`;
}

function cell(row: Row, id: ContenderId): string {
  const v = row.values[id];
  if (v === null || v === undefined) return row.na?.[id] ?? 'n/a';
  let text = fmt(v, row.digits);
  if (row.ratio && id !== 'voxplay-shared') {
    const ref = row.values['voxplay-shared'];
    if (ref !== null && ref !== undefined) text += ` (${ratioText(v, ref)})`;
  }
  return text;
}

function verdict(row: Row): { text: string; misses: ContenderId[] } {
  if (!row.check) return { text: '', misses: [] };
  const misses: ContenderId[] = [];
  let any = false;
  for (const id of VOX) {
    const v = row.values[id];
    if (v === null || v === undefined) continue;
    any = true;
    if (!row.check(v, id)) misses.push(id);
  }
  if (!any) return { text: 'no data', misses: [] };
  if (misses.length === 0) return { text: 'PASS', misses };
  if (misses.length === VOX.length) return { text: '**MISS**', misses };
  return { text: `**MISS** (${misses.map((m) => (m === 'voxplay-shared' ? 'SAB' : 'postMessage')).join(', ')})`, misses };
}

const quantumMs = (rate: number) => (128 * 1000) / rate;

function buildRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const hasStreams = results.streams.length > 0;
  if (hasStreams) {
    for (const sc of SCENARIOS) {
      const na = naFor(results, sc.id);
      const section = `${sc.label}${sc.onTime ? '' : ' (late delivery: no target)'}`;
      const onTime = sc.onTime;
      const zero = (v: number) => v === 0;
      const isCut = sc.interruptAfterMs !== undefined;
      rows.push({
        section,
        figure: isCut ? 'gaps before the cut (count)' : 'gaps (count)',
        values: streamValues(results, sc.id, (r) => r.figures?.gaps),
        na,
        digits: 0,
        ratio: true,
        target: onTime ? '0' : undefined,
        check: onTime ? zero : undefined,
      });
      rows.push({
        figure: 'gap time (ms)',
        values: streamValues(results, sc.id, (r) => r.figures?.gapMs),
        na,
        digits: 1,
        ratio: true,
        target: onTime ? '0' : undefined,
        check: onTime ? zero : undefined,
      });
      rows.push({
        figure: isCut ? 'discontinuities (clicks), incl. the cut' : 'discontinuities (clicks)',
        values: streamValues(results, sc.id, (r) => r.figures?.discontinuities),
        na,
        digits: 0,
        ratio: true,
        target: onTime ? '0' : undefined,
        check: onTime ? zero : undefined,
      });
      if (!isCut) {
        rows.push({
          figure: 'samples lost (−) / duplicated (+)',
          values: streamValues(results, sc.id, (r) => r.figures?.lostDup),
          na,
          digits: 0,
          ratio: true,
          target: onTime ? '0 (exact)' : undefined,
          check: onTime ? zero : undefined,
        });
      }
      const bound = PREBUFFER_MS + quantumMs(sc.contextRate) + 5;
      rows.push({
        figure: 'added latency: first frame received → first audible sample (ms)',
        values: streamValues(results, sc.id, (r) => r.figures?.latencyMs),
        na,
        digits: 1,
        ratio: true,
        target: onTime ? `≤ ${fmt(bound, 1)} (prebuffer ${PREBUFFER_MS} + quantum ${fmt(quantumMs(sc.contextRate), 1)} + 5)` : undefined,
        check: onTime ? (v) => v <= bound : undefined,
      });
      if (isCut) {
        rows.push({
          figure: 'interrupt → silence (ms)',
          values: streamValues(results, sc.id, (r) => r.figures?.interruptToSilenceMs),
          na,
          digits: 1,
          ratio: true,
          target: `≤ ${FADE_MS + 3} (fadeMs ${FADE_MS} + 3)`,
          check: (v) => v <= FADE_MS + 3,
        });
        rows.push({
          figure: `stale audio played after the cut (ms; server sends ${SEND_AFTER_INTERRUPT_MS} ms more)`,
          values: streamValues(results, sc.id, (r) => r.figures?.staleMs),
          na,
          digits: 1,
          ratio: true,
        });
      }
    }
  }

  if (results.cpu.length > 0) {
    const cpu = (kind: string) => results.cpu.find((c) => c.kind === kind);
    const values = (pick: (c: CpuResult) => number): Record<ContenderId, Value> => {
      const out = {} as Record<ContenderId, Value>;
      for (const id of IDS) {
        const c = cpu(id);
        out[id] = c ? pick(c) : null;
      }
      return out;
    };
    const legacy = cpu('legacy');
    rows.push({
      section: 'Main thread, per received 40 ms frame (in-page; one frame per task, as a WebSocket delivers them; median of all passes)',
      figure: 'time per frame (µs); voxplay: socket frame → decode → ring',
      values: values((c) => c.perFrameMs * 1000),
      digits: 1,
      ratio: true,
      target: '≥ 10× less than legacy',
      check: (v) => (legacy ? (legacy.perFrameMs * 1000) / v >= 10 : false),
    });
    rows.push({
      figure: 'ingest rate (MB/s of PCM16 audio)',
      values: values((c) => c.mbPerS),
      digits: 1,
      ratio: true,
    });
  }

  if (results.speed.length > 0) {
    const speedOf = (kind: string, rate: number) => median(results.speed.filter((s) => s.kind === kind && s.contextRate === rate).map((s) => s.speed));
    const names: [number, string][] = [
      [24000, '24 kHz → 24 kHz (no resampling)'],
      [48000, '24 kHz → 48 kHz'],
      [44100, '24 kHz → 44.1 kHz'],
    ];
    let first = true;
    for (const [rate, name] of names) {
      const values = {} as Record<ContenderId, Value>;
      for (const id of IDS) values[id] = id === 'legacy' ? null : speedOf(id, rate);
      const resampled = rate !== SOURCE_RATE;
      rows.push({
        section: first ? 'Audio thread: OfflineAudioContext render speed, 60 s of audio (× real time, higher is better)' : undefined,
        figure: name,
        values,
        na: { legacy: 'n/a', ...(resampled ? { wavtools: 'n/a' } : {}) },
        digits: 0,
        ratio: true,
        target: resampled ? `≥ ${RENDER_TARGET[rate]}×` : undefined,
        check: resampled ? (v) => v >= RENDER_TARGET[rate] : undefined,
      });
      first = false;
    }
  }

  if (results.memory.length > 0) {
    const heapAt = (kind: string, minute: number) =>
      median(results.memory.filter((m) => m.kind === kind).map((m) => (m.readings.find((r) => r.minute === minute)?.heap ?? NaN) / 1024));
    const growth = (kind: string) =>
      median(
        results.memory
          .filter((m) => m.kind === kind)
          .map((m) => {
            const a = m.readings.find((r) => r.minute === 1)?.heap;
            const b = m.readings.find((r) => r.minute === m.minutes)?.heap;
            return a != null && b != null ? (b - a) / 1024 : NaN;
          }),
      );
    let first = true;
    for (const minute of [1, 5, 10]) {
      const values = {} as Record<ContenderId, Value>;
      for (const id of IDS) values[id] = id === 'legacy' ? null : heapAt(id, minute);
      rows.push({
        section: first ? 'Memory: main-thread JS heap after gc() while 10 min of audio stream through (KB)' : undefined,
        figure: `heap at ${minute} min`,
        values,
        digits: 0,
        ratio: true,
      });
      first = false;
    }
    const values = {} as Record<ContenderId, Value>;
    for (const id of IDS) values[id] = id === 'legacy' ? null : growth(id);
    rows.push({ figure: 'growth 1 → 10 min', values, digits: 0, ratio: false, target: 'no growth (≤ 64 KB)', check: (v) => v <= 64 });
  }

  if (results.sizes) {
    const s = results.sizes;
    const values: Record<ContenderId, Value> = {
      'voxplay-shared': s.voxplay.total.gzip / 1024,
      'voxplay-message': s.voxplay.total.gzip / 1024,
      legacy: s.legacy.gzip / 1024,
      scheduled: s.scheduled.gzip / 1024,
      wavtools: s.wavtools.gzip / 1024,
    };
    rows.push({
      section: 'Bundle size (esbuild minify + gzip -9, KB)',
      figure: 'library + worklet, min+gzip (voxplay: dist/voxplay.js + dist/playback-processor.js)',
      values,
      digits: 1,
      ratio: true,
      // Issue 26's core goal (KB here are KiB: bytes / 1024).
      target: '≤ 16 KB',
      check: (v) => v <= 16,
    });
    const shaken = (s.voxplay.streamPlayerOnly.gzip + s.voxplay.worklet.gzip) / 1024;
    rows.push({
      figure: 'voxplay tree-shaken to StreamPlayer only + worklet',
      values: { 'voxplay-shared': shaken, 'voxplay-message': shaken, legacy: null, scheduled: null, wavtools: null },
      na: { legacy: '', scheduled: '', wavtools: '' },
      digits: 1,
      ratio: false,
    });
  }
  return rows;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function renderTable(rows: Row[]): { table: string; misses: { row: Row; misses: ContenderId[] }[] } {
  const header = ['Scenario / figure', ...CONTENDERS.map((c) => c.label), 'voxplay target', 'voxplay'];
  const lines = [
    `| ${header.map(escapeCell).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ':---' : i <= CONTENDERS.length ? '---:' : ':---')).join('|')}|`,
  ];
  const misses: { row: Row; misses: ContenderId[] }[] = [];
  for (const row of rows) {
    if (row.section) lines.push(`| **${escapeCell(row.section)}** |${' |'.repeat(header.length - 1)}`);
    const v = verdict(row);
    if (v.misses.length > 0) misses.push({ row, misses: v.misses });
    lines.push(`| ${[row.figure, ...IDS.map((id) => cell(row, id)), row.target ?? '', v.text].map(escapeCell).join(' | ')} |`);
  }
  return { table: lines.join('\n'), misses };
}

// ---------------------------------------------------------------------------------------------

function sectionOf(rows: Row[], row: Row): string {
  let section = '';
  for (const r of rows) {
    if (r.section) section = r.section;
    if (r === row) return section;
  }
  return section;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export function buildReport(results: BenchResults): { markdown: string; table: string } {
  const rows = buildRows(results);
  const { table, misses } = renderTable(rows);
  const md: string[] = [];
  const env = results.env;
  md.push('# voxplay benchmark');
  md.push('');
  md.push(
    `\`npm run bench\`, ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${results.durationS.toFixed(0)} s. Headless Chromium ${env.chromium}, Node ${env.node}, ` +
      `${env.cpus} × ${env.cpuModel}, load average ${env.loadAverageStart.toFixed(1)} at the start and ${env.loadAverageEnd.toFixed(1)} at the end. ` +
      `Every figure is the median of ${results.runs} run(s); each streaming run is a fresh page fed over a local WebSocket.`,
  );
  md.push('');
  md.push(
    `Cells: absolute value, and in parentheses the ratio of its magnitude to voxplay (SharedArrayBuffer transport) — ` +
      '`=` both zero, `∞` voxplay zero and the contender not. Lower is better except render speed and ingest rate. ' +
      `The stream is ${SIGNAL_SECONDS} s of a 440 Hz sine then a 300→1200 Hz chirp (5 ms fades at the ends), PCM16 at ${SOURCE_RATE / 1000} kHz; ` +
      `voxplay runs with its defaults (prebufferMs ${PREBUFFER_MS}, fadeMs ${FADE_MS}). All stream figures come from the captured output ` +
      '(a recorder worklet between the player and the destination), not from the players.',
  );
  md.push('');
  md.push(table);
  md.push('');

  // ---- notes ----
  md.push('## Notes');
  md.push('');
  // voxplay runs with gaps or clicks in on-time scenarios, whatever the median says.
  const flagged = results.streams.filter((r) => {
    const sc = SCENARIOS.find((s) => s.id === r.scenario)!;
    const f = r.figures;
    return VOX.includes(r.contender) && sc.onTime && f && (f.gaps > 0 || f.discontinuities > 0 || (f.lostDup !== null && f.lostDup !== 0));
  });
  if (flagged.length > 0) {
    md.push('- voxplay runs of on-time scenarios with a gap, a click or a sample-count error (the table shows medians):');
    for (const r of flagged) {
      const f = r.figures!;
      md.push(
        `  - ${r.scenario}, ${r.contender}, run ${r.run + 1}: ${f.gaps} gap(s) ${f.gapMs.toFixed(1)} ms at ${JSON.stringify(f.gapAtMs)} ms, ${f.discontinuities} click(s) at ${JSON.stringify(f.discontinuityAtMs)} ms (worst step ${f.worstStepRatio.toFixed(2)}× the threshold), lost/dup ${f.lostDup}; ` +
          `messages up to ${r.deliveryLateMs?.toFixed(0)} ms late vs the send schedule, smallest lead of a message over its play time ${f.minSlackMs?.toFixed(1)} ms` +
          (f.minSlackMs !== null && f.minSlackMs < 0 ? ' (negative: that message arrived after voxplay needed it — late delivery, not a player fault)' : '') +
          (f.skippedInside > 0 ? `; the context skipped ${f.skippedInside} frames inside the utterance` : ''),
      );
    }
  } else if (results.streams.length > 0) {
    md.push('- No voxplay run of an on-time scenario had a gap, a click or a sample-count error (every run, not just the medians).');
  }
  for (const id of ['jitter', 'stall']) {
    const runs = results.streams.filter((r) => r.scenario === id && VOX.includes(r.contender) && r.figures);
    if (runs.length === 0) continue;
    const gaps = runs.map((r) => r.figures!.gaps);
    const clicks = runs.reduce((n, r) => n + r.figures!.discontinuities, 0);
    const counts = runs.map((r) => (r.extra as { counts?: { received: number; played: number } }).counts).filter((x) => x);
    const allPlayed = counts.length > 0 && counts.every((x) => x!.played === x!.received);
    md.push(
      `- ${id === 'jitter' ? 'Jitter (±80 ms)' : '500 ms stall'}, voxplay (both transports, ${runs.length} runs): ${gaps.join(', ')} gap(s) per run — ` +
        (id === 'jitter'
          ? 'with ±80 ms jitter a frame can come up to 160 ms later than the timing of the one before it, more than the default 60 ms prebuffer covers; after each underrun adaptivePrebuffer waits 20 ms longer before resuming (for the rest of the utterance and the next ones), so gaps grow fewer as it goes; '
          : 'the stall is longer than any prebuffer; ') +
        `${clicks} click(s) in all, because voxplay fades out and back in at an underrun; ` +
        (allPlayed
          ? "every received sample was played (voxplay's own count agrees; a lost/dup of a few samples there is fade samples below the silence threshold counted into the gap)."
          : 'see latest.json for the sample counts.'),
    );
  }
  if (results.retries.length > 0) {
    md.push(
      `- ${results.retries.length} streaming run(s) were repeated because the machine delivered messages later than the scenario allows (${lateLimits()}) against the send schedule ` +
        `(all contenders alike; ${results.retries.map((r) => `${r.scenario}/${r.contender}#${r.run + 1} ${r.deliveryLateMs.toFixed(0)} ms`).join(', ')}).`,
    );
  }
  const worstLate = results.streams.filter((r) => SCENARIOS.find((s) => s.id === r.scenario)!.onTime).reduce((m, r) => Math.max(m, r.deliveryLateMs ?? 0), 0);
  if (results.streams.length > 0) md.push(`- Largest message lateness in the kept runs of on-time scenarios: ${worstLate.toFixed(0)} ms.`);
  const legacyCpu = results.cpu.find((c) => c.kind === 'legacy');
  if (legacyCpu) {
    const b = legacyCpu.breakdown;
    md.push(
      `- Legacy main-thread cost per frame, step by step: JSON.parse ${(b.jsonParseMs * 1000).toFixed(1)} µs, base64 → bytes ${(b.base64Ms * 1000).toFixed(1)} µs, ` +
        `WAV Blob + object URL ${(b.wavBlobUrlMs * 1000).toFixed(1)} µs, plus starting each element (src, load(), play()) ${(b.elementStartMs * 1000).toFixed(1)} µs on \`ended\`. ` +
        `Wire size per 40 ms frame: legacy JSON ${legacyCpu.wireBytes} B, voxplay frame ${results.cpu.find((c) => c.kind === 'voxplay-shared')?.wireBytes ?? '?'} B, raw PCM ${legacyCpu.pcmBytes} B.`,
    );
  }
  const push = (k: string) => results.cpu.find((c) => c.kind === k);
  if (push('voxplay-push-shared') && push('voxplay-push-message')) {
    md.push(
      `- voxplay \`push()\` of a bare PCM chunk (no socket, no frame header): ${(push('voxplay-push-shared')!.perFrameMs * 1000).toFixed(1)} µs (SAB), ` +
        `${(push('voxplay-push-message')!.perFrameMs * 1000).toFixed(1)} µs (postMessage) per 40 ms frame` +
        (push('bare-postmessage')
          ? `; a bare \`port.postMessage\` of one transferred 960-sample Float32Array to a worklet costs ${(push('bare-postmessage')!.perFrameMs * 1000).toFixed(1)} µs on its own.`
          : '.'),
    );
  }
  if (results.speed.length > 0) {
    const floor = (rate: number) => median(results.speed.filter((s) => s.kind === 'trivial' && s.contextRate === rate).map((s) => s.speed));
    const parts = [24000, 48000, 44100].map((r) => `${r / 1000} kHz ${floor(r)?.toFixed(0)}×`);
    md.push(
      `- Render-speed floor of this Chromium (an AudioWorklet that only fills its output, same offline setup): ${parts.join(', ')}. Every worklet figure above includes that overhead.`,
    );
    const net = (kind: string, rate: number) => {
      const s = median(results.speed.filter((x) => x.kind === kind && x.contextRate === rate).map((x) => x.speed));
      const f = floor(rate);
      return s && f && s < f ? 1 / (1 / s - 1 / f) : null;
    };
    md.push(
      `- voxplay's own audio-thread work, with the floor subtracted (1 / (1/speed − 1/floor)), SAB: ` +
        [24000, 48000, 44100].map((r) => `${r / 1000} kHz ${net('voxplay-shared', r)?.toFixed(0) ?? '?'}×`).join(', ') +
        '. The same engine code in Node (CPU time, no Web Audio): ' +
        results.nodeSpeed
          .map(
            (n) =>
              `${n.inRate / 1000}→${n.outRate / 1000} kHz engine ${n.engine?.toFixed(0) ?? '?'}×${n.resampler ? ` (resampler alone ${n.resampler.toFixed(0)}×)` : ''}`,
          )
          .join(', ') +
        '.',
    );
  }
  if (results.memory.length > 0) {
    const bad = results.memory.filter((m) => m.active < m.expected * 0.99);
    md.push(
      `- Memory runs stream 10 min of 40 ms frames (a fresh buffer each) into an OfflineAudioContext, 5 s ahead of the renderer, with suspend()/resume(); heap read after two gc() calls. ` +
        (bad.length > 0
          ? `Runs whose output fell short (players that stop when their queue runs dry between suspensions): ${bad.map((m) => `${m.kind}#${m.run + 1} ${((100 * m.active) / m.expected).toFixed(1)}%`).join(', ')}.`
          : 'Every run played the whole 10 min.'),
    );
  }
  if (results.decode.length > 0) {
    const cells = results.decode.map((d) => `${d.format} ${d.msPerSecond === null ? 'n/a' : d.msPerSecond.toFixed(2)}`);
    const errors = results.decode.flatMap((d) => d.errors.map((e) => `${d.format}: ${e}`));
    md.push(
      `- Decode cost, ms per second of audio (median of 5, real speech from test/fixtures pushed as one utterance, from \`push()\` until every decoded sample is counted): ${cells.join(', ')}. ` +
        'PCM16, μ-law and WAV decode on the main thread, so that is their main-thread cost; Ogg Opus and MP3 are the wall time until WebCodecs (its own thread) returned everything, an upper bound of their main-thread cost; mp3-wasm is the WASM mpg123 fallback (no WebCodecs), which decodes on the main thread.' +
        (errors.length > 0 ? ` Errors: ${errors.join('; ')}.` : ''),
    );
  }
  if (results.sizes) {
    const s = results.sizes.voxplay;
    md.push(
      `- Sizes (min / min+gzip): dist/voxplay.js ${kb(s.library.min)} / ${kb(s.library.gzip)}, dist/playback-processor.js ${kb(s.worklet.min)} / ${kb(s.worklet.gzip)}, ` +
        `StreamPlayer-only tree-shaken ${kb(s.streamPlayerOnly.min)} / ${kb(s.streamPlayerOnly.gzip)}; wavtools ${kb(results.sizes.wavtools.gzip)} gz; the hand-written legacy and scheduled players (bench/pages/hand-written.js) ${kb(results.sizes.legacy.gzip)} and ${kb(results.sizes.scheduled.gzip)} gz.`,
    );
  }
  md.push('');

  // ---- caveats ----
  md.push('## Caveats');
  md.push('');
  const clock = env.clock.map((c) => `${c.sampleRate / 1000} kHz: steps of ${c.steps.map(([d, n]) => `${d} (×${n})`).join(', ')} frames`).join('; ');
  const lat = env.clock[0];
  md.push(
    `- **Headless Chromium has no sound card.** Its fake output device pulls audio on a timer in bursts of several render quanta, so \`currentTime\` (used here to stamp a message's arrival and the interrupt call) moves in jumps (${clock}). ` +
      `Arrival and interrupt times are therefore known to within one burst (≈10.7 ms), and "added latency" counts context frames from the burst after the arrival to the first audible sample at the recorder. ` +
      `It excludes the device latency Chromium reports (baseLatency ${((lat?.baseLatency ?? 0) * 1000).toFixed(1)} ms + outputLatency ${((lat?.outputLatency ?? 0) * 1000).toFixed(1)} ms here), which every contender pays alike; a real sound card has other burst sizes and latencies. ` +
      'Right after a context starts, Chromium also skips a few hundred frames; the recorder marks them and the bench lets the context settle for 150 ms before streaming (skipped frames inside an utterance are reported per run in latest.json).',
  );
  md.push(
    `- **Shared machine.** ${env.cpus} CPU(s), other jobs running (load average above). Timer lateness in Node or in the page delays messages; real-time scenarios have no slack for the contenders without a prebuffer (scheduled, wavtools), so their gaps there vary from run to run. ` +
      `Runs of on-time scenarios whose messages arrived later against the send schedule than voxplay's 60 ms prebuffer leaves room for (${lateLimits()}) are repeated, at most twice and for every contender alike; each voxplay run with a defect is listed above with its delivery figures.`,
  );
  md.push(
    `- **Definitions.** Silence: |x| ≤ ${SILENCE}. Gap: a silent run of ≥ ${MIN_GAP_MS} ms between the first and last sample above 1e-3 (the source has none). ` +
      'Discontinuity: a sample step larger than the largest step of the ideal output at the context rate, +2 % at 24 kHz, +10 % in the resampled contexts (band-limited resampling of a chirp overshoots a little), steps within 32 samples counted once. ' +
      "Lost/duplicated: audible samples (active length minus gaps) minus the ideal output's active length, at the context rate; for the `<audio>` path this also absorbs the media pipeline's own edge effects. " +
      `Interrupt → silence: from \`currentTime\` at the call to the start of the first ≥ ${INTERRUPT_SILENCE_MS} ms silence; stale audio: anything audible after that silence.`,
  );
  md.push(
    `- **Contenders as written.** voxplay gets voxplay-framed binary frames through \`attach()\`; legacy gets JSON \`{type, utteranceId, seq, wav: base64}\` per chunk and plays them with a pool of 4 \`<audio>\` elements (the next one preloaded) through \`createMediaElementSource\`; scheduled and wavtools get raw binary PCM16. ` +
      "wavtools runs its own AudioContext at the stream rate (24 kHz) as it always does, so the 48/44.1 kHz scenarios and resampling figures do not apply to it; in OpenAI's console its audio arrives as base64 inside JSON, a decode cost not counted here. " +
      "wavtools drops a chunk's last partial 128-sample block and stops its node when its queue runs dry (its lost samples and restarts). " +
      `The hand-written players do not filter late frames by utterance id after a stop (the common code does not); the server keeps sending for ${SEND_AFTER_INTERRUPT_MS} ms after the interrupt for every contender alike, which is what "stale" measures. ` +
      'A hard stop (scheduled, wavtools, legacy pause) reaches silence at once but clicks; voxplay fades over fadeMs.',
  );
  md.push(
    "- **Main-thread figures** are timed in a cross-origin isolated page (5 µs timer) for every contender: each of 500 frames per pass is handed to the receive path in its own task, as a WebSocket delivers them, and timed until the microtasks it queued have run (voxplay's postMessage transport posts at the end of the task, or, once more than 500 ms is queued, holds frames and posts up to 200 ms of audio at once at the end of the task that fills it, which is timed; what a pass leaves held goes out on a 40 ms timer, one post per pass, untimed); GC pauses that land in a frame are included. " +
      "**Render speed** times only `startRendering()` of an OfflineAudioContext after all audio was handed over (wavtools converts int16 → float in its worklet's message handler, before rendering starts, so that part of its audio-thread work is not counted). " +
      (() => {
        const sp = (kind: string) => median(results.speed.filter((x) => x.kind === kind && x.contextRate === 48000).map((x) => x.speed));
        const stretched = sp('voxplay-speed');
        const plain = sp('voxplay-message');
        if (!stretched || !plain) return '';
        const extra = 1000 / stretched - 1000 / plain;
        return (
          `**Speed 1.5×** (issue 24): the postMessage player at \`speed: 1.5\`, fed 1.5× the source so it fills the same output, renders 24 → 48 kHz at ${stretched.toFixed(0)}× real time against ${plain.toFixed(0)}× at speed 1: ` +
          `the time-stretcher adds ${extra.toFixed(3)} ms per second of output, ${(extra / 10).toFixed(2)} % of the real-time budget (goal ≤ 5 %). `
        );
      })() +
      "**Memory** is the page's main-thread JS heap (`performance.memory` with `--enable-precise-memory-info`, after `gc()`); the worklet's own heap and preallocated rings (voxplay preallocates `maxBufferMs` of audio) are not in it. The legacy path cannot run in an OfflineAudioContext, so its render-speed and memory cells are n/a.",
  );
  md.push('');

  // ---- closing note ----
  md.push('## Closing note: where voxplay misses a target');
  md.push('');
  if (misses.length === 0) {
    md.push('voxplay meets every target in this run.');
  } else {
    for (const m of misses) {
      const which = m.misses.map((id) => CONTENDERS.find((c) => c.id === id)!.label).join(' and ');
      const vals = m.misses.map((id) => fmt(m.row.values[id]!, m.row.digits)).join(' / ');
      md.push(`- **${sectionOf(rows, m.row)} — ${m.row.figure}**: ${which} ${vals}, target ${m.row.target}. ${diagnose(m.row, results)}`);
    }
  }
  md.push('');
  return { markdown: md.join('\n'), table };
}

function lateLimits(): string {
  return SCENARIOS.filter((s) => s.maxLateMs !== undefined)
    .map((s) => `${s.id} ${s.maxLateMs} ms`)
    .join(', ');
}

/** A data-driven explanation for a missed target. */
function diagnose(row: Row, results: BenchResults): string {
  if (row.figure.startsWith('library + worklet') && results.sizeBreakdown.length > 0) {
    const top = results.sizeBreakdown.slice(0, 7).map((b) => `${b.source}${b.bundle === 'worklet' ? ' (worklet)' : ''} ≈${kb(b.gzip)}`);
    const s = results.sizes.voxplay;
    return (
      `Largest shares of the min+gzip size (bundle bytes attributed to their sources through the source maps): ${top.join(', ')}. ` +
      `Tree-shaking to StreamPlayer alone saves only ${kb(s.library.gzip - s.streamPlayerOnly.gzip)}: the player itself (stream-player.ts, with long error messages and metrics), the socket/protocol code and the resampler in the worklet are what weigh.`
    );
  }
  if (row.figure.includes('kHz →')) {
    const rate = row.figure.includes('48') ? 48000 : 44100;
    const sp = (kind: string) => median(results.speed.filter((x) => x.kind === kind && x.contextRate === rate).map((x) => x.speed));
    const floor = sp('trivial');
    const vox = sp('voxplay-shared');
    const same = median(results.speed.filter((x) => x.kind === 'voxplay-shared' && x.contextRate === SOURCE_RATE).map((x) => x.speed));
    const node = results.nodeSpeed.find((n) => n.outRate === rate);
    const same24 = results.nodeSpeed.find((n) => n.outRate === SOURCE_RATE);
    if (!floor || !vox) return 'See the render-speed notes.';
    // Milliseconds of rendering per second of audio: the whole run, Chromium's plumbing, voxplay's own work.
    const total = 1000 / vox;
    const plumbing = 1000 / floor;
    const own = Math.max(0, total - plumbing);
    const target = RENDER_TARGET[rate];
    const budget = 1000 / target;
    const ownBudget = budget - plumbing;
    return (
      `Rendering 1 s of audio at ${rate / 1000} kHz takes ${total.toFixed(2)} ms: ≈${plumbing.toFixed(2)} ms is Chromium's own AudioWorklet plumbing (a do-nothing worklet renders at ${floor.toFixed(0)}×) and ≈${own.toFixed(2)} ms is voxplay's work (≈${own > 0 ? (1000 / own).toFixed(0) : '∞'}× on its own). ` +
      `${target}× allows ${budget.toFixed(2)} ms, so voxplay's share would have to fit in ${ownBudget > 0 ? `${ownBudget.toFixed(2)} ms (${(own / ownBudget).toFixed(1)}× less than now)` : 'less than nothing: the floor alone exceeds the budget on this machine'}. ` +
      `The resampler is that work: in Node (CPU time, same machine and load) the engine renders 24→24 kHz at ${same24?.engine?.toFixed(0)}× but 24→${rate / 1000} kHz at ${node?.engine?.toFixed(0)}×, and the resampler alone runs at ${node?.resampler?.toFixed(0)}× ` +
      `(in Chromium, 24 kHz → 24 kHz renders at ${same?.toFixed(0)}×). ` +
      `It evaluates ${DEFAULT_HALF_TAPS} taps per side at the lower rate (${2 * DEFAULT_HALF_TAPS} multiply-adds per output sample for 24→48 kHz), what keeps the band flat to 0.9 of the lower Nyquist with images and aliases under −90 dB (docs/fidelity.md). ` +
      'Exact 2× rates (24→48 kHz) add mirrored samples before one multiply (half the multiplies). Tried for 24→44.1 kHz and not kept (issue 26): the exact 2× path then a 16-tap second stage, 72 multiply-adds instead of 104, ran at 0.70× (the 2× path is only about 15 % faster per output than the paired 44.1 kHz rows, so per-output overhead, not multiply-adds, sets the speed); a float32 coefficient table, 0.9×.'
    );
  }
  if (row.figure.startsWith('time per frame')) {
    const c = (k: string) => results.cpu.find((x) => x.kind === k);
    const us = (k: string) => (c(k) ? (c(k)!.perFrameMs * 1000).toFixed(1) : '?');
    const legacy = c('legacy');
    const msg = c('voxplay-message');
    return (
      `Legacy / voxplay (postMessage) = ${legacy && msg ? (legacy.perFrameMs / msg.perFrameMs).toFixed(1) : '?'}× (SAB: ${legacy && c('voxplay-shared') ? (legacy.perFrameMs / c('voxplay-shared')!.perFrameMs).toFixed(1) : '?'}×). ` +
      `The postMessage transport costs ${us('voxplay-message')} µs per socket frame against ${us('voxplay-shared')} µs for SAB (\`push()\` alone: ${us('voxplay-push-message')} vs ${us('voxplay-push-shared')} µs). ` +
      `A WebSocket delivers every frame in its own task; a bare post of a transferred 960-sample Float32Array to a running worklet, one per task, costs ${us('bare-postmessage')} µs here on its own. ` +
      'The transport posts one message per frame until 500 ms is queued, then one per 200 ms of audio (src/ring/ring-transport.ts, HoldPolicy); fewer, larger posts (a higher cap) would cut it further at the price of holding more audio back. The figure is noisy on this loaded machine (per-pass times in latest.json).'
    );
  }
  if (row.figure.startsWith('interrupt → silence'))
    return 'The call is stamped with `currentTime`, which moves in render bursts; a message that lands mid-burst is applied at the next burst, so the fade can start up to one burst (≈10.7 ms) after the stamped frame.';
  if (row.figure.startsWith('added latency'))
    return 'The first frames arrived spread out (real-time delivery); latency counts until the prebuffer is full, plus one render burst.';
  return 'See the per-run list in the notes (delivery lateness tells late delivery from a player fault).';
}
