/**
 * The voxplay side of the demo: one StreamPlayer on the page's AudioContext, attached to a
 * (reconnecting) WebSocket to the mock TTS server. Everything shown comes from the player's
 * events and its `metrics` event.
 */
import type { Marker } from './charts/strip-chart';
import type { Engine, EngineHooks, LiveFigures } from './engine';
import type { PlayerMetrics, StreamPlayer, Voxplay } from './lib';
import type { SpeakOptions } from './scenario-form';
import { ServerConnection, type ConnectionStatus } from './server-connection';
import { SpeakQueue } from './speak-queue';

/** The protocols the demo's player can be fed with: voxplay's own, or a mock voice service's. */
export type DemoService = 'voxplay' | 'openai-realtime' | 'elevenlabs' | 'cartesia' | 'gemini-live' | 'deepgram' | 'twilio' | 'http';

export class VoxplayEngine implements Engine {
  readonly kind = 'voxplay' as const;
  readonly player: StreamPlayer;
  readonly connection: ServerConnection;
  private readonly lib: Voxplay;
  private readonly hooks: EngineHooks;
  private readonly speakQueue: SpeakQueue;
  private underrun: Marker | null = null;
  private lastInterruptAt = 0;
  private metrics: PlayerMetrics | null = null;
  /** Sample rate of each utterance, from its `start` message (for the marks' offsets). */
  private readonly rates = new Map<string, number>();
  private readonly wsUrl: string;
  private service: DemoService = 'voxplay';
  private adapter: { detach(): void } | null = null;
  private httpCount = 0;
  private httpChain: Promise<void> = Promise.resolve();

  constructor(lib: Voxplay, wsUrl: string, hooks: EngineHooks) {
    this.lib = lib;
    this.hooks = hooks;
    const { bus } = hooks;
    this.player = new lib.StreamPlayer({
      context: bus.context,
      destination: bus.input,
      sampleRate: 24000,
      prebufferMs: 60,
      fadeMs: 5,
      metricsIntervalMs: 50,
    });
    this.wsUrl = wsUrl;
    this.connection = new ServerConnection(
      wsUrl,
      (socket) => {
        this.adapter?.detach();
        this.adapter = null;
        if (this.service === 'voxplay' || this.service === 'http') {
          this.player.attach(socket);
          socket.addEventListener('message', (event: MessageEvent) => {
            if (typeof event.data === 'string') this.onControl(event.data);
          });
        } else this.adapter = this.connectAdapter(this.service, socket);
        socket.addEventListener('close', () => this.speakQueue.connectionLost());
      },
      (status, detail) => hooks.onConnection('voxplay', status, detail),
    );
    this.speakQueue = new SpeakQueue(this.connection, (record, why) => {
      record.state = 'failed';
      hooks.log.add({ engine: 'voxplay', code: 'not-sent', message: why });
      hooks.records.changed();
    });
    this.listen();
  }

  /**
   * Which protocol the mock server speaks to this player: voxplay's own (attach()), or a
   * voice service's shapes played through its adapter from `voxplay/adapters`.
   */
  setService(service: DemoService): void {
    if (service === this.service) return;
    this.service = service;
    this.speakQueue.clear();
    // HTTP needs no socket; the voxplay one stays up meanwhile.
    if (service !== 'http') this.connection.reconnect(service === 'voxplay' ? this.wsUrl : `${this.wsUrl}?service=${service}`);
  }

  private connectAdapter(service: Exclude<DemoService, 'voxplay' | 'http'>, socket: WebSocket): { detach(): void } {
    const { adapters } = this.lib;
    const { captions } = this.hooks;
    switch (service) {
      case 'openai-realtime':
        return adapters.connectOpenAIRealtime(this.player, socket, { format: 'pcm16' });
      case 'elevenlabs':
        // Its word timings become marks, and the captions' word list.
        return adapters.connectElevenLabs(this.player, socket, {
          outputFormat: 'pcm_24000',
          onWord: (id, offset, word) => captions.addMark('voxplay', id, word, (offset * 1000) / 24000),
        });
      case 'cartesia':
        return adapters.connectCartesia(this.player, socket, {
          encoding: 'pcm_s16le',
          sampleRate: 24000,
          onWord: (id, offset, word) => captions.addMark('voxplay', id, word, (offset * 1000) / 24000),
        });
      case 'gemini-live':
        return adapters.connectGeminiLive(this.player, socket);
      case 'deepgram':
        return adapters.connectDeepgram(this.player, socket, { encoding: 'linear16', sampleRate: 24000 });
      case 'twilio':
        return adapters.connectTwilio(this.player, socket);
    }
  }

