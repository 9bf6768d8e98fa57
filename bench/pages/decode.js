/**
 * Decode cost of each format the player decodes, in the page: one player on an
 * OfflineAudioContext that never renders (so nothing drains), the whole fixture pushed as one
 * utterance, timed from push() until the player has counted every decoded sample, then cut
 * with interrupt() to empty the ring for the next run. For G.711, WAV and PCM that is the
 * decode itself on the main thread; for Ogg Opus it is the wall time until WebCodecs (which
 * decodes on its own thread) has returned everything, so it bounds the main-thread cost. MP3
 * is measured twice: through WebCodecs, and with `noWebCodecs` through the WASM mpg123 chunk
 * (synchronous on the main thread, so that is its main-thread cost).
 */
export async function decodeCost({ voxplayUrl, format, bytes, samples, runs, noWebCodecs = false }) {
  if (noWebCodecs) delete globalThis.AudioDecoder; // the WASM fallback (MP3), as in Safari before 26
  const { StreamPlayer } = await import(voxplayUrl);
  const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: 128, sampleRate: 48000 });
  const player = new StreamPlayer({ context: ctx, sampleRate: format === 'mulaw' ? 8000 : 24000, prebufferMs: 0 });
  await player.start();
  const errors = [];
  player.on('error', (e) => errors.push(e.message));
  const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
  const times = [];
  for (let run = 0; run < runs + 1; run++) {
    const before = player.getMetrics().samples.received;
    const t0 = performance.now();
    player.push(data, { utteranceId: `u${run}`, format });
    while (player.getMetrics().samples.received - before < samples) {
      if (performance.now() - t0 > 10_000) throw new Error(`${format}: decoded ${player.getMetrics().samples.received - before} of ${samples} samples in 10 s`);
      await new Promise((r) => setTimeout(r, 0));
    }
    const ms = performance.now() - t0;
    if (run > 0) times.push(ms); // the first run loads the codec's chunk
    player.interrupt();
  }
  await player.close();
  return { times, errors };
}
