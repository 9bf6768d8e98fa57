import { describeFormats, isAudioFormat, type AudioFormat } from '../codecs/formats.js';
import { VoxplayError } from '../errors.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../protocol/frame.js';
import { MAX_SPEED, MIN_SPEED } from '../dsp/time-stretch.js';
import type { StreamPlayerOptions } from './types.js';

/** The player's options with defaults applied and every limit checked. */
export interface ResolvedOptions {
  sampleRate: number;
  format: AudioFormat;
  prebufferMs: number;
  fadeMs: number;
  /** Playback speed, 0.5–2. */
  speed: number;
  maxBufferMs: number;
  metricsIntervalMs: number;
  /** Adaptive prebuffer growth, its cap already limited to half the buffer; false when fixed. */
  adaptivePrebuffer: { stepMs: number; maxMs: number } | false;
  transport: 'auto' | 'shared' | 'message';
  context: AudioContext | OfflineAudioContext | undefined;
  destination: AudioNode | undefined;
  workletUrl: string | URL | undefined;
  workletSource: string | undefined;
  /** Ring capacity in samples at `sampleRate`. */
  capacity: number;
  sinkId: string;
  audioSession: 'auto' | 'playback';
}

/**
 * Applies defaults and checks every option: the one place for rate and format limits.
 *
 * @throws VoxplayError `bad-option` naming the option that is out of range.
 */
export function resolveOptions(options: StreamPlayerOptions = {}): ResolvedOptions {
  const sampleRate = checkRate(options.sampleRate ?? 24000, 'sampleRate');
  const format = checkFormat(options.format ?? 'pcm16', 'format');
  const prebufferMs = checkRange(options.prebufferMs ?? 60, 'prebufferMs', 0, 10_000);
  const fadeMs = checkRange(options.fadeMs ?? 5, 'fadeMs', 0, 50);
  const speed = checkSpeed(options.speed ?? 1);
  const maxBufferMs = checkRange(options.maxBufferMs ?? 60_000, 'maxBufferMs', 100, 600_000);
  const metricsIntervalMs = checkRange(options.metricsIntervalMs ?? 250, 'metricsIntervalMs', 0, 3_600_000);
  if (prebufferMs >= maxBufferMs) throw badOption(`prebufferMs (${prebufferMs}) must be smaller than maxBufferMs (${maxBufferMs})`);
  const adapt = options.adaptivePrebuffer ?? { stepMs: 20, maxMs: 400 };
  if (adapt && (!(adapt.stepMs >= 0) || !(adapt.maxMs >= 0))) throw badOption('adaptivePrebuffer needs stepMs ≥ 0 and maxMs ≥ 0');
  if (options.destination && options.context && options.destination.context !== options.context) {
    throw badOption('destination belongs to a different AudioContext than `context`');
  }
  if (options.destination && !options.context) throw badOption('destination needs its `context` option too');
  const transport = options.transport ?? 'auto';
  if (transport !== 'auto' && transport !== 'shared' && transport !== 'message') {
    throw badOption(`transport must be "auto", "shared" or "message", got ${JSON.stringify(transport)}`);
  }
  const sinkId = options.sinkId ?? '';
  if (typeof sinkId !== 'string') throw badOption(`sinkId must be a device id string, got ${typeof sinkId}`);
  const audioSession = options.audioSession ?? 'auto';
  if (audioSession !== 'auto' && audioSession !== 'playback') {
    throw badOption(`audioSession must be "auto" or "playback", got ${JSON.stringify(audioSession)}`);
  }
  return {
    sampleRate,
    format,
    prebufferMs,
    fadeMs,
    speed,
    maxBufferMs,
    metricsIntervalMs,
    // Growth stops at half the buffer: a prebuffer near the capacity could never be reached.
    adaptivePrebuffer: adapt ? { stepMs: adapt.stepMs, maxMs: Math.min(adapt.maxMs, maxBufferMs / 2) } : false,
    transport,
    context: options.context,
    destination: options.destination,
    workletUrl: options.workletUrl,
    workletSource: options.workletSource,
    capacity: Math.ceil((maxBufferMs * sampleRate) / 1000),
    sinkId,
    audioSession,
  };
}

/** Throws `bad-option` unless `rate` is an integer in the supported range; returns it. */
export function checkRate(rate: unknown, name: string): number {
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw badOption(`${name} must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz, got ${String(rate)}`);
  }
  return rate;
}

/** Throws `bad-option` unless `format` names a known format; returns it. */
export function checkFormat(format: unknown, name: string): AudioFormat {
  if (!isAudioFormat(format)) throw badOption(`${name} must be ${describeFormats()}, got ${JSON.stringify(format)}`);
  return format;
}

/** Throws `bad-option` unless `speed` is a number from 0.5 to 2 (the time-stretcher's range); returns it. */
export function checkSpeed(speed: unknown): number {
  return checkRange(speed, 'speed', MIN_SPEED, MAX_SPEED);
}

/** Throws `bad-option` unless `value` is a finite number in [lo, hi]; returns it. */
export function checkRange(value: unknown, name: string, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
    throw badOption(`${name} must be a number from ${lo} to ${hi}, got ${String(value)}`);
  }
  return value;
}

/** A `bad-option` error. */
export function badOption(message: string): VoxplayError {
  return new VoxplayError('bad-option', message);
}
