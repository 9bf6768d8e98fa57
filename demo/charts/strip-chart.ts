/**
 * A scrolling canvas chart of the last `windowMs` (default 15 s): buffered audio on top,
 * output level below, and event markers (underrun spans, barge-ins, utterance starts/ends,
 * gaps, errors) across both. "Now" is the right edge. Redraws on animation frames.
 */

export type MarkerKind = 'underrun' | 'interrupt' | 'start' | 'end' | 'gap' | 'error' | 'duck';

export interface Marker {
  kind: MarkerKind;
  /** performance.now() time. */
  t: number;
  /** For spans (underruns, legacy gaps): end time, or null while open. */
  until?: number | null;
  label?: string;
}

interface Point {
  t: number;
  v: number;
}

export interface SeriesStyle {
  label: string;
  color: string;
}

const COLORS = {
  grid: '#e5e7eb',
  axis: '#6b7280',
  text: '#374151',
  level: '#6366f1',
  prebuffer: '#9ca3af',
  underrun: 'rgba(220, 38, 38, 0.18)',
  underrunEdge: '#dc2626',
  interrupt: '#ea580c',
  start: '#16a34a',
  end: '#9ca3af',
  gap: '#dc2626',
  error: '#9333ea',
  duck: 'rgba(234, 88, 12, 0.16)',
};

const GUTTER = 48;
const LEVEL_FLOOR_DB = -60;

export class StripChart {
  readonly windowMs: number;
  /** Frames drawn so far (tests read it to know the canvas has been painted). */
  draws = 0;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly series: Record<string, SeriesStyle>;
  private buffers = new Map<string, Point[]>();
  private level: Point[] = [];
  private markers: Marker[] = [];
  private prebufferMs: number | null = null;
  private frame = 0;
  private width = 0;
  private height = 0;

