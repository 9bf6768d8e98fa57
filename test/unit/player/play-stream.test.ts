/**
 * playStream when the body breaks off: what was read plays out, then the promise rejects with
 * `network`, naming the bytes read. Through the real session and playback engine (the
 * fake-engine rig of the adapter tests), so what plays is checked in the rendered output.
 */
import { describe, expect, it } from 'vitest';
import { accounting, expectHeard, servicePlayer, speech } from '../adapters/service-rig';

/** A body that gives `chunks`, then fails as a fetch body does when its connection drops. */
function breaking(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at < chunks.length) controller.enqueue(chunks[at++]);
      else controller.error(new TypeError('network error'));
    },
  });
}

/** A body that gives `bytes` and ends. */
function whole(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    (ok) => ({ ok, code: undefined, message: undefined }),
    (e: { code?: string; message?: string }) => ({ ok: undefined, code: e.code, message: e.message }),
  );

describe('playStream: a body that breaks off', () => {
  it('after some audio: all of it plays, then it rejects with network naming the bytes read; the next stream plays whole', async () => {
    const { rig, player } = servicePlayer();
    const a = speech(81, 4800);
    const b = speech(82, 2400);
    const cut = outcome(player.playStream(breaking([a.bytes.subarray(0, 4000), a.bytes.subarray(4000)]), { utteranceId: 'cut' }));
    await rig.renderUntil(() => rig.events('ended').length === 1);
    await rig.render(5);
    expect(await cut).toMatchObject({
      code: 'network',
      message: expect.stringMatching(/the stream for utterance "cut" failed after 9600 bytes: network error/),
    });
    const next = player.playStream(whole(b.bytes), { utteranceId: 'next' });
    await rig.renderUntil(() => rig.events('ended').length === 2);
    await rig.render(5);
    await expect(next).resolves.toMatchObject({ utteranceId: 'next', outcome: 'ended', playedSamples: 2400 });
    expectHeard(
      rig.output,
      [
        { signal: a.floats, whole: true },
        { signal: b.floats, whole: true },
      ],
      120,
    );
    expect(accounting(rig)).toMatchObject({ received: 7200, played: 7200, dropped: 0 });
  });

  it('before its first byte: it rejects with network (0 bytes), not as an utterance that ended; the player keeps playing', async () => {
    const { rig, player } = servicePlayer();
    const empty = outcome(player.playStream(breaking([]), { utteranceId: 'empty' }));
    await rig.render(5);
    expect(await empty).toMatchObject({
      code: 'network',
      message: expect.stringMatching(/the stream for utterance "empty" failed after 0 bytes: network error/),
    });
    const b = speech(83, 2400);
    const after = player.playStream(whole(b.bytes), { utteranceId: 'after' });
    await rig.renderUntil(() => rig.events('ended').length === 1);
    await rig.render(5);
    await expect(after).resolves.toMatchObject({ utteranceId: 'after', outcome: 'ended', playedSamples: 2400 });
    expectHeard(rig.output, [{ signal: b.floats, whole: true }], 120);
    accounting(rig);
  });

  it('after one odd byte (half a sample): it rejects with network (1 byte), and nothing plays', async () => {
    const { rig, player } = servicePlayer();
    const half = outcome(player.playStream(breaking([new Uint8Array([0x34])]), { utteranceId: 'half' }));
    await rig.render(5);
    expect(await half).toMatchObject({ code: 'network', message: expect.stringMatching(/failed after 1 bytes: network error/) });
    expect(rig.output.every((x) => x === 0)).toBe(true);
    expect(accounting(rig)).toMatchObject({ received: 0, played: 0, dropped: 0 });
  });
});
