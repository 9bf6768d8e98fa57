import { FORMATS, type AudioFormat } from '../codecs/formats.js';
import { Mp3FrameSplitter } from '../codecs/mp3-frames.js';

/**
 * Counts the decoded samples an utterance's chunks make, as they arrive, so that timings a
 * service gives relative to each chunk (ElevenLabs' alignment) become offsets in the
 * utterance. Exact for PCM and G.711; for MP3, whole frames less the decoder's 529-sample
 * delay (a frame cut across chunks counts in the chunk that completes it).
 */
export class SampleCounter {
  private readonly bytesPerSample: number | null;
  private readonly mp3: Mp3FrameSplitter | null;
  private carried = 0;
  private frames = 0;
  /** Samples of the chunks counted so far. */
  samples = 0;

  constructor(format: AudioFormat) {
    this.bytesPerSample = FORMATS[format].bytesPerSample;
    this.mp3 = format === 'mp3' ? new Mp3FrameSplitter() : null;
    if (this.bytesPerSample === null && !this.mp3) throw new TypeError(`voxplay: cannot count the samples of ${format} chunks`);
  }

  /** Counts `bytes`; returns the utterance offset at which they start. */
  add(bytes: Uint8Array): number {
    const start = this.samples;
    if (this.bytesPerSample !== null) {
      const total = this.carried + bytes.length;
      this.samples += Math.floor(total / this.bytesPerSample);
      this.carried = total % this.bytesPerSample;
    } else {
      const mp3 = this.mp3!;
      this.frames += mp3.push(bytes).length;
      this.samples = Math.max(0, this.frames * (mp3.format?.samples ?? 0) - 529);
    }
    return start;
  }
}

/**
 * Words from per-character timings (ElevenLabs' `chars` and `charStartTimesMs`, relative to
 * the chunk they came with): a word starts at its first non-space character and ends at a
 * space or at {@link WordAligner.flush}. Calls `onWord` with the word's utterance sample offset.
 */
export class WordAligner {
  private word = '';
  private start = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly onWord: (sampleOffset: number, word: string) => void,
  ) {}

  /** The characters of a chunk that starts at utterance sample `chunkStart`. */
  add(chars: readonly unknown[], startsMs: readonly unknown[], chunkStart: number): void {
    chars.forEach((ch, i) => {
      if (typeof ch !== 'string' || ch.trim() === '') return this.flush();
      const ms = typeof startsMs[i] === 'number' ? (startsMs[i] as number) : 0;
      if (this.word === '') this.start = chunkStart + Math.round((ms * this.sampleRate) / 1000);
      this.word += ch;
    });
  }

  /** Ends the word in progress. */
  flush(): void {
    if (this.word !== '') this.onWord(this.start, this.word);
    this.word = '';
  }
}