  constructor(canvas: HTMLCanvasElement, series: Record<string, SeriesStyle>, windowMs = 15_000) {
    this.canvas = canvas;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.series = series;
    this.windowMs = windowMs;
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  /** Buffered audio (ms) of `series` at time `t`. */
  pushBuffer(t: number, ms: number, series: string): void {
    let points = this.buffers.get(series);
    if (!points) this.buffers.set(series, (points = []));
    points.push({ t, v: ms });
  }

  /** Output RMS (0–1) at time `t`. */
  pushLevel(t: number, rms: number): void {
    this.level.push({ t, v: rms });
  }

  setPrebuffer(ms: number | null): void {
    this.prebufferMs = ms;
  }

  /** Adds a marker; keep the returned object to close a span with {@link StripChart.close}. */
  mark(kind: MarkerKind, label?: string, t = performance.now()): Marker {
    const previous = this.markers.at(-1);
    if (kind === 'error' && previous && previous.kind === 'error' && previous.label === label && t - previous.t < 1000) {
      return previous; // a burst of the same error is one marker
    }
    const marker: Marker = { kind, t, label };
    if (kind === 'underrun' || kind === 'gap' || kind === 'duck') marker.until = null;
    this.markers.push(marker);
    return marker;
  }

  close(marker: Marker, t = performance.now()): void {
    marker.until = t;
  }

  /** Starts the animation-frame loop. */
  start(): void {
    const loop = () => {
      this.frame = requestAnimationFrame(loop);
      this.draw();
    };
    this.frame = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    this.width = Math.max(1, rect.width);
    this.height = Math.max(1, rect.height);
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs - 1000;
    const keep = <T extends { t: number }>(a: T[]): T[] => {
      let i = 0;
      while (i < a.length - 1 && a[i + 1].t < oldest) i++;
      return i > 0 ? a.slice(i) : a;
    };
    for (const [series, points] of this.buffers) this.buffers.set(series, keep(points));
    this.level = keep(this.level);
    this.markers = this.markers.filter((m) => (m.until === undefined ? m.t : m.until === null ? now : m.until) >= oldest);
  }

  /** Draws one frame (also called by the loop). */
  draw(now = performance.now()): void {
    this.prune(now);
    const { ctx, width: w, height: h } = this;
    const plotW = w - GUTTER - 8;
    const topH = Math.round((h - 34) * 0.64);
    const levelTop = topH + 14;
    const levelH = h - 20 - levelTop;
    const x = (t: number) => GUTTER + plotW - ((now - t) / this.windowMs) * plotW;
    const t0 = now - this.windowMs;

    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';

    // --- scales
    let maxBuf = 0;
    for (const points of this.buffers.values()) for (const p of points) if (p.t >= t0 && p.v > maxBuf) maxBuf = p.v;
    if (this.prebufferMs !== null) maxBuf = Math.max(maxBuf, this.prebufferMs);
    const top = niceCeil(Math.max(250, maxBuf * 1.1));
    const yBuf = (ms: number) => 6 + (topH - 6) * (1 - Math.min(ms, top) / top);
    const yLevel = (rms: number) => {
      const db = rms > 0 ? Math.max(LEVEL_FLOOR_DB, 20 * Math.log10(rms)) : LEVEL_FLOOR_DB;
      return levelTop + levelH * (db / LEVEL_FLOOR_DB);
    };

    // --- grid: a line per second, labels every 5 s
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = 'center';
    const firstSecond = Math.ceil(t0 / 1000) * 1000;
    for (let t = firstSecond; t <= now; t += 1000) {
      const gx = Math.round(x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(gx, 6);
      ctx.lineTo(gx, levelTop + levelH);
      ctx.stroke();
    }
    for (let s = 0; s <= this.windowMs / 1000; s += 5) {
      ctx.fillText(s === 0 ? 'now' : `−${s} s`, GUTTER + plotW - (s * 1000 * plotW) / this.windowMs - (s === 0 ? 10 : 0), h - 8);
    }
    ctx.textAlign = 'right';
    for (const frac of [0, 0.5, 1]) {
      const v = top * frac;
      const gy = Math.round(yBuf(v)) + 0.5;
      ctx.strokeStyle = COLORS.grid;
      ctx.beginPath();
      ctx.moveTo(GUTTER, gy);
      ctx.lineTo(GUTTER + plotW, gy);
      ctx.stroke();
      ctx.fillText(formatMs(v), GUTTER - 6, gy);
    }
    ctx.fillText('0 dB', GUTTER - 6, yLevel(1));
    ctx.fillText('−60', GUTTER - 6, yLevel(0) - 4);
    ctx.strokeStyle = COLORS.axis;
    ctx.strokeRect(GUTTER + 0.5, 6.5, plotW, topH - 6);
    ctx.strokeRect(GUTTER + 0.5, levelTop + 0.5, plotW, levelH);

    // --- spans under the data
    for (const m of this.markers) {
      if (m.until === undefined) continue;
      const x0 = Math.max(GUTTER, x(m.t));
      const x1 = Math.min(GUTTER + plotW, x(m.until ?? now));
      if (x1 < GUTTER) continue;
      ctx.fillStyle = m.kind === 'duck' ? COLORS.duck : COLORS.underrun;
      ctx.fillRect(x0, 6, Math.max(2, x1 - x0), levelTop + levelH - 6);
    }

    // --- prebuffer target
    if (this.prebufferMs !== null) {
      const py = Math.round(yBuf(this.prebufferMs)) + 0.5;
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = COLORS.prebuffer;
      ctx.beginPath();
      ctx.moveTo(GUTTER, py);
      ctx.lineTo(GUTTER + plotW, py);
      ctx.stroke();
      ctx.setLineDash([]);
    }

    // --- buffered audio: a step area per series
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 6, plotW, topH - 6);
    ctx.clip();
    for (const [series, points] of this.buffers) {
      const color = this.series[series]?.color ?? '#0f766e';
      ctx.fillStyle = withAlpha(color, 0.22);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1];
        const b = points[i];
        if (b.t < t0 || a.v <= 0) continue;
        const xa = x(a.t);
        ctx.fillRect(xa, yBuf(a.v), x(b.t) - xa + 0.5, topH - yBuf(a.v));
      }
      let started = false;
      for (const p of points) {
        if (p.t < t0 - 1000) continue;
        const px = x(p.t);
        const py = yBuf(p.v);
        if (!started) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
        started = true;
      }
      ctx.stroke();
    }
    ctx.restore();

