/**
 * "Barge in when I talk": a crude voice detector. The microphone goes into an AnalyserNode
 * (never to the speakers); when its RMS level stays above the threshold for `holdMs` while
 * audio is playing, it calls `onSpeech()` — the app's cue to `interrupt()`. A real app would
 * use a proper VAD; the point here is what happens after it fires.
 *
 * Needs microphone permission. Denial (or no microphone) is reported and the toggle turns
 * itself off; nothing else on the page depends on it.
 */
import { toDb } from './output-bus';

export interface MicBargeInOptions {
  context: AudioContext;
  /** Audio is playing (only then does talking count as barging in). */
  armed(): boolean;
  onSpeech(levelDb: number): void;
  /** Status line for the UI. */
  onStatus(text: string, kind: 'info' | 'on' | 'error'): void;
  /** Live level and threshold, dBFS, for a meter. */
  onLevel(levelDb: number): void;
}

export class MicBargeIn {
  thresholdDb = -35;
  /** Talking must last this long to count (ignores clicks and short noises). */
  holdMs = 120;
  /** After a barge-in, wait this long before another can fire. */
  cooldownMs = 800;
  private readonly options: MicBargeInOptions;
  private stream: MediaStream | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private analyser: AnalyserNode | null = null;
  private buf: Float32Array<ArrayBuffer> | null = null;
  private frame = 0;
  private loudSince: number | null = null;
  private lastFired = -Infinity;

  constructor(options: MicBargeInOptions) {
    this.options = options;
  }

  get enabled(): boolean {
    return this.stream !== null;
  }

  /** Asks for the microphone and starts listening. Resolves false when it could not. */
  async enable(): Promise<boolean> {
    if (this.stream) return true;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.options.onStatus('This browser offers no microphone access here (it needs https or localhost).', 'error');
      return false;
    }
    this.options.onStatus('Waiting for microphone permission…', 'info');
    try {
      // Echo cancellation keeps the demo's own voice (from the speakers) from triggering it.
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: false } });
    } catch (error) {
      this.options.onStatus(describeFailure(error), 'error');
      return false;
    }
    const { context } = this.options;
    if (context.state !== 'running') await context.resume().catch(() => undefined);
    this.source = context.createMediaStreamSource(this.stream);
    this.analyser = new AnalyserNode(context, { fftSize: 1024, smoothingTimeConstant: 0 });
    this.buf = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
    this.options.onStatus('Listening. Talk while the demo speaks to barge in (headphones help).', 'on');
    const loop = () => {
      this.frame = requestAnimationFrame(loop);
      this.tick();
    };
    this.frame = requestAnimationFrame(loop);
    for (const track of this.stream.getAudioTracks()) {
      track.addEventListener('ended', () => {
        this.disable();
        this.options.onStatus('The microphone was disconnected.', 'error');
      });
    }
    return true;
  }

  disable(): void {
    cancelAnimationFrame(this.frame);
    this.source?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.source = null;
    this.analyser = null;
    this.loudSince = null;
    this.options.onLevel(-90);
  }

  private tick(): void {
    if (!this.analyser || !this.buf) return;
    this.analyser.getFloatTimeDomainData(this.buf);
    let acc = 0;
    for (let i = 0; i < this.buf.length; i++) acc += this.buf[i] * this.buf[i];
    const db = toDb(Math.sqrt(acc / this.buf.length));
    this.options.onLevel(db);
    const now = performance.now();
    if (db < this.thresholdDb || !this.options.armed()) {
      this.loudSince = null;
      return;
    }
    this.loudSince ??= now;
    if (now - this.loudSince >= this.holdMs && now - this.lastFired >= this.cooldownMs) {
      this.lastFired = now;
      this.loudSince = null;
      this.options.onSpeech(db);
    }
  }
}

function describeFailure(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone permission was denied, so voice barge-in is off. The Interrupt button and the keyboard still work. To use it, allow the microphone for this page (the icon in the address bar) and switch it on again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. The Interrupt button and the keyboard still work.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone is busy or could not be opened (another app may be using it).';
    default:
      return `Could not open the microphone: ${error instanceof Error ? error.message : String(error)}`;
  }
}
