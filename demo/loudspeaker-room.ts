/**
 * "Loudspeaker room": the player's output goes through a simulated room (a delay and a
 * reverberant ConvolverNode, plus a little noise) into a simulated microphone, as if the agent
 * played on laptop speakers next to the mic. Two detectors listen to that microphone side by
 * side: an energy VAD (what apps do today) and voxplay's echo-aware detector
 * (voxplay/barge-in). Every barge-in that is not the user is counted as false. "Talk over it"
 * plays a short utterance of another voice into the room: a real barge-in.
 */
import type { StripChart } from './charts/strip-chart';
import type { StreamPlayer } from './lib';

/** The `voxplay/barge-in` entry of the build, loaded when the room is switched on. */
const BARGE_IN_URL = '/dist/barge-in.js';
/** Voice B of the echo fixtures (test/fixtures/make-echo-fixtures.sh), 16 kHz s16le. */
const NEAR_VOICE_URL = '/test/fixtures/echo-near-b-16k.s16le';
/** "Wait a second." in that file (its index, echo-near-b-16k.json). */
const NEAR_CLIP = { start: 30764, end: 43884 };
/** The energy VAD: RMS over this (dBFS) for this long while the agent plays. */
const VAD_THRESHOLD_DB = -35;
const VAD_HOLD_MS = 120;
/** A barge-in this soon after "Talk over it" is the user's; any other is false. */
const TALK_WINDOW_MS = 1500;

/** Figures the page shows. */
export interface RoomFigures {
  naiveFalse: number;
  oursFalse: number;
  oursTrue: number;
  erleDb: number | null;
  delayMs: number | null;
}

export interface LoudspeakerRoomOptions {
  player: StreamPlayer;
  chart: StripChart;
  /** The agent is speaking now (only then does a barge-in count). */
  speaking(): boolean;
  /** The demo's own interrupt (logs, tells the server). */
  interrupt(): void;
  onFigures(figures: RoomFigures): void;
  onStatus(text: string, kind: 'info' | 'on' | 'error'): void;
}

interface Detector {
  on(type: string, handler: (event: { erleDb?: number; delayMs?: number }) => void): () => void;
  close(): void;
}

export class LoudspeakerRoom {
  private readonly options: LoudspeakerRoomOptions;
  private nodes: AudioNode[] = [];
  private detector: Detector | null = null;
  private analyser: AnalyserNode | null = null;
  private mic: GainNode | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private loudSince: number | null = null;
  private talkedAt = -Infinity;
  private duck: ReturnType<StripChart['mark']> | null = null;
  private nearClip: AudioBuffer | null = null;
  private readonly samples = new Float32Array(1024);
  /** What the page shows (read by the demo's browser test). */
  readonly figures: RoomFigures = { naiveFalse: 0, oursFalse: 0, oursTrue: 0, erleDb: null, delayMs: null };

  constructor(options: LoudspeakerRoomOptions) {
    this.options = options;
  }

  get enabled(): boolean {
    return this.detector !== null;
  }

  /** Builds the room and starts both detectors. Resolves false when it could not. */
  async enable(): Promise<boolean> {
    if (this.detector) return true;
    const { player } = this.options;
    const context = player.audioContext;
    const tap = player.analyser;
    if (!(context instanceof AudioContext) || !tap) {
      this.options.onStatus('Start the player first (press Speak once).', 'error');
      return false;
    }
    try {
      const { createBargeInDetector } = (await import(/* @vite-ignore */ BARGE_IN_URL)) as {
        createBargeInDetector(player: StreamPlayer, options: object): Promise<Detector>;
      };
      const delay = context.createDelay(1);
      delay.delayTime.value = 0.05;
      const room = context.createConvolver();
      room.normalize = false;
      room.buffer = roomResponse(context, 0.35);
      const mic = context.createGain();
      const noise = context.createBufferSource();
      noise.buffer = whiteNoise(context, 0.003);
      noise.loop = true;
      tap.connect(delay);
      delay.connect(room);
      room.connect(mic);
      noise.connect(mic);
      noise.start();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      mic.connect(analyser);
      this.nodes = [delay, room, mic, noise, analyser];
      this.mic = mic;
      this.analyser = analyser;
      const detector = await createBargeInDetector(player, { mic, autoInterrupt: false });
      this.detector = detector;
      detector.on('speechstart', () => {
        if (this.options.speaking()) this.duck = this.options.chart.mark('duck', 'duck');
      });
      detector.on('rejected', () => this.closeDuck());
      detector.on('bargein', () => {
        this.closeDuck();
        if (!this.options.speaking()) return;
        const user = performance.now() - this.talkedAt < TALK_WINDOW_MS;
        if (user) this.figures.oursTrue++;
        else this.figures.oursFalse++;
        this.options.chart.mark('interrupt', user ? 'echo-aware barge-in' : 'false barge-in (voxplay)');
        this.options.interrupt();
        this.options.onFigures(this.figures);
      });
      detector.on('report', (report) => {
        this.figures.erleDb = report.erleDb ?? null;
        this.figures.delayMs = report.delayMs ?? null;
        this.options.onFigures(this.figures);
      });
      this.timer = setInterval(() => this.naiveVad(), 20);
      this.options.onStatus('On: the agent hears itself through the room. Press Speak, then Talk over it.', 'on');
      this.options.onFigures(this.figures);
      return true;
    } catch (error) {
      this.disable();
      this.options.onStatus(`Could not build the room: ${error instanceof Error ? error.message : String(error)}`, 'error');
      return false;
    }
  }

