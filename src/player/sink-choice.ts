import { VoxplayError, type ErrorCode } from '../errors.js';
import type { OutputDevice, OutputRoute } from './output-device.js';

/**
 * The output device the app asked for (the `sinkId` option, `setSinkId()`), applied to
 * whichever node and context the lifecycle has now: at start, on each call, and again after
 * a stalled context was replaced. The device code itself ({@link OutputDevice}) is a lazy
 * chunk, loaded on first use: an app that never picks a device ships none of it.
 */
export class SinkChoice {
  private device: OutputDevice | null = null;
  private loading: Promise<OutputDevice> | null = null;
  private wanted: string;
  /** A node exists: from then on the id in use is the device's, not the wish. */
  private applied = false;
  private readonly appDestination: AudioNode | undefined;
  private readonly report: (code: ErrorCode, message: string) => void;

  /**
   * @param initial - The `sinkId` option (`''`: the default device).
   * @param appDestination - The app's `destination` option, if any: the node's default target.
   * @param report - Emits an `error` event (a refusal at start or after a replacement has no caller to reject).
   */
  constructor(initial: string, appDestination: AudioNode | undefined, report: (code: ErrorCode, message: string) => void) {
    this.wanted = initial;
    this.appDestination = appDestination;
    this.report = report;
  }

  /** The device id in use (`''`: the default); before a node exists, the one asked for. */
  get id(): string {
    return this.applied ? (this.device?.id ?? '') : this.wanted;
  }

  /** How the output reaches its device. */
  get route(): OutputRoute {
    return this.device?.route ?? 'default';
  }

  /**
   * Asks for device `deviceId`: applied now to `node` in `context`, or remembered until a
   * node exists (null), once the browser is known to have some way to choose a device.
   *
   * @throws VoxplayError `unsupported`, `output-device` (see {@link OutputDevice.apply}).
   */
  async set(deviceId: string, node: AudioNode | null, context: BaseAudioContext | null): Promise<void> {
    const device = await this.load();
    // Remembered only once accepted: a refused id leaves the choice (and the output) as it was.
    if (!node || !context) device.check();
    else await device.apply(this.graph(node, context), deviceId);
    this.wanted = deviceId;
  }

  /** A new node exists (start, or a replaced context): send it to the device asked for. A refusal is an `error` event. */
  async applyTo(node: AudioNode, context: BaseAudioContext): Promise<void> {
    this.applied = true;
    if (this.wanted === '') return;
    try {
      await (await this.load()).apply(this.graph(node, context), this.wanted);
    } catch (error) {
      const code = error instanceof VoxplayError ? error.code : 'output-device';
      const message = error instanceof Error ? error.message.replace(/^voxplay: /, '') : String(error);
      this.report(code, `${message}; playing on the default device`);
    }
  }

  /** The node goes (close, or a replaced context): undo the route. */
  release(): void {
    this.device?.release();
  }

  private load(): Promise<OutputDevice> {
    this.loading ??= import('./output-device.js').then(
      (m) => (this.device = new m.OutputDevice((code, message, cause) => new VoxplayError(code, message, { cause }))),
      (cause: unknown) => {
        this.loading = null;
        throw new VoxplayError('unsupported', 'could not load the output-device module (a chunk next to voxplay.js)', { cause });
      },
    );
    return this.loading;
  }

  private graph(node: AudioNode, context: BaseAudioContext) {
    const target = this.appDestination;
    return { context, node, target: target ?? context.destination, appTarget: target !== undefined };
  }
}
