/**
 * The error log: typed error codes of the player (VoxplayError.code) and of the legacy
 * queue, newest first. Repeats of the same code for the same utterance are folded into one
 * row with a count. Codes that are the expected echo of a barge-in (`stale`: frames that
 * were already on the wire) are shown as notes, not errors.
 */
import type { EngineKind } from './records';

export interface LogEntry {
  engine: EngineKind | 'page';
  code: string;
  message: string;
  utteranceId?: string;
  /** 'note' for expected events (late frames after a barge-in), else 'error'. */
  level: 'error' | 'note';
}

interface Row extends LogEntry {
  at: number;
  count: number;
  li: HTMLLIElement;
}

const NOTE_CODES = new Set(['stale']);
const MAX_ROWS = 100;

export class ErrorLog {
  /** Every entry, oldest first (tests read it). */
  readonly entries: (LogEntry & { at: number })[] = [];
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;
  private readonly counter: HTMLElement;
  private readonly rows: Row[] = [];
  private errorCount = 0;

  constructor(list: HTMLOListElement, empty: HTMLElement, counter: HTMLElement) {
    this.list = list;
    this.empty = empty;
    this.counter = counter;
  }

  add(entry: Omit<LogEntry, 'level'> & { level?: LogEntry['level'] }): void {
    const level = entry.level ?? (NOTE_CODES.has(entry.code) ? 'note' : 'error');
    const at = performance.now();
    const full = { ...entry, level, at };
    this.entries.push(full);
    if (level === 'error') this.errorCount++;
    this.counter.textContent = this.errorCount === 0 ? '' : String(this.errorCount);
    const last = this.rows[0];
    if (last && last.code === entry.code && last.engine === entry.engine && last.utteranceId === entry.utteranceId && at - last.at < 5000) {
      last.count++;
      last.at = at;
      last.message = entry.message;
      this.render(last);
      return;
    }
    const li = document.createElement('li');
    const row: Row = { ...full, count: 1, li };
    this.rows.unshift(row);
    this.list.prepend(li);
    this.render(row);
    while (this.rows.length > MAX_ROWS) this.rows.pop()!.li.remove();
    this.empty.hidden = true;
  }

  private render(row: Row): void {
    const time = new Date(performance.timeOrigin + row.at).toLocaleTimeString(undefined, { hour12: false });
    row.li.className = `log-row ${row.level}`;
    row.li.replaceChildren(
      el('span', 'log-time', time),
      el('code', `log-code ${row.level}`, row.code),
      el('span', 'log-engine', row.engine + (row.utteranceId ? ` · #${row.utteranceId}` : '')),
      el('span', 'log-message', row.message.replace(/^voxplay: /, '') + (row.count > 1 ? ` (×${row.count})` : '')),
    );
    row.li.title = row.message;
  }
}

function el(tag: string, className: string, text: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}
