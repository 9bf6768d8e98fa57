// A React app (StrictMode) using voxplay/react from the packed tarball, built by Vite; the
// test reads window.reactApp. Two pages: the default one renders <Instrumented />, which
// counts what the test checks (players, renders of the meter, animation frames, marks);
// ?example renders the docs' <Speaker /> (docs/examples/react-speaker.tsx, copied to
// src/examples/ by the test) fed by the test's socket at /tts.
import { memo, StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { StreamPlayer } from 'voxplay';
import { useMark, useOutputLevel, usePlayerState, useStreamPlayer } from 'voxplay/react';
import { Speaker } from './examples/react-speaker.tsx';

const stats = {
  /** Every StreamPlayer any method was called on (the hooks call unlockOnGesture and start on each). */
  players: new Set(),
  closes: 0,
  /** Commits of <Meter />, which re-renders only for useOutputLevel (it is memo'd). */
  meterCommits: 0,
  /** Animation frames since the page loaded. */
  frames: 0,
  marks: [],
  /** Utterances that ended. */
  ended: [],
  /** Mounts of an effect with no dependencies: 2 where StrictMode runs effects twice. */
  effectMounts: 0,
  player: null,
};

// voxplay/react imports the player from voxplay.js, so it is this class: wrapping its
// methods sees every player the hooks make (a second copy of the class would go unseen).
for (const name of ['unlockOnGesture', 'start', 'resume', 'close']) {
  const method = StreamPlayer.prototype[name];
  StreamPlayer.prototype[name] = function (...args) {
    stats.players.add(this);
    if (name === 'close') stats.closes++;
    return method.apply(this, args);
  };
}

requestAnimationFrame(function count() {
  stats.frames++;
  requestAnimationFrame(count);
});

const Meter = memo(function Meter({ player }) {
  const { rmsDb } = useOutputLevel(player);
  useEffect(() => {
    stats.meterCommits++;
  });
  return <meter id="level" min={-60} max={0} value={Math.max(-60, rmsDb)} />;
});

function Instrumented() {
  const player = useStreamPlayer({ sampleRate: 24000, format: 'pcm16' });
  const { state, utteranceId } = usePlayerState(player);
  const [word, setWord] = useState('');
  useMark(player, (mark) => {
    stats.marks.push(mark.name);
    setWord(mark.name);
  });
  useEffect(() => {
    stats.effectMounts++;
  }, []);
  useEffect(() => {
    stats.player = player;
    return player?.on('ended', (e) => stats.ended.push(e.utteranceId));
  }, [player]);
  return (
    <main>
      <p id="state">{state}</p>
      <p id="utterance">{utteranceId ?? ''}</p>
      <p id="word">{word}</p>
      <Meter player={player} />
    </main>
  );
}

const example = new URLSearchParams(location.search).has('example');
createRoot(document.getElementById('root')).render(<StrictMode>{example ? <Speaker url="/tts" /> : <Instrumented />}</StrictMode>);

window.reactApp = {
  stats,
  /** Pushes a 440 Hz PCM16 tone of `seconds` as `utteranceId`, with a mark every `wordSeconds` (0: none), and ends it. */
  pushTone(seconds, wordSeconds, utteranceId = 'tone') {
    const player = stats.player;
    const n = Math.round(24000 * seconds);
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(16384 * Math.sin((2 * Math.PI * 440 * i) / 24000));
    player.push(pcm, { utteranceId });
    if (wordSeconds > 0) for (let w = 0; w * wordSeconds < seconds; w++) player.mark(utteranceId, Math.round(w * wordSeconds * 24000), `word${w}`);
    player.endUtterance(utteranceId);
  },
  count: () => ({
    players: stats.players.size,
    closes: stats.closes,
    meterCommits: stats.meterCommits,
    frames: stats.frames,
    now: performance.now(),
    marks: [...stats.marks],
    effectMounts: stats.effectMounts,
  }),
};
