import { describe, expect, it } from 'vitest';
import { CODECS } from '../../../src/codecs/registry';
import { FinishedIds, UtteranceRegistry } from '../../../src/player/utterances';

describe('UtteranceRegistry', () => {
  it('creates utterances in serial order, the newest open, and retires them into recent and finished', () => {
    const reg = new UtteranceRegistry();
    const a = reg.create('a', 24000, CODECS.pcm16, 48000);
    const b = reg.create('b', 16000, CODECS.f32, 48000);
    expect([a.serial, b.serial]).toEqual([1, 2]);
    expect(reg.open).toBe(b);
    expect(reg.bySerial(2)).toBe(b);
    expect(b.format).toBe('f32');
    reg.retire(b, 'interrupted');
    expect(reg.open).toBeNull();
    expect(reg.get('b')).toBeUndefined();
    expect(reg.finishedAs('b')).toBe('interrupted');
    expect(reg.known('b')).toBe(b);
    expect(b.stats.state).toBe('interrupted');
    expect(reg.size).toBe(1);
    expect(reg.upcomingSerial).toBe(3);
  });

  it('maps utterance offsets onto the ring around audio dropped on arrival', () => {
    const utt = new UtteranceRegistry().create('u', 24000, CODECS.pcm16, 24000);
    utt.drops.push(100, 50, 300, 10);
    expect([0, 99, 100, 149, 150, 299, 300, 310, 400].map((o) => utt.ringOffset(o))).toEqual([0, 99, -1, -1, 100, 249, -1, 250, 340]);
  });

  it('FinishedIds forgets the oldest beyond its bound', () => {
    const ids = new FinishedIds(2);
    ids.add('a', 'ended');
    ids.add('b', 'ended');
    ids.add('c', 'interrupted');
    expect([ids.get('a'), ids.get('b'), ids.get('c')]).toEqual([undefined, 'ended', 'interrupted']);
  });
});
