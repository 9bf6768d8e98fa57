import { describe, expect, it } from 'vitest';
import { CODECS } from '../../../src/codecs/registry';
import { MarkBook } from '../../../src/player/marks';
import { Utterance } from '../../../src/player/utterances';
import { MAX_MARKS, MAX_UTTERANCES, type MarkMessage } from '../../../src/worklet/messages';

function book() {
  const sent: MarkMessage[] = [];
  const errors: string[] = [];
  const marks = new MarkBook(
    (m) => sent.push(m),
    (code) => errors.push(code),
  );
  return { marks, sent, errors };
}

function utterance(id = 'u', serial = 1): Utterance {
  return new Utterance(id, serial, 24000, CODECS.pcm16, 48000);
}

describe('MarkBook: early, held and sent marks', () => {
  it('holds a mark until its sample arrives, then sends it mapped onto the ring (skipping audio dropped on arrival)', () => {
    const { marks, sent } = book();
    const utt = utterance();
    marks.add(utt, 'u', undefined, 1500, 'w2');
    marks.add(utt, 'u', undefined, 500, 'w1');
    expect(sent).toEqual([]);
    expect(marks.size).toBe(2);
    utt.stats.received = 1000;
    marks.release(utt);
    expect(sent).toEqual([{ type: 'mark', serial: 1, offset: 500, id: 1 }]);
    // 600 samples (1000..1600) were dropped on arrival: w2 is in them and can never be heard.
    utt.drops.push(1000, 600);
    utt.stats.received = 2000;
    marks.add(utt, 'u', undefined, 1800, 'w3');
    marks.release(utt);
    expect(sent.map((m) => m.offset)).toEqual([500, 1200]);
    expect(marks.heard(1)).toMatchObject({ utt, mark: { name: 'w1', sampleOffset: 500, offsetMs: 500 / 24 } });
    expect(utt.lastMark?.name).toBe('w1');
    expect(marks.heard(1)).toBeNull();
  });

  it('keeps marks for an utterance that has not started and hands them over when it does', () => {
    const { marks, sent } = book();
    marks.add(undefined, 'later', undefined, 0, 'first');
    const utt = utterance('later', 4);
    utt.stats.received = 10;
    marks.adopt(utt);
    expect(sent).toEqual([{ type: 'mark', serial: 4, offset: 0, id: 1 }]);
  });

  it('drops marks of interrupted utterances silently and refuses marks after the end', () => {
    const { marks, sent, errors } = book();
    marks.add(undefined, 'gone', 'interrupted', 0, 'x');
    marks.add(undefined, 'done', 'ended', 0, 'y');
    expect(sent).toEqual([]);
    expect(errors).toEqual(['after-end']);
  });

  it(`bounds early utterances at ${MAX_UTTERANCES} and all marks at ${MAX_MARKS}`, () => {
    const { marks, errors } = book();
    for (let k = 0; k < MAX_UTTERANCES; k++) marks.add(undefined, `u${k}`, undefined, 0, 'm');
    marks.add(undefined, 'one-too-many', undefined, 0, 'm');
    expect(errors).toEqual(['too-many-utterances']);
    const utt = utterance();
    for (let k = marks.size; k < MAX_MARKS; k++) marks.add(utt, 'u', undefined, k, 'm');
    expect(marks.size).toBe(MAX_MARKS);
    marks.add(utt, 'u', undefined, 0, 'overflow');
    expect(errors).toEqual(['too-many-utterances', 'buffer-full']);
    marks.clearEarly();
    marks.forget(utt);
    expect(marks.size).toBe(0);
  });
});
