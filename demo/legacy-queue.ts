/**
 * The design voxplay replaces, kept here for the A/B comparison only: the server sends
 * base64 WAV chunks in JSON (`{type:'audio', utteranceId, wav}`, the mock server's
 * `mode: 'legacy'`), and the page plays them one <audio> element after another, starting the
 * next on the previous one's `ended`. Every boundary costs an element start-up, and nothing
 * is buffered ahead at the sample level, so chunk boundaries turn into audible gaps.
 *
 * For a fair comparison the elements play through `createMediaElementSource` into the same
 * output bus (and analyser) as voxplay. Gaps are measured from `ended` to the next
 * element's `playing`.
 */
import type { Engine, EngineHooks, LiveFigures } from './engine';
import { LEGACY_GAP_MS, type UtteranceRecord } from './records';
import type { SpeakOptions } from './scenario-form';
import { ServerConnection, type ConnectionStatus } from './server-connection';
import { SpeakQueue } from './speak-queue';

/** A legacy client needs a limit too: chunks above this are refused (as voxplay refuses oversized frames). */
const MAX_WAV_BYTES = 4 * 1024 * 1024;

interface Chunk {
  utteranceId: string;
  url: string;
  durationMs: number;
  /** Created just before it is due (this one and the next), not for every queued chunk. */
  element: HTMLAudioElement | null;
  source: MediaElementAudioSourceNode | null;
  disposed: boolean;
}

interface LegacyUtterance {
  id: string;
  record: UtteranceRecord | undefined;
  /** The server sent `end`. */
  complete: boolean;
  started: boolean;
  chunks: number;
  receivedMs: number;
  firstArrival: number | null;
  lastArrival: number | null;
  boundaries: number;
  preloaded: number;
  /** Audio of it that finished playing, ms (whole chunks). */
  playedMs: number;
}

export class LegacyQueue implements Engine {
  readonly kind = 'legacy' as const;
  readonly connection: ServerConnection;
  private readonly hooks: EngineHooks;
  private readonly queue: Chunk[] = [];
  private current: Chunk | null = null;
  private readonly utterances = new Map<string, LegacyUtterance>();
  /** Interrupted ids: their late chunks are discarded. */
  private readonly cut = new Set<string>();
  private readonly speakQueue: SpeakQueue;
  /** When the previous chunk of the same utterance ended (for the gap measurement). */
  private endedAt: { utteranceId: string; at: number } | null = null;
  private totals = { playedMs: 0, droppedMs: 0, gaps: 0, gapMs: 0 };
  private lastUtterance: LegacyUtterance | null = null;

  constructor(wsUrl: string, hooks: EngineHooks) {
    this.hooks = hooks;
    this.connection = new ServerConnection(
      wsUrl,
      (socket) => {
        socket.addEventListener('message', (event: MessageEvent) => {
          if (typeof event.data === 'string') this.onMessage(event.data);
        });
        socket.addEventListener('close', () => {
          for (const u of this.utterances.values()) {
            if (u.complete) continue;
            u.complete = true; // what arrived plays out
            this.hooks.log.add({ engine: 'legacy', code: 'disconnected', message: 'the socket closed while an utterance was arriving', utteranceId: u.id });
            this.maybeFinish(u);
          }
          this.speakQueue.connectionLost();
        });
      },
      (status, detail) => hooks.onConnection('legacy', status, detail),
    );
    this.speakQueue = new SpeakQueue(this.connection, (record, why) => {
      record.state = 'failed';
      hooks.log.add({ engine: 'legacy', code: 'not-sent', message: why });
      hooks.records.changed();
    });
  }

  start(): void {
    this.connection.connect();
  }

  async speak(text: string, options: SpeakOptions): Promise<void> {
    const record = this.hooks.records.add('legacy', text);
    this.speakQueue.request(record, JSON.stringify({ type: 'speak', text, options: { ...options, mode: 'legacy' } }));
    if (this.hooks.bus.context.state !== 'running') await this.hooks.bus.context.resume().catch(() => undefined);
  }

