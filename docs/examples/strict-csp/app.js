// The app copies node_modules/voxplay/dist/voxplay.js to /vendor/ and
// dist/playback-processor.js to /static/worklets/, and names the worklet's URL.
import { StreamPlayer } from '/vendor/voxplay.js';

const status = document.getElementById('status');
const player = new StreamPlayer({ workletUrl: '/static/worklets/playback-processor.js' });
await player.start(); // a same-origin module: allowed by script-src 'self', no blob:, no eval
player.on('ended', (e) => (status.textContent = `played ${Math.round(e.playedMs)} ms of ${e.utteranceId}`));
player.attach(new WebSocket('/tts')); // voxplay-framed audio (docs/protocol.md)
