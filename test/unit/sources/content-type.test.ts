import { describe, expect, it } from 'vitest';
import { audioOfContentType } from '../../../src/sources/content-type';

describe('audioOfContentType', () => {
  it('names the format (and rate) of the types TTS services send', () => {
    expect(audioOfContentType('audio/mpeg')).toEqual({ format: 'mp3' });
    expect(audioOfContentType('Audio/MPEG; charset=binary')).toEqual({ format: 'mp3' });
    expect(audioOfContentType('audio/ogg; codecs=opus')).toEqual({ format: 'ogg-opus' });
    expect(audioOfContentType('audio/ogg;codecs="opus"')).toEqual({ format: 'ogg-opus' });
    expect(audioOfContentType('audio/opus')).toEqual({ format: 'ogg-opus' });
    expect(audioOfContentType('audio/wav')).toEqual({ format: 'wav' });
    expect(audioOfContentType('audio/x-wav')).toEqual({ format: 'wav' });
    expect(audioOfContentType('audio/pcm;rate=24000')).toEqual({ format: 'pcm16', sampleRate: 24000 });
    expect(audioOfContentType('audio/pcm; samplerate=16000')).toEqual({ format: 'pcm16', sampleRate: 16000 });
    expect(audioOfContentType('audio/basic')).toEqual({ format: 'mulaw', sampleRate: 8000 });
    expect(audioOfContentType('audio/pcma')).toEqual({ format: 'alaw', sampleRate: 8000 });
  });

  it('returns null for what it cannot play: no type, text, AAC, Ogg Vorbis, big-endian L16, a bad rate is ignored', () => {
    expect(audioOfContentType(null)).toBeNull();
    expect(audioOfContentType('')).toBeNull();
    expect(audioOfContentType('text/html; charset=utf-8')).toBeNull();
    expect(audioOfContentType('audio/aac')).toBeNull();
    expect(audioOfContentType('audio/ogg; codecs=vorbis')).toBeNull();
    expect(audioOfContentType('audio/L16;rate=16000')).toBeNull();
    expect(audioOfContentType('audio/pcm;rate=fast')).toEqual({ format: 'pcm16' });
  });
});