  interrupt(): void {
    const t0 = performance.now();
    const frame = this.hooks.bus.frameNow();
    const { records, chart, bus } = this.hooks;
    chart.mark('interrupt', 'barge-in', t0);
    const sounding = this.current !== null;
    const playing = this.current;
    const target = playing ? this.utterances.get(playing.utteranceId)?.record : records.open('legacy')[0];
    if (playing) {
      const u = this.utterances.get(playing.utteranceId);
      if (u) this.hooks.captions.cut('legacy', u.id, u.playedMs + (playing.element?.currentTime ?? 0) * 1000, "the <audio> element's currentTime");
      playing.element?.pause();
      const heard = (playing.element?.currentTime ?? 0) * 1000;
      this.totals.playedMs += heard;
      this.totals.droppedMs += Math.max(0, playing.durationMs - heard);
      if (target) {
        target.playedMs += heard;
        target.droppedMs += Math.max(0, playing.durationMs - heard);
      }
      this.dispose(playing);
      this.current = null;
    }
    for (const chunk of this.queue.splice(0)) {
      this.totals.droppedMs += chunk.durationMs;
      const r = this.utterances.get(chunk.utteranceId)?.record;
      if (r) r.droppedMs += chunk.durationMs;
      this.dispose(chunk);
    }
    for (const u of this.utterances.values()) {
      this.cut.add(u.id);
      if (u.record && u.record.state !== 'ended') u.record.state = 'interrupted';
    }
    this.utterances.clear();
    this.speakQueue.clear();
    for (const r of records.open('legacy')) r.state = 'interrupted';
    this.endedAt = null;
    this.connection.send(JSON.stringify({ type: 'interrupt', utteranceId: null }));
    if (target && sounding) {
      void bus.silenceAfter(frame).then((ms) => {
        if (ms !== null) target.bargeInMs = Math.max(0, ms);
        records.changed();
      });
    }
    records.changed();
    this.hooks.onUpdate();
  }

  busy(): boolean {
    return this.current !== null || this.queue.length > 0;
  }

  connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  /** Moves the caption along with the current element's playback position (call often). */
  tick(): void {
    const chunk = this.current;
    const u = chunk ? this.utterances.get(chunk.utteranceId) : undefined;
    if (!chunk || !u || !chunk.element) return;
    this.hooks.captions.heardUntil('legacy', u.id, u.playedMs + chunk.element.currentTime * 1000);
  }

  /** Audio not yet heard: the rest of the current element plus the queued ones. */
  queuedMs(): number {
    let ms = 0;
    if (this.current) ms += Math.max(0, this.current.durationMs - (this.current.element?.currentTime ?? 0) * 1000);
    for (const c of this.queue) ms += c.durationMs;
    return ms;
  }

  figures(): LiveFigures {
    const u = this.lastUtterance;
    let arrival: number | null = null;
    if (u && u.firstArrival !== null && u.lastArrival !== null && u.lastArrival > u.firstArrival) {
      arrival = u.receivedMs / (u.lastArrival - u.firstArrival);
    }
    return {
      state: this.current ? 'playing' : this.queue.length > 0 ? 'starting' : 'idle',
      transport: '<audio> per chunk',
      bufferedMs: this.queuedMs(),
      lowWaterMs: null,
      prebufferMs: null,
      preloadRate: u && u.boundaries > 0 ? u.preloaded / u.boundaries : null,
      arrivalSpeed: arrival,
      playedMs: this.totals.playedMs,
      droppedMs: this.totals.droppedMs,
      underruns: this.totals.gaps,
      underrunMs: this.totals.gapMs,
    };
  }

