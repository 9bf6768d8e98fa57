/**
 * One AudioContext and one output bus for both engines, so they are measured the same way:
 * engine → bus (GainNode) → [test recorder] → destination, with an AnalyserNode (level) and
 * a silence-probe worklet (barge-in timing on the audio clock) tapping the bus.
 */

/** The page-side recorder of test/browser/pages/capture.js (only in `?test=1`). */
export interface TestRecorder {
  node: AudioWorkletNode;
  flush(): Promise<number>;
  capture(): Promise<{ samples: Float32Array; startFrame: number | null; skippedFrames: number; sampleRate: number }>;
}

/** A barge-in is timed only if the output was audible this shortly before the call. */
export const AUDIBLE_LOOKBACK_MS = 10;
/** A sample at or below this counts as silence when timing a barge-in (−80 dBFS). */
export const SILENCE_THRESHOLD = 1e-4;
/** Silence must last this long to count (a pause between words is shorter). */
export const SILENCE_HOLD_MS = 100;

const PROBE_URL = new URL('./worklets/silence-probe.js', import.meta.url);

export class OutputBus {
  readonly context: AudioContext;
  /** Engines connect here. */
  readonly input: GainNode;
  readonly recorder: TestRecorder | null;
  private readonly analyser: AnalyserNode;
  private readonly buf: Float32Array<ArrayBuffer>;
  private readonly probe: AudioWorkletNode;
  private readonly watches = new Map<number, (frame: number | null) => void>();
  private nextWatch = 1;

  private constructor(context: AudioContext, recorder: TestRecorder | null) {
    this.context = context;
    this.recorder = recorder;
    this.input = new GainNode(context, { gain: 1 });
    this.analyser = new AnalyserNode(context, { fftSize: 2048, smoothingTimeConstant: 0 });
    this.buf = new Float32Array(this.analyser.fftSize);
    this.probe = new AudioWorkletNode(context, 'voxplay-demo-silence-probe', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    this.probe.port.onmessage = (event: MessageEvent<{ type: string; id: number; frame: number | null }>) => {
      const done = this.watches.get(event.data.id);
      this.watches.delete(event.data.id);
      done?.(event.data.frame);
    };
    this.input.connect(this.analyser);
    this.input.connect(this.probe);
    // The probe outputs silence; connecting it keeps it rendering.
    this.probe.connect(context.destination);
    this.input.connect(recorder ? recorder.node : context.destination);
  }

  /** `test`: route through the recorder worklet (which passes audio on to the destination). */
  static async create(test: boolean): Promise<OutputBus> {
    const context = new AudioContext({ latencyHint: 'interactive' });
    await context.audioWorklet.addModule(PROBE_URL);
    let recorder: TestRecorder | null = null;
    if (test) {
      const capture = (await import(/* @vite-ignore */ '/test/browser/pages/capture.js' as string)) as {
        createRecorder(ctx: BaseAudioContext): Promise<TestRecorder>;
      };
      recorder = await capture.createRecorder(context);
    }
    return new OutputBus(context, recorder);
  }

  /** RMS of the last ~43 ms at the bus (0–1). */
  level(): number {
    return rms(this.analyser, this.buf);
  }

  /**
   * Times a barge-in on the audio clock: resolves with the ms from context frame `frame` to
   * the start of the first silence (≥ {@link SILENCE_HOLD_MS}) at the bus after it. Null when
   * nothing was audible in the {@link AUDIBLE_LOOKBACK_MS} before `frame` (a cut in a pause
   * between words has nothing to time), or the bus does not fall silent within `timeoutMs`.
   */
  silenceAfter(frame: number, timeoutMs = 3000): Promise<number | null> {
    const rate = this.context.sampleRate;
    const id = this.nextWatch++;
    return new Promise((resolve) => {
      this.watches.set(id, (silentFrame) => resolve(silentFrame === null ? null : ((silentFrame - frame) * 1000) / rate));
      this.probe.port.postMessage({
        type: 'watch',
        id,
        frame,
        holdFrames: Math.round((SILENCE_HOLD_MS * rate) / 1000),
        threshold: SILENCE_THRESHOLD,
        lookbackFrames: Math.round((AUDIBLE_LOOKBACK_MS * rate) / 1000),
        timeoutFrames: Math.round((timeoutMs * rate) / 1000),
      });
    });
  }

  /**
   * Context output latency (base + device), ms: what the speakers add after the bus. Not in
   * Firefox: reading `outputLatency` there can deadlock the page (the player avoids it too),
   * so only `baseLatency` counts.
   */
  latencyMs(): number {
    const gecko = /\bGecko\/\d/.test(navigator.userAgent);
    return ((this.context.baseLatency ?? 0) + (gecko ? 0 : (this.context.outputLatency ?? 0))) * 1000;
  }

  /** The frame the context is rendering around now. */
  frameNow(): number {
    return Math.round(this.context.currentTime * this.context.sampleRate);
  }
}

function rms(node: AnalyserNode, buf: Float32Array<ArrayBuffer>): number {
  node.getFloatTimeDomainData(buf);
  let acc = 0;
  for (let i = 0; i < buf.length; i++) acc += buf[i] * buf[i];
  return Math.sqrt(acc / buf.length);
}

/** 20·log10, floored at −90 dBFS. */
export function toDb(level: number): number {
  return level > 3e-5 ? 20 * Math.log10(level) : -90;
}
