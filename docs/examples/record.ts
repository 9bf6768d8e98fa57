import type { Recording, StreamPlayer } from 'voxplay';

/**
 * Records a conversation's agent side as heard, and uploads it as WAV with a line per
 * utterance (was it cut, and how much of it was heard) for QA.
 */
export async function recordTurns(player: StreamPlayer, done: Promise<void>, upload: (wav: Blob, notes: string[]) => void): Promise<Recording> {
  const recorder = player.record({ maxSeconds: 1800 });
  await done;
  const recording = await recorder.stop();
  const notes = recording.utterances.map((u) => `${u.utteranceId}: ${u.playedSamples} samples heard${u.interrupted ? ' (cut)' : ''}`);
  upload(recording.toWav(), notes);
  return recording;
}