  /** Loads the worklet and connects. Resolves with the player's state ('running' or 'blocked'). */
  async start(): Promise<string> {
    await this.player.start();
    this.connection.connect();
    return this.player.state;
  }

  async speak(text: string, options: SpeakOptions): Promise<void> {
    if (this.service === 'http') return this.speakHttp(text, options);
    const record = this.hooks.records.add('voxplay', text);
    this.speakQueue.request(record, this.lib.encodeControl({ type: 'speak', text, options: { ...options, mode: 'framed' } }));
    // Speak is a user gesture: the moment to lift an autoplay block.
    if (this.player.state === 'blocked' || this.player.state === 'suspended') await this.player.resume();
  }

  /**
   * HTTP: fetch the page server's /tts and play the body with playStream (its Content-Type
   * names the format). One request at a time: a new utterance id would end the one playing.
   */
  private speakHttp(text: string, options: SpeakOptions): Promise<void> {
    const record = this.hooks.records.add('voxplay', text);
    const id = `http-${++this.httpCount}`;
    const query = new URLSearchParams({ text, format: options.format ?? 'pcm16', speed: String(options.speed ?? 4) });
    const play = async (): Promise<void> => {
      if (record.state === 'interrupted') return;
      record.id = id;
      record.requestedAt = performance.now();
      try {
        await this.player.playStream(await fetch(`/tts?${query}`), { utteranceId: id });
      } catch (error) {
        record.state = 'failed';
        this.hooks.log.add({
          engine: 'voxplay',
          code: (error as { code?: string }).code ?? 'error',
          message: String((error as Error).message ?? error),
          utteranceId: id,
        });
        this.hooks.records.changed();
      }
    };
    this.httpChain = this.httpChain.then(play);
    if (this.player.state === 'blocked' || this.player.state === 'suspended') return this.player.resume();
    return Promise.resolve();
  }

  interrupt(): void {
    const t0 = performance.now();
    const frame = this.hooks.bus.frameNow();
    this.lastInterruptAt = t0;
    const sounding = this.player.getMetrics().current?.state === 'playing';
    const result = this.player.interrupt();
    // Twilio's protocol has no message for a barge-in the client detects: the app tells its
    // own server, which answers with `clear` (until then the adapter holds the cut reply's
    // media as stale). The demo's mock takes voxplay's `interrupt` for that.
    if (this.service === 'twilio') this.connection.send(JSON.stringify({ type: 'interrupt', utteranceId: null }));
    const { records, chart, bus } = this.hooks;
    chart.mark('interrupt', 'barge-in', t0);
    const target = (result.utteranceId !== null ? records.find('voxplay', result.utteranceId) : undefined) ?? records.open('voxplay')[0];
    this.speakQueue.clear();
    for (const r of records.open('voxplay')) r.state = 'interrupted';
    if (target && sounding) {
      void bus.silenceAfter(frame).then((ms) => {
        if (ms !== null) target.bargeInMs = Math.max(0, ms);
        records.changed();
      });
    }
    records.changed();
  }

  busy(): boolean {
    const m = this.player.getMetrics();
    return m.current !== null || m.samples.buffered > 0;
  }

  connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  figures(): LiveFigures {
    const m = this.metrics ?? this.player.getMetrics();
    const utt = m.current ?? m.recent.at(-1) ?? null;
    return {
      state: this.player.state,
      transport: m.transport === 'shared' ? 'SharedArrayBuffer ring' : 'postMessage ring',
      bufferedMs: m.bufferedMs,
      lowWaterMs: m.lowWaterMs,
      prebufferMs: m.prebufferMs,
      preloadRate: utt?.preloadRate ?? null,
      arrivalSpeed: utt?.arrivalSpeed ?? null,
      playedMs: m.playedMs,
      droppedMs: m.droppedMs + m.staleMs,
      underruns: m.underruns,
      underrunMs: m.underrunMs,
    };
  }

  /** Text frames: the word list of each utterance (marks), its end, and the server's refusals. */
  private onControl(text: string): void {
    const parsed = this.lib.parseServerControl(text);
    if (!parsed.ok) return; // the player reports it (bad-control)
    const msg = parsed.message;
    if (msg.type === 'mark') {
      // The word list for the caption; the player itself fires `mark` when each is heard.
      this.hooks.captions.addMark('voxplay', msg.utteranceId, msg.name, (msg.sampleOffset * 1000) / (this.rates.get(msg.utteranceId) ?? 24000));
    } else if (msg.type === 'end') {
      this.speakQueue.streamed(msg.utteranceId);
    } else if (msg.type === 'error' && /^bad-options/.test(msg.message)) {
      const record = this.speakQueue.current;
      if (record && record.id === null) record.state = 'failed';
      this.speakQueue.streamed(null);
      this.hooks.records.changed();
    }
  }

