import type { ErrorCode } from '../errors.js';

/**
 * Makes the player's typed errors. Passed in, because this module is a chunk loaded on
 * first use and must not import the main bundle (that would make the chunk import
 * voxplay.js, and voxplay.js a static import of a shared chunk).
 */
export type Fail = (code: ErrorCode, message: string, cause?: unknown) => Error;

/**
 * How the player's output reaches the chosen device.
 * - `default`: straight into the context's destination, on the device the context uses.
 * - `context`: the same, after `AudioContext.setSinkId` moved the whole context (Chromium 110+).
 * - `media-element`: through a `MediaStreamAudioDestinationNode` played by an `<audio>`
 *   element whose `setSinkId` picked the device (Firefox, which has no
 *   `AudioContext.setSinkId`). Only the player's output moves; the element adds its own
 *   output latency, which the audio clock does not see.
 */
export type OutputRoute = 'default' | 'context' | 'media-element';

/** The part of the graph the route rewires: the player's node and where it goes by default. */
export interface OutputGraph {
  context: BaseAudioContext;
  node: AudioNode;
  /** The node's default target (the context's destination, or the app's `destination`). */
  target: AudioNode;
  /** True when `target` is the app's `destination` option rather than the context's own. */
  appTarget: boolean;
}

interface SinkSettable {
  setSinkId(id: string): Promise<void>;
}

function hasSetSinkId(value: unknown): value is SinkSettable {
  return typeof (value as { setSinkId?: unknown } | null)?.setSinkId === 'function';
}

/**
 * Chooses the output device for the player's node by the best mechanism the browser has,
 * and turns the browser's refusals into typed errors. One per player; `release()` undoes
 * the element route when the player closes.
 */
export class OutputDevice {
  private readonly fail: Fail;
  private current = '';
  private how: OutputRoute = 'default';
  private element: HTMLAudioElement | null = null;
  private stream: MediaStreamAudioDestinationNode | null = null;

  /**
   * Throws unless this browser has some way to choose an output device (checked on the
   * prototypes, before any context exists).
   *
   * @throws VoxplayError `unsupported`.
   */
  check(): void {
    const contextWay = typeof AudioContext === 'function' && hasSetSinkId(AudioContext.prototype);
    if (!contextWay && !elementRouteAvailable()) throw this.unsupported();
  }

  /** @param fail - Makes the player's typed errors (see {@link Fail}). */
  constructor(fail: Fail) {
    this.fail = fail;
  }

  /** The device id in use; `''` is the system default. */
  get id(): string {
    return this.current;
  }

  /** How the output reaches that device. */
  get route(): OutputRoute {
    return this.how;
  }

  /**
   * Sends the output to device `deviceId` (`''`: the default). On failure nothing changed.
   *
   * @throws VoxplayError `unsupported` when the browser has no way to choose an output
   *   device (Safari, WebKitGTK) or the context renders offline; `output-device` when the
   *   browser refuses this device (unknown id, no permission, the element may not play).
   */
  async apply(graph: OutputGraph, deviceId: string): Promise<void> {
    const { context } = graph;
    if (!(typeof AudioContext === 'function' && context instanceof AudioContext)) {
      throw this.fail('unsupported', 'an OfflineAudioContext renders to memory and has no output device');
    }
    if (hasSetSinkId(context)) {
      await this.refusal(context.setSinkId(deviceId), deviceId);
      this.how = deviceId === '' ? 'default' : 'context';
      this.current = deviceId;
      return;
    }
    if (!elementRouteAvailable()) throw this.unsupported();
    if (deviceId === '') {
      this.toDefault(graph);
      return;
    }
    if (graph.appTarget) {
      throw this.fail(
        'unsupported',
        "this browser can choose an output device only through an <audio> element, which would bypass the app's `destination` node; route that node to the device yourself",
      );
    }
    await this.toElement(graph, context, deviceId);
  }

  /**
   * Forgets the route, stopping the element if any: the player closes, or moves to a new
   * context (where `apply` builds the route again).
   */
  release(): void {
    if (this.element) {
      this.element.pause();
      this.element.srcObject = null;
    }
    this.element = null;
    this.stream = null;
    this.how = 'default';
    this.current = '';
  }

  private async toElement(graph: OutputGraph, context: AudioContext, deviceId: string): Promise<void> {
    this.stream ??= context.createMediaStreamDestination();
    if (!this.element) {
      this.element = document.createElement('audio');
      this.element.srcObject = this.stream.stream;
    }
    const element = this.element;
    // The device first: a refused id leaves the route as it was.
    await this.refusal((element as unknown as SinkSettable).setSinkId(deviceId), deviceId);
    if (this.how !== 'media-element') {
      graph.node.connect(this.stream);
      graph.node.disconnect(graph.target);
      try {
        await element.play();
      } catch (cause) {
        graph.node.connect(graph.target);
        graph.node.disconnect(this.stream);
        throw this.fail(
          'output-device',
          `the browser would not play the <audio> element that carries the output to device "${deviceId}" (${errorName(cause)}); call setSinkId() from a user gesture`,
          cause,
        );
      }
    }
    this.how = 'media-element';
    this.current = deviceId;
  }

  /** Awaits a browser's setSinkId, turning its DOMExceptions into `output-device` errors. */
  private async refusal(pending: Promise<void>, deviceId: string): Promise<void> {
    try {
      await pending;
    } catch (cause) {
      const name = errorName(cause);
      const why =
        name === 'NotFoundError'
          ? 'no audio output device has that id (ids come from navigator.mediaDevices.enumerateDevices(), kind "audiooutput")'
          : name === 'NotAllowedError' || name === 'SecurityError'
            ? 'the page may not use that device yet (ask with navigator.mediaDevices.selectAudioOutput() where it exists, or after microphone permission)'
            : 'the browser refused it';
      throw this.fail('output-device', `could not play on output device "${deviceId}" (${name}): ${why}`, cause);
    }
  }

  private unsupported(): Error {
    return this.fail(
      'unsupported',
      'this browser cannot choose an output device: it has neither AudioContext.setSinkId nor HTMLMediaElement.setSinkId (Safari and WebKitGTK); the audio plays on the system default device',
    );
  }

  private toDefault(graph: OutputGraph): void {
    if (this.how === 'media-element' && this.stream) {
      graph.node.connect(graph.target);
      graph.node.disconnect(this.stream);
      this.element?.pause();
    }
    this.how = 'default';
    this.current = '';
  }
}

/** True when `<audio>.setSinkId` and a MediaStream destination can carry the output. */
function elementRouteAvailable(): boolean {
  return (
    typeof document !== 'undefined' &&
    typeof HTMLMediaElement === 'function' &&
    hasSetSinkId(HTMLMediaElement.prototype) &&
    typeof AudioContext === 'function' &&
    typeof AudioContext.prototype.createMediaStreamDestination === 'function'
  );
}

function errorName(error: unknown): string {
  return error instanceof Error || (typeof DOMException === 'function' && error instanceof DOMException) ? error.name : 'Error';
}
