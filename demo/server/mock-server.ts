/**
 * Mock streaming-TTS WebSocket server for the demo, tests and benchmarks.
 *
 * Client → server (text JSON, parsed with the shared protocol module):
 *   {"type":"speak","text":"…","options":{…Scenario fields…}}
 *   {"type":"interrupt","utteranceId":"N" | null}      (null = every active utterance)
 *
 * Server → client, per speak (utterance ids are increasing u32s; JSON carries String(id)):
 *   text   {"type":"start","utteranceId":"N","sampleRate":24000,"format":"pcm16","text":"…"}
 *          (sent immediately on the request; `text` is the part actually spoken)
 *   audio  paced by planDelivery():
 *            framed: binary voxplay frames, seq 0,1,2…, first flagged start, last flagged end
 *            raw:    headerless PCM16 LE binary messages
 *            legacy: text {"type":"audio","utteranceId":"N","wav":"<base64 WAV>"} per chunk
 *   text   {"type":"end","utteranceId":"N"} right after the last audio message
 *
 * An interrupt cancels the utterance's timers at once (nothing more of it is sent) and is
 * acknowledged with {"type":"end","utteranceId":"N"}; an id that is not active on this
 * connection is recorded but not answered. Invalid messages get
 * {"type":"error","message":"<code>: <details>"} and the connection stays open.
 * Several utterances may stream concurrently on one connection.
 *
 * Faults (options.fault, at options.faultAtMs of audio, default the middle frame):
 *   drop       terminate the socket instead of sending that frame
 *   malformed  send one extra garbage binary message (45 bytes, bad magic) before it
 *              (legacy: an audio message whose `wav` is not base64)
 *   duplicate  send that frame twice (same bytes, same seq)
 *   reorder    swap that frame with the next one (the previous one if it is the last)
 *   oversized  send one extra message over MAX_FRAME_BYTES before it (framed: a valid
 *              header carrying that frame's seq, padded with silence)
 */

import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';
import { MAX_FRAME_BYTES, encodeControl, encodeFrame, parseClientControl } from '../../src/protocol/index';
import { float32ToPcm16, wavFile } from '../../src/protocol/pcm-encode';
import { decodedRate, encodeCompressed } from './encoders';
import { SERVICES, serviceClientMessage, serviceFrame, serviceRate, type ServiceName, type ServiceUtterance } from './services';
import { float32ToAlaw, float32ToMulaw } from '../../src/protocol/g711-encode';
import { MAX_TEXT_CHARS, VOICE_SAMPLE_RATE, synthesize } from './voice';
import { faultFrameIndex, parseScenario, planDelivery, type Fault, type Scenario } from './scenario';

export interface MockServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Scenario fields applied before each speak message's own options. */
  defaults?: Partial<Scenario>;
  /** Output sample rate (default 24000; 8000–48000). */
  sampleRate?: number;
  /** One line per notable event (connections, utterances, faults, errors). */
  log?: (line: string) => void;
}

export interface InterruptRecord {
  /** The utteranceId the client asked for (null = all active). */
  requested: string | null;
  /** Ids that were active and got cancelled (empty if none matched). */
  cancelled: string[];
  /** Audio messages of the cancelled utterances sent after the interrupt arrived. Must stay 0. */
  framesSentAfter: number;
}

export interface FaultRecord {
  utteranceId: string;
  fault: Fault;
  /** Index of the planned frame the fault fired at. */
  frameIndex: number;
}

export interface MockServerStats {
  /** Connections accepted so far / currently open. */
  connections: number;
  openConnections: number;
  utterancesStarted: number;
  /** Utterances whose last audio message and end message were sent. */
  utterancesCompleted: number;
  utterancesInterrupted: number;
  /** Audio messages sent (binary frames, or legacy audio JSON), injected fault messages included. */
  framesSent: number;
  /** Bytes of those audio messages. */
  bytesSent: number;
  /** Error replies sent for bad client messages. */
  errorsSent: number;
  faultsInjected: FaultRecord[];
  interrupts: InterruptRecord[];
  /** Sum of `framesSentAfter` over all interrupts. Must stay 0. */
  framesSentAfterInterrupt: number;
  /** What clients of the service shapes (`?service=…`) sent back, e.g. OpenAI's truncate, in order. */
  serviceMessages: string[];
}

