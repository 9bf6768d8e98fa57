/**
 * The numbers: metric tiles for the selected engine, the A/B summary of both engines, and
 * the list of recent utterances. Pure DOM writes from {@link LiveFigures} and the records.
 */
import type { LiveFigures } from './engine';
import { median, type EngineKind, type Records, type UtteranceRecord } from './records';

export interface Tiles {
  ttfa: HTMLElement;
  ttfaSub: HTMLElement;
  gaps: HTMLElement;
  gapsSub: HTMLElement;
  bargeIn: HTMLElement;
  bargeInSub: HTMLElement;
  buffered: HTMLElement;
  bufferedSub: HTMLElement;
  preload: HTMLElement;
  preloadSub: HTMLElement;
  arrival: HTMLElement;
  arrivalSub: HTMLElement;
  played: HTMLElement;
  playedSub: HTMLElement;
  state: HTMLElement;
  stateSub: HTMLElement;
}

export function ms(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return `${value.toFixed(digits)} ms`;
}

function seconds(value: number): string {
  return value >= 100_000 ? `${Math.round(value / 1000)} s` : `${(value / 1000).toFixed(1)} s`;
}

function set(el: HTMLElement, text: string, tone?: 'good' | 'bad' | ''): void {
  if (el.textContent !== text) el.textContent = text;
  if (tone !== undefined) el.dataset.tone = tone;
}

export class StatsView {
  private readonly tiles: Tiles;
  private readonly abBody: HTMLTableSectionElement;
  private readonly historyBody: HTMLTableSectionElement;
  private readonly records: Records;

  constructor(tiles: Tiles, abBody: HTMLTableSectionElement, historyBody: HTMLTableSectionElement, records: Records) {
    this.tiles = tiles;
    this.abBody = abBody;
    this.historyBody = historyBody;
    this.records = records;
  }

  /** The tiles, for the engine shown. */
  renderTiles(engine: EngineKind, f: LiveFigures): void {
    const t = this.tiles;
    // The utterance sounding now, or the last one heard (not one still waiting its turn).
    const last =
      [...this.records.items].reverse().find((r) => r.engine === engine && (r.state === 'playing' || r.state === 'ended' || r.state === 'interrupted')) ??
      this.records.latest(engine);
    const lastTimed = [...this.records.items].reverse().find((r) => r.engine === engine && r.ttfaMs !== null && !r.queued);
    set(t.ttfa, ms(lastTimed?.ttfaMs ?? null), lastTimed?.ttfaMs == null ? '' : lastTimed.ttfaMs < 300 ? 'good' : lastTimed.ttfaMs > 800 ? 'bad' : '');
    set(
      t.ttfaSub,
      engine === 'voxplay'
        ? lastTimed?.clientTtfaMs != null
          ? `Speak → heard · player ${ms(lastTimed.clientTtfaMs)}`
          : 'Speak → first sample heard'
        : 'Speak → first <audio> playing',
    );
    set(t.gaps, last ? String(last.gaps) : '—', !last ? '' : last.gaps === 0 ? 'good' : 'bad');
    set(t.gapsSub, `last utterance · ${f.underruns} in all, ${ms(f.underrunMs)}`);
    const lastBarge = [...this.records.items].reverse().find((r) => r.engine === engine && (r.bargeInMs !== null || r.reportedBargeInMs !== null));
    set(
      t.bargeIn,
      ms(lastBarge?.bargeInMs ?? null, 1),
      lastBarge?.bargeInMs == null ? '' : lastBarge.bargeInMs < 20 ? 'good' : lastBarge.bargeInMs > 50 ? 'bad' : '',
    );
    set(
      t.bargeInSub,
      engine === 'legacy'
        ? 'interrupt → silence · hard cut, a click'
        : lastBarge?.reportedBargeInMs != null
          ? `${ms(lastBarge.fadeMs, 0)} fade · at speakers ${ms(lastBarge.reportedBargeInMs, 0)}`
          : 'interrupt → silence · faded, no click',
    );
    set(t.buffered, ms(f.bufferedMs));
    set(t.bufferedSub, f.prebufferMs !== null ? `prebuffer ${ms(f.prebufferMs)} · low ${ms(f.lowWaterMs)}` : 'queued in <audio> chunks');
    set(
      t.preload,
      f.preloadRate === null ? '—' : `${Math.round(f.preloadRate * 100)} %`,
      f.preloadRate === null ? '' : f.preloadRate >= 0.95 ? 'good' : f.preloadRate < 0.8 ? 'bad' : '',
    );
    set(t.preloadSub, 'chunks that came before needed');
    set(
      t.arrival,
      f.arrivalSpeed === null ? '—' : `${f.arrivalSpeed >= 100 ? '≫100' : f.arrivalSpeed.toFixed(f.arrivalSpeed >= 10 ? 0 : 2)}×`,
      f.arrivalSpeed === null ? '' : f.arrivalSpeed >= 1 ? 'good' : 'bad',
    );
    set(t.arrivalSub, 'audio per wall-clock time');
    set(t.played, seconds(f.playedMs));
    set(t.playedSub, `${seconds(f.droppedMs)} received but dropped`);
    set(t.state, f.state, f.state === 'running' || f.state === 'playing' || f.state === 'idle' ? 'good' : f.state === 'blocked' ? 'bad' : '');
    set(t.stateSub, f.transport);
  }