  private onMessage(text: string): void {
    let msg: { type?: unknown; utteranceId?: unknown; wav?: unknown; message?: unknown; text?: unknown; sampleOffset?: unknown; name?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.hooks.log.add({ engine: 'legacy', code: 'not-json', message: 'a text message is not JSON' });
      return;
    }
    const id = typeof msg.utteranceId === 'string' ? msg.utteranceId : '';
    switch (msg.type) {
      case 'start': {
        const record = this.speakQueue.claimStart(id) ?? undefined;
        if (record) record.state = 'buffering';
        const u: LegacyUtterance = {
          id,
          record,
          complete: false,
          started: false,
          chunks: 0,
          receivedMs: 0,
          firstArrival: null,
          lastArrival: null,
          boundaries: 0,
          preloaded: 0,
          playedMs: 0,
        };
        this.utterances.set(id, u);
        this.lastUtterance = u;
        this.hooks.captions.begin('legacy', id, typeof msg.text === 'string' ? msg.text : (record?.text ?? ''));
        this.hooks.records.changed();
        break;
      }
      case 'mark':
        if (typeof msg.name === 'string' && typeof msg.sampleOffset === 'number') {
          this.hooks.captions.addMark('legacy', id, msg.name, (msg.sampleOffset * 1000) / 24000);
        }
        break;
      case 'audio':
        if (typeof msg.wav === 'string') this.onAudio(id, msg.wav);
        break;
      case 'end': {
        this.speakQueue.streamed(id);
        const u = this.utterances.get(id);
        if (u) {
          u.complete = true;
          this.maybeFinish(u);
        }
        break;
      }
      case 'error':
        this.hooks.log.add({ engine: 'legacy', code: 'server-error', message: String(msg.message) });
        if (/^bad-options/.test(String(msg.message))) {
          const r = this.speakQueue.current;
          if (r && r.id === null) r.state = 'failed';
          this.speakQueue.streamed(null);
        }
        this.hooks.records.changed();
        break;
    }
  }