export interface MockServer {
  /** ws://host:port/ */
  url: string;
  port: number;
  host: string;
  /** Live counters (mutated in place as the server runs). */
  stats: MockServerStats;
  /** Terminates every connection, cancels every timer and stops listening. */
  close(): Promise<void>;
}

/** The bytes sent for a `malformed` fault: 45 (odd) ASCII bytes that are no voxplay frame. */
export const GARBAGE_FRAME = new TextEncoder().encode('GARBAGE! this is not a voxplay frame :-( 1234');

type Action =
  | { kind: 'frame'; atMs: number; index: number }
  | { kind: 'garbage'; atMs: number }
  | { kind: 'oversized'; atMs: number; index: number }
  | { kind: 'drop'; atMs: number };

interface Utterance {
  id: number;
  key: string;
  scenario: Scenario;
  pcm: Uint8Array;
  /** The synthesized samples (the G.711 formats encode from these). */
  samples: Float32Array;
  /** The whole utterance encoded as MP3 or Ogg Opus (cut into frames in proportion to the plan), else null. */
  coded: Uint8Array | null;
  /** Set when the connection speaks a voice service's shapes (services.ts). */
  service: ServiceUtterance | null;
  plan: ReturnType<typeof planDelivery>;
  actions: Action[];
  next: number;
  t0: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
  interrupts: InterruptRecord[];
}

interface Connection {
  ws: WebSocket;
  active: Map<string, Utterance>;
  /** The service whose message shapes this connection speaks (`?service=` in its URL), or null for voxplay's protocol. */
  service: ServiceName | null;
}

