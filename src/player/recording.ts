/**
 * The recording of what was heard, put together from blocks of output frames and the
 * utterance boundaries the engine reported on the same frames. Pure (no DOM, no Web Audio)
 * except {@link encodeWav}'s `Blob`.
 */

/** Options of `player.record()`. */
export interface RecordOptions {
  /** The most it keeps, in seconds of output (default 600). Reaching it stops the recording with an `error` event (`record-limit`). */
  maxSeconds?: number;
}

/** One utterance's place in a {@link Recording}. */
export interface RecordedUtterance {
  utteranceId: string;
  /** Index in `Recording.samples` of its first heard sample. */
  start: number;
  /** Index just after its last heard sample (its fade's end when it was cut). */
  end: number;
  /** Source samples of it that were heard (at its own rate): the engine's count, as `ended` / `interrupted` report. */
  playedSamples: number;
  /** Its source rate. */
  sampleRate: number;
  /** Cut by `interrupt()` (its last part is the fade). */
  interrupted: boolean;
}

/** What `recorder.stop()` gives back: the output as heard, and where each utterance is in it. */
export interface Recording {
  /** The output's rate (the context's). */
  sampleRate: number;
  /** Every output frame from `record()` to `stop()` (after the volume), mono. */
  samples: Float32Array;
  /** Utterances that started sounding during the recording, in order; one still playing at `stop()` ends there. */
  utterances: RecordedUtterance[];
  /** The whole recording as a WAV file (32-bit float, mono): sample-exact. */
  toWav(): Blob;
  /** The output of one utterance (its span of `samples`), or null when it is not in the recording. */
  utterance(utteranceId: string): Float32Array | null;
}

/** A stretch of recorded output: `samples` from context frame `frame` on. */
export interface RecordedBlock {
  frame: number;
  samples: Float32Array;
}

/** An utterance's boundaries in context frames (`end` Infinity while it still sounded at the stop). */
export interface RecordedSpan {
  utteranceId: string;
  startFrame: number;
  endFrame: number;
  playedSamples: number;
  sampleRate: number;
  interrupted: boolean;
}

/**
 * Puts recorded blocks and spans together: the blocks back to back, each span's frames turned
 * into indices of the result (blocks may arrive after the events that name their frames).
 * Loaded with the first `stop()`: an app that never records does not ship it.
 */
export function buildRecording(sampleRate: number, blocks: readonly RecordedBlock[], spans: readonly RecordedSpan[]): Recording {
  let length = 0;
  for (const b of blocks) length += b.samples.length;
  const samples = new Float32Array(length);
  const starts: number[] = [];
  let at = 0;
  for (const b of blocks) {
    starts.push(at);
    samples.set(b.samples, at);
    at += b.samples.length;
  }
  const indexOf = (frame: number): number => {
    for (let k = blocks.length - 1; k >= 0; k--) if (frame >= blocks[k].frame) return Math.min(starts[k] + frame - blocks[k].frame, length);
    return 0;
  };
  const utterances: RecordedUtterance[] = spans.map((s) => ({
    utteranceId: s.utteranceId,
    start: indexOf(s.startFrame),
    end: s.endFrame === Infinity ? length : indexOf(s.endFrame),
    playedSamples: s.playedSamples,
    sampleRate: s.sampleRate,
    interrupted: s.interrupted,
  }));
  return {
    sampleRate,
    samples,
    utterances,
    toWav: () => encodeWav(samples, sampleRate),
    utterance: (id) => {
      const u = utterances.find((x) => x.utteranceId === id);
      return u ? samples.slice(u.start, u.end) : null;
    },
  };
}

/** A mono 32-bit float WAV file of `samples` at `sampleRate` (IEEE float, format 3: no rounding). */
export function encodeWav(samples: Float32Array, sampleRate: number): Blob {
  const header = new DataView(new ArrayBuffer(44));
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) header.setUint8(at + i, s.charCodeAt(i));
  };
  const bytes = samples.length * 4;
  text(0, 'RIFF');
  header.setUint32(4, 36 + bytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  header.setUint32(16, 16, true);
  header.setUint16(20, 3, true); // IEEE float
  header.setUint16(22, 1, true);
  header.setUint32(24, sampleRate, true);
  header.setUint32(28, sampleRate * 4, true);
  header.setUint16(32, 4, true);
  header.setUint16(34, 32, true);
  text(36, 'data');
  header.setUint32(40, bytes, true);
  // Little-endian floats: copy through a DataView so a big-endian host writes them right too.
  const data = new DataView(new ArrayBuffer(bytes));
  for (let i = 0; i < samples.length; i++) data.setFloat32(4 * i, samples[i], true);
  return new Blob([header.buffer, data.buffer], { type: 'audio/wav' });
}
