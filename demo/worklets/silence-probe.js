// AudioWorkletProcessor 'voxplay-demo-silence-probe': times barge-ins on the audio clock.
//
// The demo's output bus feeds it. It keeps, for the last HISTORY render quanta, each one's
// first frame and the index of its last loud sample (|x| > threshold). A request
//   { type: 'watch', id, frame, holdFrames, threshold, lookbackFrames, timeoutFrames }
// (`frame` = the context frame at the interrupt() call, which has usually been rendered
// already when the message arrives) is answered with
//   { type: 'silent', id, frame: F }    F = first frame of the first run of >= holdFrames
//                                       quiet frames at or after `frame` (sample-exact)
//   { type: 'silent', id, frame: null, quiet: true }   nothing was audible in the
//                                       lookbackFrames before `frame`: nothing to time
//   { type: 'silent', id, frame: null } no such run within timeoutFrames
// So "interrupt() → silence" is counted in frames, the same way for both engines,
// independent of main-thread timing. Its output is silence.

const HISTORY = 256;

class SilenceProbe extends AudioWorkletProcessor {
  constructor() {
    super();
    this.threshold = 1e-4;
    this.frames = new Float64Array(HISTORY);
    this.lastLoud = new Int32Array(HISTORY); // -1: the quantum was quiet
    this.sizes = new Int32Array(HISTORY);
    this.count = 0;
    this.watches = [];
    this.port.onmessage = (event) => {
      const m = event.data;
      if (m && m.type === 'watch') this.watch(m);
    };
  }

  watch(m) {
    this.threshold = m.threshold;
    const w = { id: m.id, from: m.frame, hold: m.holdFrames, deadline: m.frame + m.timeoutFrames, runStart: null };
    // Was anything audible just before the call?
    let audible = false;
    const n = Math.min(this.count, HISTORY);
    for (let k = 0; k < n; k++) {
      const i = (this.count - 1 - k) % HISTORY;
      const start = this.frames[i];
      if (start + this.sizes[i] <= m.frame - m.lookbackFrames) break;
      if (start < m.frame && this.lastLoud[i] >= 0 && start + this.lastLoud[i] >= m.frame - m.lookbackFrames) audible = true;
    }
    if (!audible) {
      this.port.postMessage({ type: 'silent', id: m.id, frame: null, quiet: true });
      return;
    }
    // Replay the quanta rendered since the call, oldest first.
    const replay = [];
    for (let k = 0; k < n; k++) {
      const i = (this.count - 1 - k) % HISTORY;
      if (this.frames[i] + this.sizes[i] <= m.frame) break;
      replay.push(i);
    }
    for (let r = replay.length - 1; r >= 0; r--) {
      const i = replay[r];
      if (this.step(w, this.frames[i], this.sizes[i], this.lastLoud[i])) return;
    }
    this.watches.push(w);
  }

  /** Feeds one quantum to a watch; true when it is answered. */
  step(w, start, size, lastLoud) {
    if (lastLoud >= 0 && start + lastLoud >= w.from) w.runStart = start + lastLoud + 1;
    else if (w.runStart === null) w.runStart = Math.max(start, w.from);
    if (start + size - w.runStart >= w.hold) {
      this.port.postMessage({ type: 'silent', id: w.id, frame: w.runStart });
      return true;
    }
    if (start + size > w.deadline) {
      this.port.postMessage({ type: 'silent', id: w.id, frame: null });
      return true;
    }
    return false;
  }

  process(inputs) {
    const input = inputs[0];
    const channel = input && input.length > 0 ? input[0] : null;
    const size = channel ? channel.length : 128;
    let lastLoud = -1;
    if (channel) {
      for (let j = size - 1; j >= 0; j--) {
        if (Math.abs(channel[j]) > this.threshold) {
          lastLoud = j;
          break;
        }
      }
    }
    const i = this.count % HISTORY;
    this.frames[i] = currentFrame;
    this.sizes[i] = size;
    this.lastLoud[i] = lastLoud;
    this.count++;
    for (let k = this.watches.length - 1; k >= 0; k--) {
      if (this.step(this.watches[k], currentFrame, size, lastLoud)) this.watches.splice(k, 1);
    }
    return true;
  }
}

registerProcessor('voxplay-demo-silence-probe', SilenceProbe);
