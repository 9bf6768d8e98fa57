import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OggDemuxer, type OggPacket } from '../../../src/codecs/ogg';
import { mulberry32 } from '../prng';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'test', 'fixtures', name)));

function demuxChunked(bytes: Uint8Array, seed: number, max: number): OggPacket[] {
  const d = new OggDemuxer();
  const rnd = mulberry32(seed);
  const out: OggPacket[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(...d.push(bytes.subarray(at, at + n)));
    at += n;
  }
  expect(d.pendingBytes).toBe(0);
  return out;
}

describe('OggDemuxer', () => {
  // speech-48k.opus: opusenc's Ogg Opus of the espeak speech (test/fixtures/README.md).
  const opus = fixture('speech-48k.opus');

  it('splits an opusenc stream into OpusHead, OpusTags and audio packets, the same however it is cut', () => {
    const whole = demuxChunked(opus, 1, opus.length);
    expect(String.fromCharCode(...whole[0].data.subarray(0, 8))).toBe('OpusHead');
    expect(String.fromCharCode(...whole[1].data.subarray(0, 8))).toBe('OpusTags');
    expect(whole.length).toBeGreaterThan(50);
    // The last packet ends the stream and carries its final granule position.
    const last = whole[whole.length - 1];
    expect(last.last).toBe(true);
    expect(last.granule).toBeGreaterThan(0);
    expect(whole.slice(0, -1).every((p) => !p.last)).toBe(true);
    for (const [seed, max] of [
      [2, 1],
      [3, 7],
      [4, 300],
      [5, 5000],
    ]) {
      const cut = demuxChunked(opus, seed, max);
      expect(cut.length).toBe(whole.length);
      cut.forEach((p, i) => {
        expect(p.granule).toBe(whole[i].granule);
        expect(Buffer.from(p.data).equals(Buffer.from(whole[i].data))).toBe(true);
      });
    }
  });

  it('joins a packet that continues across pages (lacing 255 at a page end)', () => {
    // Two pages by hand: a 300-byte packet split 255 | 45 across them, then a 2-byte packet.
    const page = (flags: number, granule: number, lacing: number[], body: Uint8Array) => {
      const out = new Uint8Array(27 + lacing.length + body.length);
      out.set([0x4f, 0x67, 0x67, 0x53, 0, flags]);
      new DataView(out.buffer).setUint32(6, granule, true);
      out[26] = lacing.length;
      out.set(lacing, 27);
      out.set(body, 27 + lacing.length);
      return out;
    };
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const p1 = page(0, 0xffffffff, [255], payload.subarray(0, 255));
    const p2 = page(1 | 4, 960, [45, 2], Uint8Array.from([...payload.subarray(255), 7, 8]));
    const packets = new OggDemuxer().push(Uint8Array.from([...p1, ...p2]));
    expect(packets.map((p) => p.data.length)).toEqual([300, 2]);
    expect(Buffer.from(packets[0].data).equals(Buffer.from(payload))).toBe(true);
    expect(packets.map((p) => [p.granule, p.last])).toEqual([
      [-1, false],
      [960, true],
    ]);
  });

  it('refuses bytes that are not Ogg with a bad-frame error naming what it saw', () => {
    const mp3 = new TextEncoder().encode('ID3\u0004 this is not an ogg stream at all......');
    let caught: unknown;
    try {
      new OggDemuxer().push(mp3);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'bad-frame' });
    expect((caught as Error).message).toMatch(/not an Ogg stream: a page starts with "ID3/);
  });
});