    // --- level: an envelope
    ctx.fillStyle = withAlpha(COLORS.level, 0.55);
    ctx.beginPath();
    ctx.moveTo(x(Math.max(t0, this.level[0]?.t ?? now)), levelTop + levelH);
    for (const p of this.level) {
      if (p.t < t0) continue;
      ctx.lineTo(x(p.t), yLevel(p.v));
    }
    ctx.lineTo(x(this.level.at(-1)?.t ?? now), levelTop + levelH);
    ctx.closePath();
    ctx.fill();

    // --- point markers (a label that would run off the right edge goes left of its line)
    ctx.textAlign = 'left';
    const right = GUTTER + plotW;
    const beside = (text: string, mx: number, gap: number) =>
      mx + gap + ctx.measureText(text).width > right ? mx - gap - ctx.measureText(text).width : mx + gap;
    for (const m of this.markers) {
      const mx = Math.round(x(m.t)) + 0.5;
      if (mx < GUTTER || mx > GUTTER + plotW + 1) continue;
      switch (m.kind) {
        case 'underrun':
          ctx.strokeStyle = COLORS.underrunEdge;
          line(ctx, mx, 6, levelTop + levelH);
          label(ctx, m.label ?? 'underrun', beside(m.label ?? 'underrun', mx, 3), topH - 22, COLORS.underrunEdge);
          break;
        case 'gap':
          ctx.strokeStyle = COLORS.gap;
          line(ctx, mx, levelTop, levelTop + levelH);
          break;
        case 'interrupt':
          ctx.strokeStyle = COLORS.interrupt;
          ctx.lineWidth = 2;
          line(ctx, mx, 6, levelTop + levelH);
          ctx.lineWidth = 1;
          label(ctx, m.label ?? 'barge-in', beside(m.label ?? 'barge-in', mx, 4), 30, COLORS.interrupt);
          break;
        case 'start':
          ctx.fillStyle = COLORS.start;
          ctx.beginPath();
          ctx.moveTo(mx - 5, 7);
          ctx.lineTo(mx + 5, 7);
          ctx.lineTo(mx, 15);
          ctx.closePath();
          ctx.fill();
          ctx.strokeStyle = withAlpha(COLORS.start, 0.5);
          line(ctx, mx, 15, levelTop + levelH);
          if (m.label) label(ctx, m.label, beside(m.label, mx, 6), 12, COLORS.start);
          break;
        case 'end':
          ctx.strokeStyle = COLORS.end;
          ctx.setLineDash([2, 3]);
          line(ctx, mx, 6, levelTop + levelH);
          ctx.setLineDash([]);
          break;
        case 'error':
          ctx.fillStyle = COLORS.error;
          ctx.beginPath();
          ctx.moveTo(mx, topH - 14);
          ctx.lineTo(mx + 5, topH - 9);
          ctx.lineTo(mx, topH - 4);
          ctx.lineTo(mx - 5, topH - 9);
          ctx.closePath();
          ctx.fill();
          if (m.label) label(ctx, m.label, beside(m.label, mx, 7), topH - 9, COLORS.error);
          break;
      }
    }

    // --- lane titles
    ctx.textAlign = 'left';
    label(ctx, 'buffered audio', GUTTER + 6, 16, COLORS.text, true);
    label(ctx, 'output level', GUTTER + 6, levelTop + 9, COLORS.text, true);
    this.draws++;
  }
}

function line(ctx: CanvasRenderingContext2D, x: number, y0: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y0);
  ctx.lineTo(x, y1);
  ctx.stroke();
}

function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, color: string, backdrop = false): void {
  if (backdrop) {
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(255,255,255,0.8)';
    ctx.fillRect(x - 3, y - 7, w + 6, 14);
  }
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}

function niceCeil(v: number): number {
  const steps = [250, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];
  for (const s of steps) if (v <= s) return s;
  return Math.ceil(v / 60_000) * 60_000;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}