  private listen(): void {
    const { player } = this;
    const { records, chart, log, captions } = this.hooks;
    const record = (id: string) => records.find('voxplay', id);

    // The server's `start` names the oldest pending request; the player hands it over with its text.
    player.on('utterancestart', (e) => {
      const record = this.speakQueue.claimStart(e.utteranceId) ?? (e.utteranceId.startsWith('http-') ? records.find('voxplay', e.utteranceId) : null) ?? null;
      if (record) {
        if (record.state === 'requested') record.state = 'buffering';
        this.hooks.records.changed();
      }
      this.rates.set(e.utteranceId, e.sampleRate);
      if (this.rates.size > 64) this.rates.delete(this.rates.keys().next().value!);
      this.hooks.captions.begin('voxplay', e.utteranceId, e.text ?? record?.text ?? '');
    });
    player.on('metrics', (m) => {
      this.metrics = m;
      const sounding = m.current && m.current.state === 'playing' ? record(m.current.utteranceId) : undefined;
      if (sounding) {
        sounding.playedMs = m.current!.playedMs;
        records.changed();
      }
      chart.pushBuffer(performance.now(), m.bufferedMs, 'voxplay');
      chart.setPrebuffer(m.prebufferMs);
      this.hooks.onUpdate();
    });
    player.on('statechange', () => this.hooks.onUpdate());
    player.on('playing', (e) => {
      const r = record(e.utteranceId);
      if (r) {
        // `playing` is timed to when the first sample is heard, so a barge-in just before that
        // moment is reported (at once) before it: keep the later state.
        if (r.state === 'requested' || r.state === 'buffering') r.state = 'playing';
        r.ttfaMs = e.audibleAt - r.requestedAt;
        r.clientTtfaMs = e.timeToFirstAudioMs;
      }
      chart.mark('start', `#${e.utteranceId}`);
      captions.show('voxplay', e.utteranceId);
      records.changed();
    });
    player.on('mark', (e) => captions.heardUntil('voxplay', e.utteranceId, e.offsetMs));
    player.on('ended', (e) => {
      // A service's shapes carry no voxplay `end`: the next request goes once this one played.
      if (this.service !== 'voxplay') this.speakQueue.streamed(e.utteranceId);
      const r = record(e.utteranceId);
      if (r) {
        r.state = 'ended';
        r.playedMs = e.playedMs;
      }
      chart.mark('end');
      captions.ended('voxplay', e.utteranceId);
      records.changed();
    });
    player.on('underrun', (e) => {
      const r = record(e.utteranceId);
      if (e.phase === 'start') {
        if (r) r.gaps++;
        this.underrun = chart.mark('underrun', 'underrun');
      } else {
        if (r) r.gapMs += e.silentMs;
        if (this.underrun) chart.close(this.underrun);
        this.underrun = null;
      }
      records.changed();
    });
    player.on('interrupted', (e) => {
      if (this.underrun) chart.close(this.underrun);
      this.underrun = null;
      const r = e.utteranceId !== null ? record(e.utteranceId) : undefined;
      if (r) {
        r.state = 'interrupted';
        r.playedMs = e.playedMs;
        r.droppedMs = e.droppedMs;
        if (this.lastInterruptAt > 0) r.reportedBargeInMs = e.silentAt - this.lastInterruptAt;
        r.fadeMs = e.fadeMs;
      }
      if (e.utteranceId !== null) captions.cut('voxplay', e.utteranceId, e.lastMark?.offsetMs ?? null, "the player's lastMark");
      for (const id of e.flushed) {
        const f = record(id);
        if (f) f.state = 'interrupted';
      }
      records.changed();
    });
    player.on('error', (e) => {
      log.add({ engine: 'voxplay', code: e.code, message: e.message, utteranceId: e.utteranceId });
      chart.mark('error', e.code);
    });
    // Routine drops (late audio after a barge-in…) are notes, not errors: the player says which is which.
    player.on('dropped', (e) => {
      log.add({ engine: 'voxplay', code: e.reason, message: e.message, utteranceId: e.utteranceId, level: 'note' });
    });
    player.on('disconnected', (e) => {
      if (e.utteranceId !== null) chart.mark('error', 'disconnected');
    });
  }
}