/** Interleaves the fault (if any) into the planned frames. */
function buildActions(plan: ReturnType<typeof planDelivery>, sampleRate: number, s: Scenario): { actions: Action[]; faultIndex: number } {
  const actions: Action[] = plan.map((p, index) => ({ kind: 'frame', atMs: p.atMs, index }));
  if (s.fault === undefined) return { actions, faultIndex: -1 };
  const fi = faultFrameIndex(plan, sampleRate, s.faultAtMs);
  const at = plan[fi].atMs;
  switch (s.fault) {
    case 'drop':
      actions.splice(fi, actions.length - fi, { kind: 'drop', atMs: at });
      return { actions, faultIndex: fi };
    case 'malformed':
      actions.splice(fi, 0, { kind: 'garbage', atMs: at });
      return { actions, faultIndex: fi };
    case 'oversized':
      actions.splice(fi, 0, { kind: 'oversized', atMs: at, index: fi });
      return { actions, faultIndex: fi };
    case 'duplicate':
      actions.splice(fi + 1, 0, { kind: 'frame', atMs: at, index: fi });
      return { actions, faultIndex: fi };
    case 'reorder': {
      if (plan.length < 2) return { actions, faultIndex: -1 };
      const j = fi < plan.length - 1 ? fi : fi - 1;
      // Keep the send times, swap which frame goes at each.
      actions[j] = { kind: 'frame', atMs: plan[j].atMs, index: j + 1 };
      actions[j + 1] = { kind: 'frame', atMs: plan[j + 1].atMs, index: j };
      return { actions, faultIndex: j };
    }
  }
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export async function startMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const host = opts.host ?? '127.0.0.1';
  const sampleRate = opts.sampleRate ?? VOICE_SAMPLE_RATE;
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48000) {
    throw new RangeError(`startMockServer: sampleRate ${sampleRate} is not an integer in 8000–48000`);
  }
  const defaults = opts.defaults ?? {};
  const checked = parseScenario(undefined, defaults);
  if (!checked.ok) throw new RangeError(`startMockServer: bad defaults: ${checked.error}`);
  const log = opts.log ?? (() => {});

  const stats: MockServerStats = {
    connections: 0,
    openConnections: 0,
    utterancesStarted: 0,
    utterancesCompleted: 0,
    utterancesInterrupted: 0,
    framesSent: 0,
    bytesSent: 0,
    errorsSent: 0,
    faultsInjected: [],
    interrupts: [],
    framesSentAfterInterrupt: 0,
    serviceMessages: [],
  };
  const connections = new Set<Connection>();
  let nextId = 1;

  const wss = new WebSocketServer({ port: opts.port ?? 0, host, maxPayload: 4 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('error', (err) => log(`server error: ${err.message}`));
  const port = (wss.address() as AddressInfo).port;

  function sendError(conn: Connection, message: string): void {
    stats.errorsSent++;
    log(`error → client: ${message}`);
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(encodeControl({ type: 'error', message }));
  }

  function sendAudio(conn: Connection, u: Utterance, data: Uint8Array | string): void {
    if (u.interrupts.length > 0) {
      // Unreachable while cancellation works; counted so tests can prove it.
      for (const rec of u.interrupts) rec.framesSentAfter++;
      stats.framesSentAfterInterrupt++;
    }
    stats.framesSent++;
    stats.bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    conn.ws.send(data);
  }

  function audioMessage(u: Utterance, index: number): Uint8Array | string {
    const p = u.plan[index];
    const payload = u.pcm.subarray(p.fromSample * 2, p.toSample * 2);
    switch (u.scenario.mode) {
      case 'framed':
        return encodeFrame(
          { codec: u.scenario.format, sampleRate, utteranceId: u.id, seq: index, start: index === 0, end: index === u.plan.length - 1 },
          encoded(u, index, payload),
        );
      case 'raw':
        return encoded(u, index, payload);
      case 'legacy':
        return JSON.stringify({ type: 'audio', utteranceId: u.key, wav: base64(wavFile(payload, sampleRate)) });
    }
  }

  /** Frame `index`'s audio in the utterance's format; a WAV stream's first frame carries the header. */
  function encoded(u: Utterance, index: number, pcm16: Uint8Array): Uint8Array {
    const p = u.plan[index];
    switch (u.scenario.format) {
      case 'mulaw':
        return float32ToMulaw(u.samples.subarray(p.fromSample, p.toSample));
      case 'alaw':
        return float32ToAlaw(u.samples.subarray(p.fromSample, p.toSample));
      case 'mp3':
      case 'ogg-opus': {
        // Cut anywhere: each frame carries the bytes in proportion to its share of the samples.
        const coded = u.coded!;
        const total = u.samples.length;
        const byteAt = (sample: number) => Math.round((sample / total) * coded.length);
        return coded.slice(byteAt(p.fromSample), index === u.plan.length - 1 ? coded.length : byteAt(p.toSample));
      }
      case 'wav': {
        if (index > 0) return pcm16;
        // A streamed WAV: the lengths are unknown when the header goes out.
        const header = wavFile(new Uint8Array(0), sampleRate);
        const view = new DataView(header.buffer);
        view.setUint32(4, 0xffffffff, true);
        view.setUint32(40, 0xffffffff, true);
        const out = new Uint8Array(header.length + pcm16.length);
        out.set(header);
        out.set(pcm16, header.length);
        return out;
      }
      default:
        return pcm16;
    }
  }

  function oversizedMessage(u: Utterance, index: number): Uint8Array | string {
    const size = MAX_FRAME_BYTES + 2;
    if (u.scenario.mode === 'legacy') {
      return JSON.stringify({ type: 'audio', utteranceId: u.key, wav: base64(wavFile(new Uint8Array(size), sampleRate)) });
    }
    const out = new Uint8Array(size); // zeros: silence
    if (u.scenario.mode === 'framed') {
      // A genuine header (from the protocol module) for this frame, then far too much payload.
      // (Only the header bytes of `real` survive; its 2-byte payload is overwritten by zeros anyway.)
      const real = encodeFrame({ codec: 'pcm16', sampleRate, utteranceId: u.id, seq: index, start: index === 0, end: false }, new Uint8Array(2));
      out.set(real);
    }
    return out;
  }

  function finish(conn: Connection, u: Utterance): void {
    u.done = true;
    if (u.timer !== undefined) clearTimeout(u.timer);
    u.timer = undefined;
    conn.active.delete(u.key);
  }

  function pump(conn: Connection, u: Utterance): void {
    u.timer = undefined;
    while (!u.done && u.next < u.actions.length) {
      const action = u.actions[u.next];
      const wait = action.atMs - (performance.now() - u.t0);
      if (wait > 0.5) {
        u.timer = setTimeout(pump, wait, conn, u);
        return;
      }
      if (conn.ws.readyState !== conn.ws.OPEN) {
        finish(conn, u);
        return;
      }
      u.next++;
      switch (action.kind) {
        case 'frame':
          if (u.service) {
            const p = u.plan[action.index];
            for (const m of serviceFrame(u.service, action.index, u.plan.length, p.fromSample, p.toSample)) sendAudio(conn, u, m);
          } else sendAudio(conn, u, audioMessage(u, action.index));
          break;
        case 'garbage':
          sendAudio(
            conn,
            u,
            u.scenario.mode === 'legacy' ? JSON.stringify({ type: 'audio', utteranceId: u.key, wav: '%%% not base64 %%%' }) : GARBAGE_FRAME.slice(),
          );
          break;
        case 'oversized':
          sendAudio(conn, u, oversizedMessage(u, action.index));
          break;
        case 'drop':
          log(`utterance ${u.key}: fault drop → terminating the connection`);
          finish(conn, u);
          conn.ws.terminate();
          return;
      }
    }
    if (!u.done) {
      if (!u.service) conn.ws.send(encodeControl({ type: 'end', utteranceId: u.key }));
      stats.utterancesCompleted++;
      finish(conn, u);
      log(`utterance ${u.key}: completed`);
    }
  }

  function speak(conn: Connection, text: string, options: Record<string, unknown> | undefined): void {
    const parsed = parseScenario(options, defaults);
    if (!parsed.ok) {
      sendError(conn, `bad-options: ${parsed.error}`);
      return;
    }
    const service = conn.service;
    // A service's shapes carry no faults and no voxplay framing: audio as that service sends it.
    const scenario = service ? { ...parsed.scenario, mode: 'framed' as const, format: 'pcm16' as const, fault: undefined } : parsed.scenario;
    const t0 = performance.now();
    const rate = service ? serviceRate(service) : sampleRate;
    const synth = synthesize(text, rate);
    const pcm = float32ToPcm16(synth.samples);
    const compressed = scenario.mode !== 'legacy' && (scenario.format === 'mp3' || scenario.format === 'ogg-opus') ? scenario.format : null;
    let coded: Uint8Array | null = null;
    if (compressed) {
      try {
        coded = encodeCompressed(compressed, synth.samples, sampleRate);
      } catch (e) {
        sendError(conn, `unsupported-format: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    // Marks count decoded samples at the codec's output rate (Opus decodes at 48 kHz).
    const markScale = compressed ? decodedRate(compressed, sampleRate) / sampleRate : 1;
    const id = nextId;
    nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
    const key = String(id);
    const plan = planDelivery(synth.samples.length, rate, scenario);
    const { actions, faultIndex } = buildActions(plan, rate, scenario);
    const serviceUtt: ServiceUtterance | null = service
      ? { service, id: `${service === 'cartesia' ? 'ctx' : 'item'}_${id}`, samples: synth.samples, rate, words: synth.words }
      : null;
    const u: Utterance = {
      id,
      key: serviceUtt?.id ?? key,
      scenario,
      pcm,
      samples: synth.samples,
      coded,
      service: serviceUtt,
      plan,
      actions,
      next: 0,
      t0,
      timer: undefined,
      done: false,
      interrupts: [],
    };
    if (scenario.fault !== undefined && faultIndex >= 0) {
      stats.faultsInjected.push({ utteranceId: key, fault: scenario.fault, frameIndex: faultIndex });
    }
    stats.utterancesStarted++;
    conn.active.set(u.key, u);
    if (serviceUtt) {
      log(`utterance ${u.key}: as ${service}, ${synth.samples.length} samples at ${rate} Hz in ${plan.length} frames`);
      pump(conn, u);
      return;
    }
    const spoken = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
    conn.ws.send(encodeControl({ type: 'start', utteranceId: key, sampleRate, format: scenario.mode === 'legacy' ? 'pcm16' : scenario.format, text: spoken }));
    // One mark per word, so the client can light up captions as each word is heard.
    if (scenario.mode !== 'legacy') {
      for (const word of synth.words)
        conn.ws.send(encodeControl({ type: 'mark', utteranceId: key, sampleOffset: Math.round(word.startSample * markScale), name: word.text }));
    }
    log(
      `utterance ${key}: ${scenario.mode}, ${synth.samples.length} samples in ${plan.length} frames` +
        (scenario.fault ? `, fault ${scenario.fault} at frame ${faultIndex}` : ''),
    );
    pump(conn, u);
  }

  function interrupt(conn: Connection, requested: string | null): void {
    const targets = requested === null ? [...conn.active.values()] : [conn.active.get(requested)].filter((u) => u !== undefined);
    const record: InterruptRecord = { requested, cancelled: targets.map((u) => u.key), framesSentAfter: 0 };
    stats.interrupts.push(record);
    for (const u of targets) {
      u.interrupts.push(record);
      finish(conn, u);
      stats.utterancesInterrupted++;
      if (conn.ws.readyState === conn.ws.OPEN && !conn.service) conn.ws.send(encodeControl({ type: 'end', utteranceId: u.key }));
    }
    // A Twilio bot answers a barge-in with `clear`: after it, its media is the next reply's.
    if (conn.service === 'twilio' && conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify({ event: 'clear', streamSid: 'MZmock' }));
    log(`interrupt ${requested ?? '(all)'}: cancelled [${record.cancelled.join(', ')}]`);
  }

  /** A service-shaped client message (not voxplay's `speak`): acted on and logged; true when it was one. */
  function serviceReply(conn: Connection, service: ServiceName, text: string): boolean {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type === 'speak') return false;
    const action = serviceClientMessage(service, message as Record<string, unknown>);
    if (!action) return false;
    stats.serviceMessages.push(action.note);
    log(`${service} client: ${action.note}`);
    if (action.cancel !== undefined) {
      for (const u of [...conn.active.values()]) if (action.cancel === null || u.key === action.cancel) finish(conn, u);
    }
    if (action.reply && conn.ws.readyState === conn.ws.OPEN) conn.ws.send(action.reply);
    return true;
  }

  wss.on('connection', (ws, request) => {
    const wanted = new URL(request.url ?? '/', 'ws://x').searchParams.get('service');
    const service = SERVICES.find((name) => name === wanted) ?? null;
    const conn: Connection = { ws, active: new Map(), service };
    connections.add(conn);
    stats.connections++;
    stats.openConnections++;
    log(`connection #${stats.connections} opened`);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        sendError(conn, 'binary-message: the server only accepts JSON text control messages');
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(data).toString('utf8');
      if (conn.service && serviceReply(conn, conn.service, text)) return;
      const parsed = parseClientControl(text);
      if (!parsed.ok) {
        sendError(conn, `${parsed.error.code}: ${parsed.error.message}`);
        return;
      }
      const msg = parsed.message;
      try {
        if (msg.type === 'speak') speak(conn, msg.text, msg.options);
        else interrupt(conn, msg.utteranceId);
      } catch (e) {
        sendError(conn, `internal: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    ws.on('close', () => {
      for (const u of [...conn.active.values()]) finish(conn, u);
      connections.delete(conn);
      stats.openConnections--;
      log('connection closed');
    });
    ws.on('error', (err) => log(`connection error: ${err.message}`));
  });

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    host,
    stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const conn of connections) {
          for (const u of [...conn.active.values()]) finish(conn, u);
          conn.ws.terminate();
        }
        wss.close(() => resolve());
      });
      return closing;
    },
  };
}
