import type { IncomingMessage, ServerResponse } from 'node:http';
import { float32ToAlaw, float32ToMulaw } from '../../src/protocol/g711-encode';
import { float32ToPcm16, wavFile } from '../../src/protocol/pcm-encode';
import { encodeCompressed } from './encoders';
import { synthesize } from './voice';

/**
 * The mock voice as an HTTP TTS endpoint (`GET /tts?text=…&format=…&speed=…`), the way
 * OpenAI's `audio/speech` or ElevenLabs' `/stream` answer: a chunked body in the asked format
 * with its `Content-Type` (`audio/wav` streamed with unknown lengths, `audio/pcm;rate=24000`,
 * `audio/basic`, `audio/pcma`, `audio/mpeg`, `audio/ogg`), sent `speed`× faster than real time
 * (default 4), honouring TCP backpressure, and stopped when the client goes away.
 */

/** What the endpoint has served (the demo's tests read it). */
export interface HttpTtsStats {
  started: number;
  completed: number;
  /** Bodies the client cancelled before their end (an interrupt stops the download). */
  aborted: number;
}

const TYPES: Record<string, string> = {
  pcm16: 'audio/pcm;rate=24000',
  wav: 'audio/wav',
  mulaw: 'audio/basic',
  alaw: 'audio/pcma',
  mp3: 'audio/mpeg',
  'ogg-opus': 'audio/ogg; codecs=opus',
};

/** Serves one request; `stats` is updated as it goes. */
export function serveTts(req: IncomingMessage, res: ServerResponse, url: URL, stats: HttpTtsStats): void {
  const text = url.searchParams.get('text') ?? 'Hello.';
  const format = url.searchParams.get('format') ?? 'wav';
  const speed = Math.min(1000, Math.max(0.1, Number(url.searchParams.get('speed') ?? 4) || 4));
  const type = TYPES[format];
  if (!type) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`format must be one of ${Object.keys(TYPES).join(', ')}`);
    return;
  }
  const rate = format === 'mulaw' || format === 'alaw' ? 8000 : 24000;
  const voice = synthesize(text, rate).samples;
  let body: Uint8Array;
  try {
    body =
      format === 'mulaw'
        ? float32ToMulaw(voice)
        : format === 'alaw'
          ? float32ToAlaw(voice)
          : format === 'mp3' || format === 'ogg-opus'
            ? encodeCompressed(format, voice, rate)
            : format === 'wav'
              ? streamedWav(float32ToPcm16(voice), rate)
              : float32ToPcm16(voice);
  } catch (error) {
    res.writeHead(501, { 'Content-Type': 'text/plain; charset=utf-8' }).end(error instanceof Error ? error.message : String(error));
    return;
  }
  stats.started++;
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  // 40 ms of audio per write, paced at `speed`× real time.
  const chunk = Math.max(1, Math.round((body.length * 0.04 * rate) / voice.length));
  const interval = 40 / speed;
  let at = 0;
  let done = false;
  res.on('close', () => {
    if (!done) stats.aborted++;
    done = true;
  });
  const next = (): void => {
    if (done) return;
    if (at >= body.length) {
      done = true;
      stats.completed++;
      res.end();
      return;
    }
    const piece = body.subarray(at, at + chunk);
    at += piece.length;
    if (res.write(piece)) setTimeout(next, interval);
    else res.once('drain', () => setTimeout(next, interval));
  };
  next();
  req.on('error', () => undefined);
}

/** A WAV whose header says "length unknown" (0xFFFFFFFF), as a server streaming it writes. */
function streamedWav(pcm: Uint8Array, rate: number): Uint8Array {
  const wav = wavFile(pcm, rate);
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  view.setUint32(4, 0xffffffff, true);
  view.setUint32(40, 0xffffffff, true);
  return wav;
}