  /** A/B summary and history (call when records change). */
  renderRecords(): void {
    const rows: [string, (rs: UtteranceRecord[]) => string, 'low' | null][] = [
      ['utterances', (rs) => String(rs.length), null],
      ['time to first audio (median)', (rs) => ms(median(rs.map((r) => (r.queued ? null : r.ttfaMs)))), 'low'],
      ['gaps per utterance', (rs) => (rs.length ? (rs.reduce((a, r) => a + r.gaps, 0) / rs.length).toFixed(1) : '—'), 'low'],
      ['silent in gaps, per utterance', (rs) => (rs.length ? ms(rs.reduce((a, r) => a + r.gapMs, 0) / rs.length) : '—'), 'low'],
      ['barge-in (median)', (rs) => ms(median(rs.map((r) => r.bargeInMs)), 1), 'low'],
    ];
    const done = (engine: EngineKind) => this.records.items.filter((r) => r.engine === engine && r.state !== 'requested' && r.state !== 'failed');
    const a = done('voxplay');
    const b = done('legacy');
    const trs = rows.map(([label, fn, better]) => {
      const tr = document.createElement('tr');
      const va = fn(a);
      const vb = fn(b);
      const na = parseFloat(va);
      const nb = parseFloat(vb);
      const th = document.createElement('th');
      th.textContent = label;
      const ta = document.createElement('td');
      ta.textContent = va;
      const tb = document.createElement('td');
      tb.textContent = vb;
      if (better && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) {
        (toMs(va) < toMs(vb) ? ta : tb).className = 'better';
      }
      tr.append(th, ta, tb);
      return tr;
    });
    this.abBody.replaceChildren(...trs);

    const recent = this.records.items.slice(-12).reverse();
    this.historyBody.replaceChildren(
      ...recent.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.engine = r.engine;
        tr.dataset.state = r.state;
        const cells = [
          r.id ? `#${r.id}` : '…',
          r.engine,
          r.state,
          r.queued ? 'queued' : ms(r.ttfaMs),
          r.gaps ? `${r.gaps} (${ms(r.gapMs)})` : '0',
          ms(r.bargeInMs, 1),
          seconds(r.playedMs),
        ];
        for (const c of cells) {
          const td = document.createElement('td');
          td.textContent = c;
          tr.append(td);
        }
        tr.title = r.text;
        return tr;
      }),
    );
  }
}

/** "1.2 s" / "340 ms" → ms, for comparing cells. */
function toMs(text: string): number {
  const n = parseFloat(text);
  return text.endsWith(' s') ? n * 1000 : n;
}
