import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageRingWriter } from '../../../src/ring/ring-transport';

type Posted = { type: 'samples'; data: Float32Array };

function makeWriter(capacity = 100_000) {
  const posts: Posted[] = [];
  const writer = new MessageRingWriter(capacity, (msg) => posts.push(msg));
  return { writer, posts };
}

/** A chunk whose samples are their own absolute positions, so order and loss show. */
function chunk(from: number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = from + i;
  return x;
}

function postedSamples(posts: Posted[]): number[] {
  return posts.flatMap((p) => Array.from(p.data));
}

/** Samples written but not posted yet: what the writer holds back. */
function heldBy(w: { writer: MessageRingWriter; posts: Posted[] }): number {
  return w.writer.written - w.posts.reduce((n, p) => n + p.data.length, 0);
}

const endOfTask = () => Promise.resolve();
const POLICY = { minAhead: 1000, maxHeld: 400, maxHoldMs: 40 };

/** A writer under POLICY with 1000 samples posted (enough ahead) and the next 100 held. */
async function holding100() {
  const w = makeWriter();
  w.writer.setHoldPolicy(POLICY);
  w.writer.write(chunk(0, 1000));
  await endOfTask();
  w.writer.write(chunk(1000, 100));
  await endOfTask();
  expect(w.posts).toHaveLength(1);
  expect(heldBy(w)).toBe(100);
  return w;
}

describe('MessageRingWriter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('posts everything written in one task as one message at its end', async () => {
    const { writer, posts } = makeWriter();
    writer.write(chunk(0, 100));
    writer.write(chunk(100, 50));
    expect(posts).toHaveLength(0);
    await endOfTask();
    expect(posts).toHaveLength(1);
    expect(postedSamples(posts)).toEqual(Array.from(chunk(0, 150)));
  });

  it('without a hold policy, posts once per task', async () => {
    const { writer, posts } = makeWriter();
    for (let k = 0; k < 5; k++) {
      writer.write(chunk(k * 100, 100));
      await endOfTask();
    }
    expect(posts).toHaveLength(5);
  });

  it('under a hold policy, holds later tasks’ writes once enough is ahead, and posts when enough is held', async () => {
    const { writer, posts } = makeWriter();
    writer.setHoldPolicy(POLICY);
    let at = 0;
    const perTask: number[] = [];
    for (let k = 0; k < 30; k++) {
      writer.write(chunk(at, 100));
      at += 100;
      await endOfTask();
      perTask.push(posts.length);
    }
    // Until 1000 samples are ahead every task posts; then one post per 400 held samples.
    expect(perTask.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(posts.slice(10).map((p) => p.data.length)).toEqual([400, 400, 400, 400, 400]);
    expect(heldBy({ writer, posts })).toBe(0);
    expect(postedSamples(posts)).toEqual(Array.from(chunk(0, 3000)));
    expect(writer.written).toBe(3000);
  });

  it('posts held samples after maxHoldMs even when no more arrive', async () => {
    const { posts } = await holding100();
    vi.advanceTimersByTime(39);
    expect(posts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(posts).toHaveLength(2);
    expect(postedSamples(posts)).toEqual(Array.from(chunk(0, 1100)));
  });

  it('posts held samples as soon as a report shows the worklet running low', async () => {
    const { writer, posts } = await holding100();
    writer.onReport(500); // 500 posted samples ahead < minAhead
    expect(posts).toHaveLength(2);
    expect(heldBy({ writer, posts })).toBe(0);
    // And a write while low goes at the end of its task again.
    writer.write(chunk(1100, 100));
    await endOfTask();
    expect(posts).toHaveLength(3);
    expect(postedSamples(posts)).toEqual(Array.from(chunk(0, 1200)));
  });

  it('flush() sends what is held at once (the player calls it before any other message)', async () => {
    const { writer, posts } = await holding100();
    writer.flush();
    expect(posts).toHaveLength(2);
    vi.advanceTimersByTime(100);
    await endOfTask();
    expect(posts).toHaveLength(2);
  });

  it('counts held samples as written, so free() never over-promises', async () => {
    const { writer, posts } = makeWriter(2000);
    writer.setHoldPolicy(POLICY);
    writer.write(chunk(0, 1500));
    await endOfTask();
    writer.write(chunk(1500, 300));
    expect(heldBy({ writer, posts })).toBe(300);
    expect(writer.free()).toBe(200);
  });

  it('dispose() stops the timer and sends nothing more', async () => {
    const { writer, posts } = await holding100();
    writer.dispose();
    vi.advanceTimersByTime(1000);
    await endOfTask();
    expect(posts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('setHoldPolicy(null) sends what is held', async () => {
    const { writer, posts } = await holding100();
    writer.setHoldPolicy(null);
    expect(posts).toHaveLength(2);
  });
});
