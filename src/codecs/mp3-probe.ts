import type { Mp3Header } from './mp3-frames.js';
import { openAudioDecoder } from './webcodecs-stream.js';

/**
 * Whether this browser's WebCodecs really decodes MP3 of a stream's shape. Asking
 * `isConfigSupported` is not enough: WebKitGTK answers true and then fails every frame. So
 * a frame of digital silence with the stream's own header (no CRC, all side information
 * zero: a valid frame every decoder must accept) is decoded once per rate and channel
 * count; the answer is kept for the page's lifetime.
 */
const verdicts = new Map<string, Promise<boolean>>();

/** A decoder that neither answers nor fails within this long is taken as not working. */
const PROBE_TIMEOUT_MS = 3000;

export function webCodecsDecodesMp3(firstFrame: Uint8Array, header: Mp3Header): Promise<boolean> {
  const key = `${header.sampleRate}/${header.channels}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = probe(silentFrame(firstFrame, header), header);
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** The stream's first header (CRC flag cleared) followed by zeros, one frame long. */
function silentFrame(firstFrame: Uint8Array, header: Mp3Header): Uint8Array {
  const frame = new Uint8Array(header.frameBytes);
  frame.set(firstFrame.subarray(0, 4));
  frame[1] |= 1; // protection bit set: no CRC follows
  return frame;
}

async function probe(frame: Uint8Array, header: Mp3Header): Promise<boolean> {
  let samples = 0;
  let failed = false;
  const opened = await openAudioDecoder(
    { codec: 'mp3', sampleRate: header.sampleRate, numberOfChannels: header.channels },
    {
      output: (data) => {
        samples += data.numberOfFrames;
        data.close();
      },
      error: () => (failed = true),
    },
  ).catch(() => ({ refused: 'threw' }));
  if ('refused' in opened) return false;
  const { decoder } = opened;
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PROBE_TIMEOUT_MS));
  try {
    for (let i = 0; i < 2; i++) decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: i * 26_000, data: frame }));
    const decoded = decoder.flush().then(
      () => !failed && samples > 0,
      () => false,
    );
    return await Promise.race([decoded, timeout]);
  } catch {
    return false;
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
}
