// Page-side helper around the 'voxplay-test-recorder' worklet (recorder-worklet.js).
//
//   const rec = await createRecorder(ctx);
//   thingUnderTest.connect(rec.node);        // rec.node is already connected to ctx.destination
//   ...
//   const { samples, startFrame, skippedFrames } = await rec.capture();   // flushes first
//
// Samples are laid out by frame index, starting at the first recorded frame; frames the
// context skipped (no render quantum was ever processed for them) are zeros and are
// counted in skippedFrames / listed in skips. For an OfflineAudioContext the capture is
// clipped to ctx.length (the renderer processes a whole final quantum past it).

export const RECORDER_MODULE_URL = '/test/browser/pages/recorder-worklet.js';

const loadedModules = new WeakMap();

function loadModule(ctx, url) {
  let perCtx = loadedModules.get(ctx);
  if (!perCtx) {
    perCtx = new Map();
    loadedModules.set(ctx, perCtx);
  }
  let p = perCtx.get(url);
  if (!p) {
    p = ctx.audioWorklet.addModule(url);
    perCtx.set(url, p);
  }
  return p;
}

/**
 * @param {BaseAudioContext} ctx
 * @param {{ batchQuanta?: number, moduleUrl?: string, connectToDestination?: boolean }} [options]
 */
export async function createRecorder(ctx, options = {}) {
  await loadModule(ctx, options.moduleUrl ?? RECORDER_MODULE_URL);
  const node = new AudioWorkletNode(ctx, 'voxplay-test-recorder', {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    // 'discrete': a multi-channel input contributes its channel 0 only (no down-mix).
    channelInterpretation: 'discrete',
    processorOptions: { batchQuanta: options.batchQuanta ?? 32 },
  });
  if (options.connectToDestination !== false) node.connect(ctx.destination);

  /** @type {{ frame: number, samples: Float32Array }[]} */
  const batches = [];
  /** @type {{ frame: number, frames: number }[]} */
  const skips = [];
  let startFrame = null;
  let nextFrame = null;
  let skippedFrames = 0;
  let overlappedFrames = 0;
  let allocations = 0;
  let frozenQuanta = 0;
  let flushSeq = 0;
  const flushWaiters = new Map();

  let onReady = () => undefined;
  const ready = new Promise((resolve) => (onReady = resolve));
  node.port.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === 'ready') onReady();
    else if (msg.type === 'batch') {
      const copy = msg.samples.slice();
      batches.push({ frame: msg.frame, samples: copy });
      if (startFrame === null) {
        startFrame = msg.frame;
      } else if (msg.frame > nextFrame) {
        skips.push({ frame: nextFrame, frames: msg.frame - nextFrame });
        skippedFrames += msg.frame - nextFrame;
      } else if (msg.frame < nextFrame) {
        overlappedFrames += nextFrame - msg.frame;
      }
      nextFrame = Math.max(nextFrame ?? 0, msg.frame + copy.length);
      // Hand the buffer back to the worklet's pool.
      node.port.postMessage({ type: 'recycle', buffer: msg.samples.buffer }, [msg.samples.buffer]);
    } else if (msg.type === 'flushed') {
      allocations = msg.allocations;
      frozenQuanta = msg.frozenQuanta;
      const waiter = flushWaiters.get(msg.id);
      if (waiter) {
        flushWaiters.delete(msg.id);
        waiter(msg.frame);
      }
    }
  };

  const request = (type) =>
    new Promise((resolve) => {
      const id = ++flushSeq;
      flushWaiters.set(id, resolve);
      node.port.postMessage({ type, id });
    });

  // An OfflineAudioContext renders whole quanta, so the last one can run past ctx.length
  // (e.g. 4864 frames rendered for length 4800); clip to what the rendered buffer holds.
  const offline = typeof OfflineAudioContext === 'function' && ctx instanceof OfflineAudioContext;
  const frameLimit = offline ? ctx.length : Infinity;
  // A processor is built on the audio worklet's thread after its node: WebKitGTK can start an
  // offline render before it exists, and the recorder then misses the first quantum (its
  // capture starts at frame 128). Offline, wait until it says it is there (at most 5 s).
  if (offline) await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 5000))]);

  function getCapture() {
    if (startFrame === null) return new Float32Array(0);
    const end = Math.min(nextFrame, Math.max(startFrame, frameLimit));
    const out = new Float32Array(end - startFrame);
    for (const b of batches) {
      const at = b.frame - startFrame;
      if (at >= out.length) continue;
      out.set(at + b.samples.length <= out.length ? b.samples : b.samples.subarray(0, out.length - at), at);
    }
    return out;
  }

  return {
    node,
    /** currentFrame of the first recorded sample (null until the first batch arrives). */
    get startFrame() {
      return startFrame;
    },
    /** One past the last recorded frame (null until the first batch arrives). */
    get endFrame() {
      return nextFrame;
    },
    /** Frames missing between batches (the context's clock jumped). */
    get skippedFrames() {
      return skippedFrames;
    },
    /** Where frames were skipped: { frame: first missing frame, frames: how many }. */
    get skips() {
      return skips.slice();
    },
    /** Frames recorded twice (should stay 0; a later batch overwrites). */
    get overlappedFrames() {
      return overlappedFrames;
    },
    /** Batch buffers the worklet had to allocate beyond its pool (as of the last flush). */
    get allocations() {
      return allocations;
    },
    /** Quanta whose currentFrame the worklet found stale and corrected (as of the last flush). */
    get frozenQuanta() {
      return frozenQuanta;
    },
    getCapture,
    /** Posts the partial batch; resolves with the worklet's currentFrame once it has arrived. */
    flush: () => request('flush'),
    /** Flushes and stops recording (audio still passes through). */
    stop: () => request('stop'),
    /** Flushes, then returns everything recorded so far. */
    async capture() {
      await request('flush');
      return {
        samples: getCapture(),
        startFrame,
        skippedFrames,
        skips: skips.slice(),
        overlappedFrames,
        frozenQuanta,
        sampleRate: ctx.sampleRate,
      };
    },
  };
}
