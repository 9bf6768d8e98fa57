/**
 * The detector's main-thread policy with a stubbed player and node port: duck on
 * `speechstart`, restore on `rejected`, interrupt and restore on `bargein`, figures from the
 * reports, routing warnings. The DSP itself is tested in test/unit/echo/.
 */
import { describe, expect, it } from 'vitest';
import { BargeInDetector } from '../../../src/barge-in/detector';
import type { FromEcho } from '../../../src/echo/messages';
import type { StreamPlayer } from '../../../src/player/stream-player';

function rig(options: { playing?: boolean; autoInterrupt?: boolean } = {}) {
  const calls: string[] = [];
  const stateHandlers: ((e: { state: string }) => void)[] = [];
  const context = { sampleRate: 48000 };
  const player = {
    volume: 1,
    state: 'running',
    sinkId: '',
    audioContext: context,
    getOutputLevel: () => ({ peak: options.playing === false ? 0 : 0.5 }),
    getMetrics: () => ({ samples: { buffered: 0 } }),
    interrupt: () => {
      calls.push('interrupt');
      return { utteranceId: 'u1', playedMs: 1234, droppedMs: 10, lastMark: null };
    },
    on: (type: string, handler: (e: { state: string }) => void) => {
      if (type === 'statechange') stateHandlers.push(handler);
      return () => undefined;
    },
  };
  const posted: unknown[] = [];
  const port = { onmessage: null as ((e: MessageEvent<FromEcho>) => void) | null, postMessage: (m: unknown) => posted.push(m) };
  const node = { port, context } as unknown as AudioWorkletNode;
  const detector = new BargeInDetector(player as unknown as StreamPlayer, node, () => calls.push('teardown'), {
    duckDb: -12,
    autoInterrupt: options.autoInterrupt ?? true,
    echoCancellation: true,
  });
  const send = (message: FromEcho) => port.onmessage!({ data: message } as MessageEvent<FromEcho>);
  const events: [string, unknown][] = [];
  for (const type of ['speechstart', 'bargein', 'rejected', 'warning'] as const) detector.on(type, (e) => events.push([type, e]));
  return { detector, player, send, events, calls, posted, stateHandlers, context };
}

const DUCKED = Math.pow(10, -12 / 20);

describe('BargeInDetector', () => {
  it('speechstart ducks the player by duckDb, rejected brings the volume back', () => {
    const r = rig();
    r.player.volume = 0.8;
    r.send({ type: 'event', event: 'speechstart', frame: 48000 });
    expect(r.player.volume).toBeCloseTo(0.8 * DUCKED, 12);
    r.send({ type: 'event', event: 'rejected', frame: 60000 });
    expect(r.player.volume).toBe(0.8);
    expect(r.events.map((e) => e[0])).toEqual(['speechstart', 'rejected']);
    expect(r.events[0][1]).toEqual({ contextTime: 1 });
    expect(r.calls).toEqual([]);
  });

  it('bargein interrupts the player, restores the volume and carries the interrupt result', () => {
    const r = rig();
    r.send({ type: 'event', event: 'speechstart', frame: 0 });
    r.send({ type: 'event', event: 'bargein', frame: 12000 });
    expect(r.calls).toEqual(['interrupt']);
    expect(r.player.volume).toBe(1);
    expect(r.events[1]).toEqual(['bargein', { contextTime: 0.25, interrupt: { utteranceId: 'u1', playedMs: 1234, droppedMs: 10, lastMark: null } }]);
  });

  it('autoInterrupt: false reports the barge-in and leaves the player alone', () => {
    const r = rig({ autoInterrupt: false });
    r.send({ type: 'event', event: 'speechstart', frame: 0 });
    r.send({ type: 'event', event: 'bargein', frame: 12000 });
    expect(r.calls).toEqual([]);
    expect(r.events[1][1]).toMatchObject({ interrupt: null });
  });

  it('nothing playing: no duck and no interrupt, the events still come', () => {
    const r = rig({ playing: false });
    r.send({ type: 'event', event: 'speechstart', frame: 0 });
    expect(r.player.volume).toBe(1);
    r.send({ type: 'event', event: 'bargein', frame: 12000 });
    expect(r.calls).toEqual([]);
    expect(r.events.map((e) => e[0])).toEqual(['speechstart', 'bargein']);
  });

  it('a volume the app set while ducked is left as the app set it', () => {
    const r = rig();
    r.send({ type: 'event', event: 'speechstart', frame: 0 });
    r.player.volume = 0.3;
    r.send({ type: 'event', event: 'rejected', frame: 100 });
    expect(r.player.volume).toBe(0.3);
  });

  it('report() carries the worklet figures and the microphone setting; a moved output is a warning', () => {
    const r = rig();
    r.send({ type: 'report', delayMs: 61, erlDb: 3, erleDb: 29, mode: 'cancel', converged: true });
    expect(r.detector.report()).toEqual({ delayMs: 61, erlDb: 3, erleDb: 29, mode: 'cancel', converged: true, micEchoCancellation: true });
    r.player.sinkId = 'usb-speaker';
    r.send({ type: 'report', delayMs: 61, erlDb: 3, erleDb: 29, mode: 'cancel', converged: true });
    expect(r.events.map((e) => e[0])).toEqual(['warning']);
    expect(r.events[0][1]).toMatchObject({ code: 'output-moved' });
  });

  it('a replaced context is one warning; a closed player closes the detector', () => {
    const r = rig();
    r.player.audioContext = { sampleRate: 44100 };
    r.stateHandlers[0]({ state: 'running' });
    r.stateHandlers[0]({ state: 'running' });
    expect(r.events.filter((e) => e[0] === 'warning')).toHaveLength(1);
    r.stateHandlers[0]({ state: 'closed' });
    expect(r.calls).toEqual(['teardown']);
    expect(r.posted).toEqual([{ type: 'close' }]);
    r.detector.close(); // twice is harmless
    expect(r.calls).toEqual(['teardown']);
  });
});
