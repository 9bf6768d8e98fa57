import { describe, expect, it } from 'vitest';
import { BargeInPolicy, type BargeInEvent } from '../../../src/echo/barge-in-policy';

/** Feeds a pattern ('x' speech, '~' faint, '.' neither) and returns the events with their block index. */
function run(pattern: string, confirmMs = 250): [number, BargeInEvent][] {
  const policy = new BargeInPolicy({ blockMs: 16, confirmMs });
  const events: [number, BargeInEvent][] = [];
  [...pattern].forEach((c, i) => {
    const event = policy.step(c === 'x', false, false, c === '~');
    if (event) events.push([i, event]);
  });
  return events;
}

describe('BargeInPolicy', () => {
  it('two speech blocks are an onset, and speech held for confirmMs after it is a barge-in', () => {
    // 250 ms = 16 blocks from the first speech block (index 3).
    expect(run('...' + 'x'.repeat(20))).toEqual([
      [4, 'speechstart'],
      [18, 'bargein'],
    ]);
  });

  it('a single speech block is nothing', () => {
    expect(run('..x..x..x..')).toEqual([]);
  });

  it('a pause before confirmation rejects it (the volume comes back)', () => {
    expect(run('xxxxx' + '.'.repeat(16))).toEqual([
      [1, 'speechstart'],
      [17, 'rejected'], // 200 ms = 13 silent blocks
    ]);
  });

  it('two words with a pause between them are one barge-in, confirmed once 60 % of confirmMs was speech', () => {
    // 80 ms, a 176 ms pause, then the second word: its fifth block makes 10 blocks of speech
    // (160 ms) since the onset, 20 blocks after it. Only 50 % of those were speech.
    expect(run('xxxxx' + '.'.repeat(11) + 'x'.repeat(12))).toEqual([
      [1, 'speechstart'],
      [20, 'bargein'],
    ]);
    // With too little speech the same pause still rejects: 3 + 3 blocks are not 10.
    expect(run('xxx' + '.'.repeat(11) + 'xxx' + '.'.repeat(20))).toEqual([
      [1, 'speechstart'],
      [29, 'rejected'], // 13 silent blocks after the second word
    ]);
  });

  it('short gaps inside speech do not reject it', () => {
    const events = run('xxxx..xxxx...xxxxxxxxxx');
    expect(events.map((e) => e[1])).toEqual(['speechstart', 'bargein']);
  });

  it('a stretch too sparse to be speech is rejected by twice confirmMs', () => {
    // One speech block in six: never 60 % voiced, never a pause long enough to reject early.
    const events = run('xx' + 'x.....'.repeat(8));
    expect(events).toEqual([
      [1, 'speechstart'],
      [31, 'rejected'],
    ]);
  });

  it('faint blocks after a loud first syllable keep the talker: confirmed when speech resumes, not from a new onset', () => {
    // 64 ms of speech, 240 ms faint (15 blocks, more than the 13 silent ones that reject), then
    // speech again: its sixth block makes 10 blocks of speech, 23 blocks after the onset.
    const words = 'xxxx' + '~'.repeat(15) + 'x'.repeat(10);
    expect(run(words)).toEqual([
      [1, 'speechstart'],
      [24, 'bargein'],
    ]);
    // Silence instead of the faint stretch rejects the first syllable; the second starts over.
    expect(run('xxxx' + '.'.repeat(15) + 'x'.repeat(20)).map((e) => e[1])).toEqual(['speechstart', 'rejected', 'speechstart', 'bargein']);
  });

  it('a faint block starts the pause count over rather than holding it', () => {
    // 12 silent blocks, one faint, 12 silent: never 13 in a row, so no rejection before twice
    // confirmMs (block 31). Holding the count would reject at block 17.
    expect(run('xxxx' + '.'.repeat(12) + '~' + '.'.repeat(12))).toEqual([[1, 'speechstart']]);
  });

  it('faint blocks alone never confirm: twice confirmMs without enough speech rejects', () => {
    expect(run('xx' + '~'.repeat(40))).toEqual([
      [1, 'speechstart'],
      [31, 'rejected'],
    ]);
  });

  it('a faint block is silence when no talker is tentative: it neither starts an onset nor holds a finished turn', () => {
    expect(run('~'.repeat(30))).toEqual([]);
    const events = run('x'.repeat(20) + '~'.repeat(30) + 'x'.repeat(20));
    expect(events.map((e) => e[1])).toEqual(['speechstart', 'bargein', 'speechstart', 'bargein']);
  });

  it('after a barge-in, the turn ends with silence and the next onset starts over', () => {
    const events = run('x'.repeat(20) + '.'.repeat(30) + 'x'.repeat(20));
    expect(events.map((e) => e[1])).toEqual(['speechstart', 'bargein', 'speechstart', 'bargein']);
  });

  it('a blip right after a turn ends is judged on its own, not on the finished turn', () => {
    // A sure talker (strong blocks, sound the far end cannot make), 400 ms of silence that ends
    // the turn, then two speech blocks and silence: an onset, then a rejection.
    const policy = new BargeInPolicy({ blockMs: 16, confirmMs: 250 });
    const events: BargeInEvent[] = [];
    const step = (speech: boolean, strong = false, beyond = false) => {
      const event = policy.step(speech, strong, beyond);
      if (event) events.push(event);
    };
    for (let i = 0; i < 20; i++) step(true, true, true);
    for (let i = 0; i < 25; i++) step(false);
    expect(policy.state).toBe('idle');
    step(true);
    step(true);
    for (let i = 0; i < 20; i++) step(false);
    expect(events).toEqual(['speechstart', 'bargein', 'speechstart', 'rejected']);
  });

  it('withdraw() takes back a tentative talker with no sound beyond the far end, and only such a one', () => {
    const fresh = () => new BargeInPolicy({ blockMs: 16, confirmMs: 250 });
    // Strong speech blocks only (what an echo-path change makes): an onset, then withdrawn.
    const echoLike = fresh();
    for (let i = 0; i < 5; i++) echoLike.step(true, true, false);
    expect(echoLike.state).toBe('tentative');
    expect(echoLike.withdraw()).toBe('rejected');
    expect(echoLike.state).toBe('idle');
    // Nothing counted survives: the same blocks again make a fresh onset.
    expect([echoLike.step(true, true, false), echoLike.step(true, true, false)]).toEqual([null, 'speechstart']);
    // Two blocks beyond the far end (near-end speech): kept, and confirmed as before.
    const talker = fresh();
    for (let i = 0; i < 5; i++) talker.step(true, false, i < 2);
    expect(talker.withdraw()).toBeNull();
    const events: (BargeInEvent | null)[] = [];
    for (let i = 0; i < 15; i++) events.push(talker.step(true));
    expect(events.filter(Boolean)).toEqual(['bargein']);
    // One block beyond is not enough; idle and confirmed are left alone.
    const once = fresh();
    for (let i = 0; i < 5; i++) once.step(true, false, i === 0);
    expect(once.withdraw()).toBe('rejected');
    expect(fresh().withdraw()).toBeNull();
    expect(talker.state).toBe('confirmed');
    expect(talker.withdraw()).toBeNull();
    expect(talker.state).toBe('confirmed');
  });
});
