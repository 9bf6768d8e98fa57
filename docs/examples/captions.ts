import type { HeardMark, InterruptedEvent, MarkEvent, StreamPlayer } from 'voxplay';

interface Word {
  utteranceId: string;
  sampleOffset: number;
  text: string;
  span: HTMLSpanElement;
}

/**
 * Captions with word highlighting. Each word is marked on the player; the `mark` event
 * highlights it when it reaches the speakers. On barge-in the `interrupted` event's
 * `lastMark` says where the listener stopped hearing: later words are struck out and
 * `onCut` receives the transcript to keep (e.g. for the conversation history).
 */
export class Captions {
  private readonly words: Word[] = [];
  private readonly player: StreamPlayer;
  private readonly element: HTMLElement;

  constructor(player: StreamPlayer, element: HTMLElement, onCut?: (heardText: string, e: InterruptedEvent) => void) {
    this.player = player;
    this.element = element;
    player.on('mark', (m) => this.highlight(m));
    player.on('interrupted', (e) => {
      if (e.utteranceId === null) return;
      for (const w of this.wordsOf(e.utteranceId)) if (!isHeard(w, e.lastMark)) w.span.className = 'unheard';
      onCut?.(this.heardText(e.utteranceId, e.lastMark), e);
    });
  }

  /** A word of `utteranceId` starts at sample `sampleOffset` (at the utterance's rate). */
  addWord(utteranceId: string, sampleOffset: number, text: string): void {
    const span = document.createElement('span');
    span.textContent = text;
    this.element.append(span, ' ');
    this.words.push({ utteranceId, sampleOffset, text, span });
    this.player.mark(utteranceId, sampleOffset, text);
  }

  /** The words of `utteranceId` the listener heard: up to and including the last mark heard. */
  heardText(utteranceId: string, lastMark: HeardMark | null): string {
    return this.wordsOf(utteranceId)
      .filter((w) => isHeard(w, lastMark))
      .map((w) => w.text)
      .join(' ');
  }

  private highlight(m: MarkEvent): void {
    for (const w of this.wordsOf(m.utteranceId)) {
      if (w.sampleOffset < m.sampleOffset) w.span.className = 'spoken';
      else if (w.sampleOffset === m.sampleOffset) w.span.className = 'spoken current';
    }
  }

  private wordsOf(utteranceId: string): Word[] {
    return this.words.filter((w) => w.utteranceId === utteranceId);
  }
}

function isHeard(w: Word, lastMark: HeardMark | null): boolean {
  return lastMark !== null && w.sampleOffset <= lastMark.sampleOffset;
}
