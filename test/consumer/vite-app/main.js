// A Vite app built from the docs' examples (copied to src/examples/ by the test), with
// a handle for the test on window.consumer. Each scenario runs on a fresh page load.
import { startPlayer } from './examples/start-player.ts';
import { connectRealtime } from './examples/openai-realtime.ts';
import { playWithWordTimes } from './examples/elevenlabs.ts';
import { Captions } from './examples/captions.ts';

const events = [];
const record = (player) => {
  for (const type of ['playing', 'ended', 'interrupted', 'mark', 'error']) {
    player.on(type, (e) => events.push({ type, ...(e instanceof Error ? { code: e.code, message: e.message } : JSON.parse(JSON.stringify(e))) }));
  }
};
const opened = (ws) =>
  new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error(`WebSocket ${ws.url} failed`)), { once: true });
  });

const consumer = {
  events,
  player: null,
  session: null,
  cut: [],

  /** OpenAI-Realtime-style socket at /realtime (docs/examples/openai-realtime.ts). */
  async realtime() {
    const player = (consumer.player = await startPlayer());
    record(player);
    const ws = new WebSocket('/realtime');
    consumer.session = connectRealtime(player, ws);
    await opened(ws);
    return player.state;
  },

  /** ElevenLabs-style socket at /elevenlabs with word captions (docs/examples/elevenlabs.ts, captions.ts). */
  async captions() {
    const player = (consumer.player = await startPlayer());
    record(player);
    const captions = new Captions(player, document.getElementById('captions'), (heard, e) => consumer.cut.push({ heard, lastMark: e.lastMark }));
    const ws = new WebSocket('/elevenlabs');
    playWithWordTimes(player, ws, 'reply', (utteranceId, sampleOffset, word) => captions.addWord(utteranceId, sampleOffset, word));
    await opened(ws);
    return player.state;
  },

  /** Just the player (no server), e.g. under the dev server; then pushTone(). */
  async start() {
    const player = (consumer.player = await startPlayer());
    record(player);
    return player.state;
  },

  /** Pushes a 440 Hz PCM16 tone at half scale and ends the utterance. */
  pushTone(seconds = 0.5) {
    const n = Math.round(24000 * seconds);
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(16384 * Math.sin((2 * Math.PI * 440 * i) / 24000));
    consumer.player.push(pcm, { utteranceId: 'tone' });
    consumer.player.endUtterance('tone');
  },

  spans: () => [...document.querySelectorAll('#captions span')].map((s) => ({ text: s.textContent, className: s.className })),
};
window.consumer = consumer;