  /** Plays a short utterance of another voice into the room's microphone: a real barge-in. */
  async talkOverIt(): Promise<void> {
    const mic = this.mic;
    if (!mic) return;
    const context = mic.context;
    this.nearClip ??= await loadNearClip(context);
    const source = context.createBufferSource();
    source.buffer = this.nearClip;
    source.connect(mic);
    this.talkedAt = performance.now();
    source.start();
  }

  disable(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.detector?.close();
    this.detector = null;
    this.closeDuck();
    for (const node of this.nodes) {
      try {
        node.disconnect();
      } catch {
        // not connected
      }
      if (node instanceof AudioBufferSourceNode) node.stop();
    }
    try {
      if (this.nodes[0]) this.options.player.analyser?.disconnect(this.nodes[0]);
    } catch {
      // not connected
    }
    this.nodes = [];
    this.mic = null;
    this.analyser = null;
  }

  /** The energy VAD on the raw room microphone, counting what it would interrupt. */
  private naiveVad(): void {
    const analyser = this.analyser;
    if (!analyser) return;
    const data = this.samples;
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const x of data) sum += x * x;
    const db = 10 * Math.log10(sum / data.length + 1e-12);
    const now = performance.now();
    if (db < VAD_THRESHOLD_DB || !this.options.speaking()) {
      this.loudSince = null;
      return;
    }
    this.loudSince ??= now;
    if (now - this.loudSince < VAD_HOLD_MS) return;
    // Fired: count it (once per loud stretch) unless the user is talking.
    this.loudSince = now + 60_000;
    if (now - this.talkedAt > TALK_WINDOW_MS) {
      this.figures.naiveFalse++;
      this.options.onFigures(this.figures);
    }
  }

  private closeDuck(): void {
    if (this.duck) this.options.chart.close(this.duck);
    this.duck = null;
  }
}

/** Exponentially decaying noise: a room with reverberation time `rt60` seconds. */
function roomResponse(context: BaseAudioContext, rt60: number): AudioBuffer {
  const rate = context.sampleRate;
  const buffer = context.createBuffer(1, Math.round(rt60 * rate), rate);
  const h = buffer.getChannelData(0);
  let energy = 0;
  let seed = 20231;
  for (let i = 0; i < h.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    h[i] = (seed / 4294967296 - 0.5) * Math.exp((-6.9 * i) / (rt60 * rate));
    energy += h[i] * h[i];
  }
  for (let i = 0; i < h.length; i++) h[i] *= 0.7 / Math.sqrt(energy);
  return buffer;
}

function whiteNoise(context: BaseAudioContext, amplitude: number): AudioBuffer {
  const buffer = context.createBuffer(1, context.sampleRate * 2, context.sampleRate);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < data.length; i++) data[i] = (Math.random() * 2 - 1) * amplitude;
  return buffer;
}

async function loadNearClip(context: BaseAudioContext): Promise<AudioBuffer> {
  const bytes = await (await fetch(NEAR_VOICE_URL)).arrayBuffer();
  const view = new DataView(bytes);
  const length = NEAR_CLIP.end - NEAR_CLIP.start;
  const buffer = context.createBuffer(1, length, 16000);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < length; i++) data[i] = (view.getInt16(2 * (NEAR_CLIP.start + i), true) / 32768) * 0.9;
  return buffer;
}
