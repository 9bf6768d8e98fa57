/**
 * Live captions of the utterance being spoken: each word lights up as it is *heard*, and on
 * a barge-in the words the listener never heard are struck out — where an agent would cut
 * its transcript.
 *
 * The mock server sends a `mark` control message per word (name + sample offset). With
 * voxplay the player fires a `mark` event when that sample reaches the speakers, and the
 * `interrupted` event names the last mark heard. The legacy queue has no sample clock, so its
 * captions follow the played time of its <audio> elements.
 */
import type { EngineKind } from './records';

interface Word {
  name: string;
  offsetMs: number;
  span: HTMLSpanElement | null;
}

interface Caption {
  engine: EngineKind;
  id: string;
  text: string;
  words: Word[];
  /** Index of the last word heard, -1 before the first. */
  heard: number;
  /** `pending`: words arrived before the utterance started (not shown yet). */
  state: 'pending' | 'speaking' | 'ended' | 'cut';
}

export class Captions {
  private readonly box: HTMLElement;
  private readonly label: HTMLElement;
  private readonly note: HTMLElement;
  private readonly captions = new Map<string, Caption>();
  private shown: Caption | null = null;

  constructor(box: HTMLElement, label: HTMLElement, note: HTMLElement) {
    this.box = box;
    this.label = label;
    this.note = note;
  }

  /** The server started utterance `id` with this text. */
  begin(engine: EngineKind, id: string, text: string): void {
    // Words may come first (Cartesia sends its timestamps before the audio): keep them.
    const early = this.captions.get(key(engine, id));
    const words = early && early.state === 'pending' ? early.words : [];
    const caption: Caption = { engine, id, text, words, heard: -1, state: 'speaking' };
    this.captions.set(key(engine, id), caption);
    if (this.captions.size > 20) this.captions.delete(this.captions.keys().next().value!);
  }

  /** A word of it, at `offsetMs` into its audio. */
  addMark(engine: EngineKind, id: string, name: string, offsetMs: number): void {
    let c = this.captions.get(key(engine, id));
    if (!c) {
      // Before its utterance starts: held until begin().
      c = { engine, id, text: '', words: [], heard: -1, state: 'pending' };
      this.captions.set(key(engine, id), c);
    }
    c.words.push({ name, offsetMs, span: null });
    if (this.shown === c) this.render();
  }

  /** The utterance's first sample is heard: show it. */
  show(engine: EngineKind, id: string): void {
    const c = this.captions.get(key(engine, id));
    if (!c || c.state === 'pending') return;
    this.shown = c;
    this.render();
  }

  /** Every word up to `offsetMs` has been heard. */
  heardUntil(engine: EngineKind, id: string, offsetMs: number): void {
    const c = this.captions.get(key(engine, id));
    if (!c || c.state !== 'speaking') return;
    let heard = c.heard;
    while (heard + 1 < c.words.length && c.words[heard + 1].offsetMs <= offsetMs + 0.5) heard++;
    if (heard === c.heard) return;
    c.heard = heard;
    if (this.shown !== c) this.show(engine, id);
    else this.paint();
  }

  /** Played to the end: every word was heard. */
  ended(engine: EngineKind, id: string): void {
    const c = this.captions.get(key(engine, id));
    if (!c || c.state !== 'speaking') return;
    c.heard = c.words.length - 1;
    c.state = 'ended';
    if (this.shown === c) this.paint();
  }

  /**
   * Barge-in: words after the one at `lastHeardMs` (null: none heard) were never heard.
   * `how` says where the cut point comes from, for the note under the caption.
   */
  cut(engine: EngineKind, id: string, lastHeardMs: number | null, how: string): void {
    const c = this.captions.get(key(engine, id));
    if (!c || c.state === 'cut' || c.state === 'pending') return;
    let heard = -1;
    if (lastHeardMs !== null) while (heard + 1 < c.words.length && c.words[heard + 1].offsetMs <= lastHeardMs + 0.5) heard++;
    c.heard = heard;
    c.state = 'cut';
    this.shown = c;
    this.render();
    this.note.textContent =
      c.words.length === 0
        ? 'No word marks for this utterance: where to cut the transcript is unknown'
        : heard >= 0
          ? `Cut after “${c.words[heard].name}”: keep the transcript up to here`
          : 'Cut before the first word';
    this.note.title = `What the listener heard, from ${how}. An agent truncates its own transcript there (e.g. audio_end_ms in OpenAI's realtime API).`;
  }

  private render(): void {
    const c = this.shown;
    if (!c) return;
    this.label.textContent = `#${c.id} · ${c.engine}`;
    this.label.dataset.engine = c.engine;
    // Each word's span runs from where it starts in the text to where the next one starts,
    // so its punctuation lights up (or is struck out) with it. Marks carry the word as written.
    const starts: number[] = [];
    let at = 0;
    for (const w of c.words) {
      const found = c.text.indexOf(w.name, at);
      starts.push(found);
      if (found >= 0) at = found + w.name.length;
    }
    const parts: Node[] = [];
    const first = starts.find((x) => x >= 0) ?? c.text.length;
    if (first > 0) parts.push(document.createTextNode(c.text.slice(0, first)));
    c.words.forEach((w, i) => {
      const span = document.createElement('span');
      span.className = 'word';
      const from = starts[i];
      if (from < 0) span.textContent = `${w.name} `;
      else {
        const next = starts.slice(i + 1).find((x) => x >= 0) ?? c.text.length;
        span.textContent = c.text.slice(from, next);
      }
      w.span = span;
      parts.push(span);
    });
    this.box.replaceChildren(...parts);
    if (c.state !== 'cut') {
      // The legacy protocol (base64 WAV in JSON) carries no word timings.
      this.note.textContent = c.words.length === 0 ? 'no word marks: captions cannot follow the audio' : '';
      this.note.title = '';
    }
    this.paint();
  }

  private paint(): void {
    const c = this.shown;
    if (!c) return;
    this.box.dataset.state = c.state;
    c.words.forEach((w, i) => {
      const cls =
        i < c.heard ? 'word heard' : i === c.heard ? (c.state === 'speaking' ? 'word now' : 'word heard') : c.state === 'cut' ? 'word unheard' : 'word';
      if (w.span && w.span.className !== cls) w.span.className = cls;
    });
    const now = c.words[Math.max(0, c.heard)]?.span;
    if (now) this.box.scrollTop = Math.max(0, now.offsetTop - this.box.offsetTop - 4);
  }
}

function key(engine: EngineKind, id: string): string {
  return `${engine}:${id}`;
}
