import type { Mp3Header } from './mp3-frames.js';

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
  if (typeof AudioDecoder === 'undefined') return false;
  const config: AudioDecoderConfig = { codec: 'mp3', sampleRate: header.sampleRate, numberOfChannels: header.channels };
  const support = await AudioDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) return false;
  return new Promise<boolean>((resolve) => {
    let samples = 0;
    const decoder = new AudioDecoder({
      output: (data) => {
        samples += data.numberOfFrames;
        data.close();
      },
      error: () => resolve(false),
    });
    const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
    try {
      decoder.configure(config);
      for (let i = 0; i < 2; i++) decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: i * 26_000, data: frame }));
      decoder.flush().then(
        () => {
          clearTimeout(timer);
          resolve(samples > 0);
          decoder.close();
        },
        () => resolve(false),
      );
    } catch {
      resolve(false);
    }
  });
}