  private onAudio(id: string, wavBase64: string): void {
    if (this.cut.has(id)) return; // late chunk of an interrupted utterance
    const u = this.utterances.get(id);
    if (!u) return;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = Uint8Array.from(atob(wavBase64), (c) => c.charCodeAt(0));
    } catch {
      this.hooks.log.add({ engine: 'legacy', code: 'bad-wav', message: 'an audio chunk is not valid base64; skipped', utteranceId: id });
      this.hooks.chart.mark('error', 'bad-wav');
      return;
    }
    if (bytes.length > MAX_WAV_BYTES) {
      this.hooks.log.add({
        engine: 'legacy',
        code: 'oversized',
        message: `a ${bytes.length}-byte WAV chunk is over the 4 MiB limit; skipped`,
        utteranceId: id,
      });
      this.hooks.chart.mark('error', 'oversized');
      return;
    }
    const durationMs = wavDurationMs(bytes);
    if (durationMs === null) {
      this.hooks.log.add({ engine: 'legacy', code: 'bad-wav', message: 'an audio chunk is not a PCM WAV file; skipped', utteranceId: id });
      return;
    }
    const now = performance.now();
    u.firstArrival ??= now;
    u.lastArrival = now;
    u.receivedMs += durationMs;
    if (u.chunks > 0) {
      u.boundaries++;
      if (this.busy()) u.preloaded++;
    }
    u.chunks++;
    const url = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
    const chunk: Chunk = { utteranceId: id, url, durationMs, element: null, source: null, disposed: false };
    this.queue.push(chunk);
    if (!this.current) this.playNext();
  }

  /** Creates the chunk's <audio> element, routed into the output bus. */
  private prepare(chunk: Chunk): HTMLAudioElement {
    if (chunk.element) return chunk.element;
    const element = new Audio();
    element.preload = 'auto';
    element.src = chunk.url;
    const source = this.hooks.bus.context.createMediaElementSource(element);
    source.connect(this.hooks.bus.input);
    element.addEventListener('playing', () => this.onPlaying(chunk));
    element.addEventListener('ended', () => this.onEnded(chunk));
    element.addEventListener('error', () => {
      if (chunk.disposed) return;
      this.hooks.log.add({
        engine: 'legacy',
        code: 'media-error',
        message: `the <audio> element could not play a chunk (${element.error?.message || element.error?.code})`,
        utteranceId: chunk.utteranceId,
      });
      if (this.current === chunk) this.onEnded(chunk);
    });
    chunk.element = element;
    chunk.source = source;
    return element;
  }

  private playNext(): void {
    const next = this.queue.shift();
    if (!next) return;
    this.current = next;
    const element = this.prepare(next);
    if (this.queue[0]) this.prepare(this.queue[0]); // let the next one load meanwhile
    element.play().catch((error: unknown) => {
      if (this.current !== next) return; // interrupted meanwhile
      this.hooks.log.add({
        engine: 'legacy',
        code: 'play-rejected',
        message: `<audio>.play() was rejected: ${error instanceof Error ? error.message : String(error)}`,
        utteranceId: next.utteranceId,
      });
      this.onEnded(next);
    });
  }

  private onPlaying(chunk: Chunk): void {
    if (this.current !== chunk) return;
    const now = performance.now();
    const u = this.utterances.get(chunk.utteranceId);
    const record = u?.record;
    if (u && !u.started) {
      u.started = true;
      if (record) {
        record.state = 'playing';
        record.ttfaMs = now + this.hooks.bus.latencyMs() - record.requestedAt;
      }
      this.hooks.chart.mark('start', `#${chunk.utteranceId}`);
      this.hooks.captions.show('legacy', chunk.utteranceId);
    } else if (this.endedAt && this.endedAt.utteranceId === chunk.utteranceId) {
      const gap = now - this.endedAt.at;
      if (gap > LEGACY_GAP_MS) {
        this.totals.gaps++;
        this.totals.gapMs += gap;
        if (record) {
          record.gaps++;
          record.gapMs += gap;
        }
        const marker = this.hooks.chart.mark('gap', undefined, this.endedAt.at);
        this.hooks.chart.close(marker, now);
      }
    }
    this.endedAt = null;
    this.hooks.records.changed();
  }

  private onEnded(chunk: Chunk): void {
    if (this.current !== chunk) return;
    const now = performance.now();
    this.totals.playedMs += chunk.durationMs;
    const u = this.utterances.get(chunk.utteranceId);
    if (u) u.playedMs += chunk.durationMs;
    if (u?.record) u.record.playedMs += chunk.durationMs;
    this.endedAt = { utteranceId: chunk.utteranceId, at: now };
    this.dispose(chunk);
    this.current = null;
    this.playNext();
    if (u) this.maybeFinish(u);
  }

  /** The utterance is over once the server ended it and its last chunk played. */
  private maybeFinish(u: LegacyUtterance): void {
    if (!u.complete) return;
    if (this.current?.utteranceId === u.id || this.queue.some((c) => c.utteranceId === u.id)) return;
    this.utterances.delete(u.id);
    if (u.record && (u.record.state === 'playing' || u.record.state === 'buffering')) {
      u.record.state = u.started ? 'ended' : 'failed';
      if (u.started) this.hooks.chart.mark('end');
      if (u.started) this.hooks.captions.ended('legacy', u.id);
    }
    this.hooks.records.changed();
  }

  private dispose(chunk: Chunk): void {
    chunk.disposed = true;
    chunk.source?.disconnect();
    if (chunk.element) {
      chunk.element.pause();
      chunk.element.removeAttribute('src');
      chunk.element.load();
    }
    URL.revokeObjectURL(chunk.url);
  }
}

/** Duration of a PCM WAV file from its header, or null if it is not one. */
function wavDurationMs(bytes: Uint8Array): number | null {
  if (bytes.length < 44) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  const byteRate = view.getUint32(28, true);
  const dataBytes = view.getUint32(40, true);
  return byteRate > 0 ? (dataBytes * 1000) / byteRate : null;
}
