import { VoxplayError } from './errors.js';

/** Where the worklet module is when nothing else is said: next to this module in dist/. */
export function defaultWorkletUrl(): URL {
  return new URL('./playback-processor.js', import.meta.url);
}

/**
 * Loads the playback worklet into `context`. A `blob:` URL is used only when the app
 * passed the module's source (opt-in), because many CSPs forbid `blob:` workers.
 * Chrome rejects a failed addModule with an opaque `AbortError`; the error thrown here
 * names the URL and what usually causes it.
 */
export async function loadWorklet(context: BaseAudioContext, url: string | URL | undefined, source: string | undefined): Promise<void> {
  let href: string;
  let revoke: string | null = null;
  if (source !== undefined) {
    href = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    revoke = href;
  } else {
    href = String(url ?? defaultWorkletUrl());
  }
  try {
    await context.audioWorklet.addModule(href);
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : 'Error';
    const hint =
      source !== undefined
        ? "the page's Content-Security-Policy probably forbids blob: scripts (allow blob: in script-src, or drop workletSource and serve the file)"
        : 'the file is missing (404), served with a non-JavaScript MIME type, blocked by the Content-Security-Policy (script-src / worker-src), ' +
          "or on another origin without CORS; pass `workletUrl` pointing at voxplay's dist/playback-processor.js as served by your app";
    throw new VoxplayError(
      'worklet-load',
      `could not load the playback worklet from ${source !== undefined ? 'workletSource (blob: URL)' : href} (${name}): ${hint}`,
      { cause },
    );
  } finally {
    if (revoke) URL.revokeObjectURL(revoke);
  }
}

/**
 * Resumes `context`, waiting at most `timeoutMs`. Chrome keeps the promise pending (not
 * rejected) while autoplay policy blocks it, so the timeout is what tells "blocked".
 * Returns true when the context runs.
 */
export async function tryResume(context: AudioContext, timeoutMs: number): Promise<boolean> {
  if (context.state === 'running') return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([context.resume().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return (context.state as string) === 'running';
}

/**
 * Maps context frames to `performance.now()` times at which they reach the speakers,
 * using `getOutputTimestamp()` (which already includes the output latency) when the
 * browser provides a live one, else the current time plus the reported latencies.
 */
export class OutputClock {
  private readonly context: BaseAudioContext;

  constructor(context: BaseAudioContext) {
    this.context = context;
  }

  /** The context's reported output latency (base + device), ms. */
  latencyMs(): number {
    const ctx = this.context as Partial<AudioContext>;
    return ((ctx.baseLatency ?? 0) + (ctx.outputLatency ?? 0)) * 1000;
  }

  /** `performance.now()` time at which context frame `frame` is heard. */
  audibleAt(frame: number): number {
    const rate = this.context.sampleRate;
    const ctx = this.context as Partial<AudioContext>;
    if (typeof ctx.getOutputTimestamp === 'function') {
      const stamp = ctx.getOutputTimestamp();
      if (stamp.performanceTime !== undefined && stamp.contextTime !== undefined && stamp.performanceTime > 0) {
        return stamp.performanceTime + (frame / rate - stamp.contextTime) * 1000;
      }
    }
    return performance.now() + (frame / rate - this.context.currentTime) * 1000 + this.latencyMs();
  }
}
