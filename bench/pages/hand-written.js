// The two hand-written contenders, as an app would write them (no library). Self-contained
// (no imports) so the bench can also measure what they weigh, min+gzip.

export function base64ToBytes(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// ------------------------------------------------------------------------------------------
// Legacy: pooled <audio> elements, base64 WAV in JSON, next chunk on `ended`
// ------------------------------------------------------------------------------------------

export class LegacyAudioQueue {
  constructor(ctx, destination, poolSize = 4) {
    this.pool = [];
    for (let i = 0; i < poolSize; i++) {
      const el = new Audio();
      el.preload = 'auto';
      const source = ctx.createMediaElementSource(el);
      source.connect(destination);
      this.pool.push({ el, url: null, busy: false });
    }
    /** Blob URLs waiting for a free element. */
    this.queue = [];
    /** Elements loaded with a chunk, in play order. */
    this.ready = [];
    this.current = null;
    this.errors = 0;
  }

  /** The per-message work: JSON.parse, base64 → bytes, WAV Blob → object URL, enqueue. */
  onText(text) {
    const msg = JSON.parse(text);
    if (msg.type !== 'audio') return;
    const bytes = base64ToBytes(msg.wav);
    const url = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
    this.queue.push(url);
    this.fill();
    if (!this.current) this.playNext();
  }

  fill() {
    while (this.queue.length > 0) {
      const slot = this.pool.find((s) => !s.busy);
      if (!slot) return;
      slot.busy = true;
      slot.url = this.queue.shift();
      slot.el.src = slot.url;
      slot.el.load();
      this.ready.push(slot);
    }
  }

  playNext() {
    const slot = this.ready.shift();
    if (!slot) {
      this.current = null;
      return;
    }
    this.current = slot;
    slot.el.onended = () => {
      this.release(slot);
      this.playNext();
    };
    slot.el.onerror = () => {
      this.errors++;
      this.release(slot);
      this.playNext();
    };
    slot.el.play().catch(() => {
      this.errors++;
    });
  }

  release(slot) {
    slot.el.onended = null;
    slot.el.onerror = null;
    if (slot.url) URL.revokeObjectURL(slot.url);
    slot.url = null;
    slot.busy = false;
    this.fill();
  }

  /** Stop: pause what sounds, clear the queue. */
  stop() {
    for (const url of this.queue.splice(0)) URL.revokeObjectURL(url);
    const current = this.current;
    this.current = null;
    const ready = this.ready.splice(0);
    if (current) {
      current.el.pause();
      this.release(current);
    }
    for (const slot of ready) this.release(slot);
  }
}

// ------------------------------------------------------------------------------------------
// Scheduled AudioBufferSourceNodes at nextStartTime (the common hand-written approach)
// ------------------------------------------------------------------------------------------

export class ScheduledBuffers {
  constructor(ctx, destination, sourceRate) {
    this.ctx = ctx;
    this.destination = destination;
    this.sourceRate = sourceRate;
    this.nextStartTime = 0;
    this.sources = new Set();
  }

  /** The per-message work: int16 → float, createBuffer, a source node started at nextStartTime. */
  onBinary(arrayBuffer) {
    const pcm = new Int16Array(arrayBuffer);
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    const buffer = this.ctx.createBuffer(1, samples.length, this.sourceRate);
    buffer.copyToChannel(samples, 0);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.destination);
    const at = Math.max(this.nextStartTime, this.ctx.currentTime);
    source.start(at);
    this.nextStartTime = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
  }

  /** Stop: stop every started source. */
  stop() {
    for (const s of this.sources) {
      try {
        s.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
    this.nextStartTime = 0;
  }
}
