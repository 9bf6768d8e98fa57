// Init script for consumer tests (a classic script, run before any page script).
//
// The pages under test create their own AudioContext (the player makes it), so the test
// cannot route the player into a recorder the way player-fixture.js does. Instead every
// connection to an AudioDestinationNode goes through one GainNode "tap" per context,
// which passes the audio on to the real destination unchanged. Later, the test connects
// the tap to the recorder worklet (capture.js) and so records exactly what reaches the
// destination. It also collects Content-Security-Policy violations.
(() => {
  const connect = AudioNode.prototype.connect;
  const taps = new Map();
  const internal = new WeakSet();
  AudioNode.prototype.connect = function (destination, ...rest) {
    if (destination instanceof AudioDestinationNode && !internal.has(this)) {
      let tap = taps.get(destination.context);
      if (!tap) {
        tap = new GainNode(destination.context);
        internal.add(tap);
        connect.call(tap, destination);
        taps.set(destination.context, tap);
      }
      return connect.call(this, tap, ...rest);
    }
    return connect.call(this, destination, ...rest);
  };
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`));

  globalThis.destinationTap = {
    violations,
    /** Contexts whose destination something connected to, in order. */
    contexts: () => [...taps.keys()],
    /**
     * Records what reaches the destination of `context` (default: the first one) from now
     * on, with the recorder worklet served at `base` + 'recorder-worklet.js'.
     */
    async record(base, context = [...taps.keys()][0]) {
      if (!context) throw new Error('nothing is connected to an AudioContext destination yet');
      const { createRecorder } = await import(base + 'capture.js');
      const recorder = await createRecorder(context, { moduleUrl: base + 'recorder-worklet.js', connectToDestination: false });
      internal.add(recorder.node);
      connect.call(taps.get(context), recorder.node);
      // The recorder must be pulled by the destination to run; mute it there (the tap
      // already feeds the destination) so the output is not doubled.
      const mute = new GainNode(context, { gain: 0 });
      internal.add(mute);
      connect.call(recorder.node, mute);
      connect.call(mute, context.destination);
      globalThis.destinationTap.recorder = recorder;
      // Resolve only once the recorder has rendered a quantum, so nothing played after
      // this returns can be missed even when the audio thread is slow to start it.
      for (let tries = 0; recorder.startFrame === null; tries++) {
        if (tries > 500) throw new Error('the recorder worklet never ran');
        await recorder.flush();
        if (recorder.startFrame === null) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return context.sampleRate;
    },
    /**
     * Everything rendered so far, as plain numbers for page.evaluate. Frames the context
     * skipped (its clock jumped, e.g. when the machine is busy; no render quantum ran for
     * them, so no audio was lost) are left out, so the samples are the rendered stream.
     */
    async capture() {
      const c = await globalThis.destinationTap.recorder.capture();
      const parts = [];
      let at = 0;
      for (const skip of c.skips) {
        const start = skip.frame - c.startFrame;
        parts.push(c.samples.subarray(at, start));
        at = start + skip.frames;
      }
      parts.push(c.samples.subarray(at));
      const samples = [];
      for (const part of parts) for (const x of part) samples.push(x);
      return { samples, sampleRate: c.sampleRate, skippedFrames: c.skippedFrames };
    },
  };
})();
