import { afterEach, describe, expect, it } from 'vitest';
import { claimAudioSession } from '../../../src/player/audio-session';

/** Installs a stand-in for Safari's `navigator.audioSession` (happy-dom has none). */
function install(type: string): { type: string } {
  const session = { type };
  Object.defineProperty(navigator, 'audioSession', { configurable: true, value: session });
  return session;
}

describe('claimAudioSession', () => {
  afterEach(() => {
    delete (navigator as { audioSession?: unknown }).audioSession;
  });

  it("'playback' sets the type, and the release puts back the previous one", () => {
    const session = install('auto');
    const release = claimAudioSession('playback');
    expect(session.type).toBe('playback');
    release();
    expect(session.type).toBe('auto');
  });

  it('the release leaves a type the app changed since alone', () => {
    const session = install('auto');
    const release = claimAudioSession('playback');
    session.type = 'play-and-record';
    release();
    expect(session.type).toBe('play-and-record');
  });

  it("'auto' touches nothing", () => {
    const session = install('play-and-record');
    claimAudioSession('auto')();
    expect(session.type).toBe('play-and-record');
  });

  it('without navigator.audioSession (every engine but Safari) it is a no-op', () => {
    expect(() => claimAudioSession('playback')()).not.toThrow();
  });

  it('an engine that refuses the type is not an error', () => {
    const session = {
      get type() {
        return 'auto';
      },
      set type(_value: string) {
        throw new TypeError('unknown type');
      },
    };
    Object.defineProperty(navigator, 'audioSession', { configurable: true, value: session });
    expect(() => claimAudioSession('playback')()).not.toThrow();
  });
});
