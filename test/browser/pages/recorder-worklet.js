// Test-only AudioWorkletProcessors 'voxplay-test-recorder' and 'voxplay-test-ramp' (below).
//
// Passes input channel 0 to its single mono output unchanged and records it. Recorded
// quanta are batched (default 32 render quanta per message) and posted to the main thread
// as { type: 'batch', frame, samples } where `frame` is the currentFrame of the batch's
// first sample and `samples` a Float32Array whose buffer is transferred. A batch always
// covers contiguous frames: if currentFrame jumps (Chromium's fake audio output can skip
// frames right after start), the batch is cut and a new one starts at the new frame, so
// the main thread places samples by frame rather than by counting.
//
// currentFrame is not trusted when it stands still: Chromium copies the context's frame
// into the worklet scope only when it can take the graph lock without waiting, so while
// the main thread changes the graph (suspend/resume, connect, new nodes) a quantum can
// read the previous quantum's frame (https://issues.chromium.org/issues/442866743). Every
// process() call renders a new quantum, so a frame behind the one expected is taken as
// the expected one (and counted in `frozenQuanta`); only a frame ahead is a real skip.
//
// Batch buffers come from a preallocated pool; the main thread hands them back with
// { type: 'recycle', buffer } so steady-state recording allocates nothing.
//
// Messages in: { type: 'flush', id } → posts the partial batch, then { type: 'flushed', id, frame, allocations }
//              { type: 'stop', id }  → like flush, then stops recording (still passes audio through)
//              { type: 'recycle', buffer }

const DEFAULT_BATCH_QUANTA = 32;
const POOL_SIZE = 8;

class VoxplayTestRecorder extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const po = (options && options.processorOptions) || {};
    const quanta = Number.isInteger(po.batchQuanta) && po.batchQuanta > 0 ? po.batchQuanta : DEFAULT_BATCH_QUANTA;
    this.capacity = quanta * 128;
    this.pool = [];
    for (let i = 0; i < POOL_SIZE; i++) this.pool.push(new Float32Array(this.capacity));
    this.batch = null;
    this.batchFrame = 0;
    this.filled = 0;
    this.recording = true;
    /** Batch buffers allocated because the pool was empty (diagnostics). */
    this.allocations = 0;
    /** Frame the next quantum should start at (-1 before the first). */
    this.expectedFrame = -1;
    /** Quanta whose currentFrame was behind the expected frame (Chromium's frozen clock). */
    this.frozenQuanta = 0;
    this.port.onmessage = (event) => this.onMessage(event.data);
    // The page waits for this before an offline render: see createRecorder().
    this.port.postMessage({ type: 'ready' });
  }

  onMessage(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'recycle') {
      if (msg.buffer instanceof ArrayBuffer && msg.buffer.byteLength === this.capacity * 4 && this.pool.length < POOL_SIZE * 2) {
        this.pool.push(new Float32Array(msg.buffer));
      }
    } else if (msg.type === 'flush' || msg.type === 'stop') {
      this.flush();
      if (msg.type === 'stop') this.recording = false;
      this.port.postMessage({ type: 'flushed', id: msg.id, frame: currentFrame, allocations: this.allocations, frozenQuanta: this.frozenQuanta });
    }
  }

  flush() {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    if (this.filled === 0) {
      this.pool.push(batch);
      return;
    }
    const samples = batch.subarray(0, this.filled);
    this.port.postMessage({ type: 'batch', frame: this.batchFrame, samples }, [batch.buffer]);
    this.filled = 0;
  }

  process(inputs, outputs) {
    const input = inputs[0];
    const src = input && input.length > 0 ? input[0] : null;
    const output = outputs[0];
    const out = output && output.length > 0 ? output[0] : null;
    const n = out ? out.length : src ? src.length : 128;

    if (out) {
      if (src) out.set(src);
      else out.fill(0);
    }
    let frame = currentFrame;
    if (frame < this.expectedFrame) {
      frame = this.expectedFrame;
      this.frozenQuanta++;
    }
    this.expectedFrame = frame + n;
    if (!this.recording) return true;

    if (this.batch !== null && (frame !== this.batchFrame + this.filled || this.filled + n > this.capacity)) {
      this.flush();
    }
    if (this.batch === null) {
      let buf = this.pool.pop();
      if (buf === undefined) {
        buf = new Float32Array(this.capacity);
        this.allocations++;
      }
      this.batch = buf;
      this.batchFrame = frame;
      this.filled = 0;
    }
    if (src) this.batch.set(src, this.filled);
    else this.batch.fill(0, this.filled, this.filled + n);
    this.filled += n;
    if (this.filled >= this.capacity) this.flush();
    return true;
  }
}

registerProcessor('voxplay-test-recorder', VoxplayTestRecorder);

// Test-only source 'voxplay-test-ramp': outputs 1, 2, 3, … up to processorOptions.length
// (integers are exact in float32), then zeros. One value per rendered frame, so a capture
// shows whether every rendered quantum was recorded once, in order.
class VoxplayTestRamp extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.length = options.processorOptions.length;
    this.next = 1;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) out[i] = this.next <= this.length ? this.next++ : 0;
    return true;
  }
}

registerProcessor('voxplay-test-ramp', VoxplayTestRamp);
