import { describe, expect, it } from 'vitest';
import { useSuite } from './fixture';

import { encodeControl, encodeFrame } from '../../src/protocol/index';
import { findActiveRegion, launchEngine, mulberry32, withoutSkips, openPage, quantizePcm16, sine, toF32le, toPcm16, ENGINE } from './harness';

const suite = useSuite();

const page = () => openPage(suite.browser, `${suite.plain.url}/test/browser/pages/blank.html`);

describe(`StreamPlayer lifecycle in ${ENGINE}`, () => {
  for (const [how, query] of [
    ['resume() in a click', ''],
    ['unlockOnGesture() and a click', '?unlock'],
  ] as const)
    it(`is "blocked" without a user gesture, keeps pushed audio, and plays it all after ${how}`, async () => {
      // The page emulates the autoplay policy (headless Chromium does not enforce it for Web
      // Audio); a second browser with the engine's own policy (no autoplay switch or pref) keeps
      // the setup honest. The click is the driver's real input event in every engine.
      const strict = await launchEngine({ requireGesture: true });
      try {
        const opened = await openPage(strict, `${suite.plain.url}/test/browser/pages/autoplay.html${query}`);
        const before = await opened.page.evaluate(async () => ({ state: await (globalThis as any).started, states: [...(globalThis as any).states] }));
        expect(before.state).toBe('blocked');
        expect(before.states).toEqual(['starting', 'blocked']);
        await opened.page.click('button');
        const after = await opened.page.evaluate(async () => {
          const ended: any = await (globalThis as any).ended;
          return { state: (globalThis as any).player.state, played: ended.playedSamples };
        });
        expect(after).toEqual({ state: 'running', played: 4800 });
        expect(opened.errors).toEqual([]);
        await opened.close();
      } finally {
        await strict.close();
      }
    });

  it('surfaces suspend and resume of the app context as statechange and loses no sample', async () => {
    const opened = await page();
    const source = quantizePcm16(sine(440, 24000, 1, 0.5));
    const out = await opened.page.evaluate(async (pcm) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 20 } });
      fx.player.push(pcm, { utteranceId: 'a' });
      fx.player.endUtterance('a');
      await new Promise((r) => setTimeout(r, 300));
      await fx.context.suspend();
      await new Promise((r) => setTimeout(r, 50));
      const suspendedState = fx.player.state;
      await new Promise((r) => setTimeout(r, 300));
      await fx.context.resume();
      await fx.waitFor((e: any) => e.type === 'ended');
      const result = await fx.result();
      return { suspendedState, ...result };
    }, toPcm16(source));
    expect(out.suspendedState).toBe('suspended');
    const states = out.events.filter((e: any) => e.type === 'statechange').map((e: any) => e.detail.state);
    expect(states).toEqual(['starting', 'running', 'suspended', 'running']);
    // The fake output clock may jump frames on resume (nothing was rendered for them):
    // cut those zero-filled frames out before comparing.
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const active = findActiveRegion(captured, 0)!;
    const offset = active.start - source.findIndex((x) => x !== 0);
    let mismatches = 0;
    for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(out.metrics.samples.played).toBe(source.length);
    await opened.close();
  });

  it("an interruption (Safari's 'interrupted': a call, a locked screen) is 'preempted'; when it ends the player resumes the context and loses no sample", async () => {
    const opened = await page();
    const rng = mulberry32(5);
    const source = quantizePcm16(new Float32Array(24000).map(() => (rng() * 2 - 1) * 0.4));
    const out = await opened.page.evaluate(async (pcm) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 20 } });
      const ctx: AudioContext = fx.context;
      // What Safari does: the system stops the audio (the clock stands still), the context
      // says 'interrupted', and when the interruption ends it is left 'suspended'.
      const nativeState = Object.getOwnPropertyDescriptor(BaseAudioContext.prototype, 'state')!.get!;
      let simulated: string | null = null;
      Object.defineProperty(ctx, 'state', { configurable: true, get: () => simulated ?? nativeState.call(ctx) });
      fx.player.push(pcm, { utteranceId: 'a' });
      fx.player.endUtterance('a');
      await new Promise((r) => setTimeout(r, 300));
      simulated = 'interrupted';
      await ctx.suspend(); // fires statechange: the player reads 'interrupted'
      await new Promise((r) => setTimeout(r, 300));
      const during = fx.player.state;
      simulated = null;
      ctx.dispatchEvent(new Event('statechange')); // the interruption ended: 'suspended'
      await fx.waitFor((e: any) => e.type === 'ended');
      return { during, ...(await fx.result()) };
    }, toPcm16(source));
    await opened.close();
    expect(out.during).toBe('preempted');
    const states = out.events.filter((e: any) => e.type === 'statechange').map((e: any) => e.detail.state);
    expect(states).toEqual(['starting', 'running', 'preempted', 'running']);
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const offset = captured.findIndex((x) => x !== 0) - source.findIndex((x) => x !== 0);
    let mismatches = 0;
    for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(out.metrics.samples).toMatchObject({ received: source.length, played: source.length, dropped: 0 });
  });

  it('renders into an OfflineAudioContext faster than real time, sample-exact', async () => {
    const source = quantizePcm16(sine(440, 24000, 2, 0.5));
    const opened = await page();
    const out = await opened.page.evaluate(async (pcm) => {
      const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
      const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: 24000 * 3, sampleRate: 24000 });
      const player = new StreamPlayer({ context: ctx, prebufferMs: 0 });
      const ended: any[] = [];
      player.on('ended', (e: any) => ended.push(e));
      await player.start();
      player.push(pcm, { utteranceId: 'o' });
      player.endUtterance('o');
      // Pause after the first quantum so the worklet's port delivers the queued messages.
      // Firefox has no OfflineAudioContext.suspend(): pause before rendering there.
      let paused: Promise<unknown> = Promise.resolve();
      if (typeof ctx.suspend === 'function') {
        paused = ctx
          .suspend(128 / 24000)
          .then(() => new Promise((r) => setTimeout(r, 50)))
          .then(() => ctx.resume());
      } else {
        await new Promise((r) => setTimeout(r, 50));
      }
      const started = performance.now();
      const buffer = await ctx.startRendering();
      await paused;
      const ms = performance.now() - started;
      await new Promise((r) => setTimeout(r, 100));
      return { samples: buffer.getChannelData(0), ms, state: player.state, ended: ended.length, played: player.getMetrics().samples.played };
    }, toPcm16(source));
    await opened.close();
    const captured = Float32Array.from(out.samples as ArrayLike<number>);
    const active = findActiveRegion(captured, 0)!;
    const offset = active.start - 1; // source[0] is 0
    let mismatches = 0;
    for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(active.end - offset).toBeLessThanOrEqual(source.length);
    expect(out.state).toBe('running');
    expect(out.played).toBe(source.length);
    console.log(`[offline] 3 s rendered in ${out.ms.toFixed(0)} ms`);
  });

  it('after an underrun waits for prebuffer + stepMs before resuming the same utterance (OfflineAudioContext, exact frames)', async () => {
    const rate = 24000;
    const source = quantizePcm16(sine(300, rate, 0.33, 0.5));
    const opened = await openPage(suite.browser, `${suite.isolated.url}/test/browser/pages/blank.html`);
    if (ENGINE === 'firefox') {
      // Engine difference: Firefox has no OfflineAudioContext.suspend(), so audio cannot be
      // injected at exact frames there. The policy itself is covered by the unit tests
      // (test/unit/player/session.test.ts) and in real time by player.test.ts's underrun case.
      expect(await opened.page.evaluate(() => typeof (OfflineAudioContext.prototype as any).suspend)).toBe('undefined');
      await opened.close();
      return;
    }
    const out = await opened.page.evaluate(
      async ({ pcm, rate }) => {
        const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
        const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: rate, sampleRate: rate });
        // Shared transport: a push lands in the ring at once, so what the worklet has at each
        // suspend point is exact.
        const player = new StreamPlayer({ context: ctx, transport: 'shared', prebufferMs: 100, fadeMs: 2, adaptivePrebuffer: { stepMs: 50, maxMs: 400 } });
        const underruns: any[] = [];
        player.on('underrun', (e: any) => underruns.push(e));
        await player.start();
        const bytes = new Uint8Array(pcm);
        const ms = (t: number) => (t * rate * 2) / 1000; // bytes of t ms
        player.push(bytes.subarray(0, ms(150)), { utteranceId: 'u' });
        const at = (frame: number, fn: () => unknown) =>
          ctx
            .suspend(frame / rate)
            .then(fn)
            .then(() => ctx.resume());
        const steps = [
          // Lets the port deliver 'begin' before the audio is due (WebKit needs the 50 ms:
          // it delivers worklet messages only while the render is suspended long enough).
          at(128, () => new Promise((r) => setTimeout(r, 50))),
          // Dry since ~150 ms. 120 ms more would have resumed at the old 100 ms threshold.
          at(7168, () => player.push(bytes.subarray(ms(150), ms(270)), { utteranceId: 'u' })),
          // 60 ms more: 180 ms ≥ 150 ms (100 + one step of 50): resumes in this quantum.
          at(9600, () => {
            player.push(bytes.subarray(ms(270)), { utteranceId: 'u' });
            player.endUtterance('u');
            // And lets the port deliver 'end' before the ring runs dry (WebKit again).
            return new Promise((r) => setTimeout(r, 50));
          }),
        ];
        const buffer = await ctx.startRendering();
        await Promise.all(steps);
        await new Promise((r) => setTimeout(r, 100));
        return { samples: buffer.getChannelData(0), underruns, played: player.getMetrics().samples.played, prebufferMs: player.getMetrics().prebufferMs };
      },
      { pcm: Array.from(toPcm16(source)), rate },
    );
    await opened.close();
    const captured = Float32Array.from(out.samples as ArrayLike<number>);
    // The gap: the first run of 100+ zero frames after the start; where sound comes back.
    const first = captured.findIndex((x) => x !== 0);
    let gapStart = -1;
    let resumedAt = -1;
    for (let i = first, zeros = 0; i < captured.length; i++) {
      if (captured[i] === 0) zeros++;
      else {
        if (zeros >= 100 && gapStart < 0) {
          gapStart = i - zeros;
          resumedAt = i;
        }
        zeros = 0;
      }
    }
    console.log(`[regrow] dry at frame ${gapStart}, resumed at ${resumedAt} (pushes at 7168 and 9600); underruns ${JSON.stringify(out.underruns)}`);
    // The first 150 ms play out (the start itself may slip a quantum while 'begin' is in flight).
    expect(first).toBeLessThan(512);
    expect(gapStart - first).toBeGreaterThan(3500);
    expect(gapStart - first).toBeLessThanOrEqual(3600);
    expect(resumedAt).toBeGreaterThanOrEqual(9600);
    expect(resumedAt).toBeLessThan(9600 + 128);
    expect(out.underruns.map((e: any) => e.phase)).toEqual(['start', 'end']);
    expect(out.played).toBe(source.length);
    expect(out.prebufferMs).toBe(150); // and the next utterance starts at 150 ms too
  });

  it("a running context whose clock stands still: 'stalled' with a context error, an app's context left alone, 'running' again when the clock moves", async () => {
    const opened = await page();
    const out = await opened.page.evaluate(async () => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 20 } });
      // The page's view of the clock stops while the context keeps saying running: what
      // Safari shows after some device changes. The engine itself keeps rendering.
      const ctx = fx.context;
      const native = Object.getOwnPropertyDescriptor(BaseAudioContext.prototype, 'currentTime')!.get!;
      let frozen: number | null = null;
      Object.defineProperty(ctx, 'currentTime', { configurable: true, get: () => frozen ?? native.call(ctx) });
      let suspends = 0;
      const suspend = ctx.suspend.bind(ctx);
      ctx.suspend = () => (suspends++, suspend());
      await new Promise((r) => setTimeout(r, 300));
      frozen = native.call(ctx);
      await fx.waitFor((e: any) => e.type === 'statechange' && e.detail.state === 'stalled', 10_000);
      const stalledState = fx.player.state;
      frozen = null;
      await fx.waitFor((e: any) => e.type === 'statechange' && e.detail.state === 'running' && e.detail.previous === 'stalled', 10_000);
      fx.player.push(new Int16Array(2400).fill(1000), { utteranceId: 'after' });
      fx.player.endUtterance('after');
      await fx.waitFor((e: any) => e.type === 'ended');
      return { stalledState, suspends, state: fx.player.state, events: fx.events };
    });
    await opened.close();
    expect(out.stalledState).toBe('stalled');
    expect(out.suspends).toBe(0); // an app's context is the app's to suspend or recreate
    const errors = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('context');
    expect(errors[0].message).toMatch(/clock has stood still .* needs recreating/);
    expect(out.state).toBe('running');
    expect(out.events.find((e: any) => e.type === 'ended').detail.playedSamples).toBe(2400);
  });

  it('a stalled context the player made is restarted with suspend() + resume() and plays on', async () => {
    const opened = await page();
    const out = await opened.page.evaluate(async () => {
      const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
      const proto = BaseAudioContext.prototype;
      const native = Object.getOwnPropertyDescriptor(proto, 'currentTime')!.get!;
      // Every context's clock reads as frozen while `frozen` holds; the player's restart
      // (its suspend()) thaws it, as a real restart would.
      let frozen: number | null = null;
      Object.defineProperty(proto, 'currentTime', {
        configurable: true,
        get(this: BaseAudioContext) {
          return frozen ?? native.call(this);
        },
      });
      let suspends = 0;
      const suspend = AudioContext.prototype.suspend;
      AudioContext.prototype.suspend = function (this: AudioContext) {
        suspends++;
        frozen = null;
        return suspend.call(this);
      };
      const player = new StreamPlayer({ sampleRate: 24000, prebufferMs: 20 });
      const events: any[] = [];
      player.on('statechange', (e: any) => events.push({ type: 'statechange', ...e }));
      player.on('error', (e: any) => events.push({ type: 'error', code: e.code, message: e.message }));
      const ended = new Promise<any>((r) => player.on('ended', r));
      await player.start();
      await new Promise((r) => setTimeout(r, 300));
      frozen = native.call(player.audioContext);
      const deadline = performance.now() + 10_000;
      // Stalled, then suspended and resumed by the player, then running once the clock moves.
      const runningAgain = () => {
        const stalledAt = events.findIndex((e) => e.type === 'statechange' && e.state === 'stalled');
        return stalledAt >= 0 && events.slice(stalledAt).some((e) => e.type === 'statechange' && e.state === 'running');
      };
      while (!runningAgain() && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      player.push(new Int16Array(2400).fill(1000), { utteranceId: 'after' });
      player.endUtterance('after');
      const end = await Promise.race([ended, new Promise((r) => setTimeout(() => r(null), 5000))]);
      const state = player.state;
      await player.close();
      return { suspends, events, played: end?.playedSamples ?? null, state };
    });
    await opened.close();
    expect(opened.errors).toEqual([]);
    const states = out.events.filter((e: any) => e.type === 'statechange').map((e: any) => e.state);
    // In between, the restart's own suspended/stalled steps (WebKit coalesces them).
    expect(states.slice(0, 3)).toEqual(['starting', 'running', 'stalled']);
    expect(states.slice(-2)).toEqual(['running', 'closed']);
    expect(states.slice(3, -2).every((s: string) => s === 'suspended' || s === 'stalled')).toBe(true);
    expect(out.suspends).toBe(1);
    const errors = out.events.filter((e: any) => e.type === 'error');
    expect(errors.map((e: any) => e.code)).toEqual(['context']);
    expect(errors[0].message).toMatch(/restarting it with suspend\(\) and resume\(\)/);
    expect(out.state).toBe('running');
    expect(out.played).toBe(2400);
  });

  for (const [transport, speed] of [
    ['message', 1],
    ['shared', 1],
    ['message', 1.5],
  ] as const)
    it(`a stalled context the player made that suspend() + resume() cannot restart is replaced by a new one: the buffered audio plays on from the first unheard sample, marks and ended exact (${transport} transport${speed !== 1 ? `, speed ${speed}` : ''})`, async () => {
      const rate = 24000;
      const rng = mulberry32(9);
      const source = quantizePcm16(new Float32Array(2 * rate).map(() => (rng() * 2 - 1) * 0.4));
      const markAt = Math.round(1.6 * rate);
      const opened = await openPage(suite.browser, `${(transport === 'shared' ? suite.isolated : suite.plain).url}/test/browser/pages/blank.html`);
      const out = await opened.page.evaluate(
        async ({ pcm, rate, markAt, speed }) => {
          const { createRecorder } = await (globalThis as any).importModule('/test/browser/pages/capture.js');
          const proto = BaseAudioContext.prototype;
          const nativeDestination = Object.getOwnPropertyDescriptor(proto, 'destination')!.get!;
          const nativeState = Object.getOwnPropertyDescriptor(proto, 'state')!.get!;
          // Every context the player makes runs at the source rate and sends its output
          // through a recorder: what each one played is captured, frame by frame.
          const Native = AudioContext;
          const made: any[] = [];
          (globalThis as any).AudioContext = class extends Native {
            tap: GainNode;
            ready: Promise<void>;
            recorder: any = null;
            constructor(options?: AudioContextOptions) {
              super({ ...options, sampleRate: rate });
              this.tap = new GainNode(this);
              made.push(this);
              // One batch per quantum: a stopped context cannot be asked to flush.
              this.ready = createRecorder(this, { connectToDestination: false, batchQuanta: 1 }).then((r: any) => {
                this.tap.connect(r.node);
                r.node.connect(nativeDestination.call(this));
                this.recorder = r;
              });
              const add = this.audioWorklet.addModule.bind(this.audioWorklet);
              this.audioWorklet.addModule = (url: string | URL) => Promise.all([add(url), this.ready]).then(() => undefined);
            }
            override get destination(): AudioDestinationNode {
              return this.tap as unknown as AudioDestinationNode;
            }
          };
          const { StreamPlayer } = await (globalThis as any).importModule('/dist/voxplay.js');
          const player = new StreamPlayer({ sampleRate: rate, prebufferMs: 100, speed });
          const events: any[] = [];
          for (const type of ['statechange', 'error', 'mark', 'ended'])
            player.on(type, (e: any) => events.push({ type, ...(e instanceof Error ? { code: (e as any).code, message: e.message } : e) }));
          const ended = new Promise<any>((r) => player.on('ended', r));
          await player.start();
          player.push(pcm, { utteranceId: 'u' });
          player.mark('u', markAt, 'late');
          player.endUtterance('u');
          await new Promise((r) => setTimeout(r, 400));
          // The first context stops for good while it says running: its clock stands still,
          // and suspend() / resume() change nothing (what Safari shows after some device changes).
          const first = made[0];
          Object.defineProperty(first, 'state', { configurable: true, get: () => (nativeState.call(first) === 'closed' ? 'closed' : 'running') });
          await Native.prototype.suspend.call(first);
          first.suspend = () => Promise.resolve();
          first.resume = () => Promise.resolve();
          const done = await Promise.race([ended, new Promise((r) => setTimeout(() => r(null), 15_000))]);
          await new Promise((r) => setTimeout(r, 300));
          const captures = made.map((ctx) => ({
            // A typed array crosses the drivers base64-encoded (engines/page-script.ts), about a
            // quarter of a JSON array of its numbers, as every other test returns its captures.
            samples: ctx.recorder.getCapture() as Float32Array,
            startFrame: ctx.recorder.startFrame as number,
            skips: ctx.recorder.skips,
            overlapped: ctx.recorder.overlappedFrames,
          }));
          const result = {
            transport: player.transport,
            events,
            played: (done as any)?.playedSamples ?? null,
            contexts: made.length,
            firstState: nativeState.call(first),
            captures,
            metrics: player.getMetrics().samples,
            speed: player.getMetrics().speed,
            state: player.state,
          };
          await player.close();
          return result;
        },
        { pcm: toPcm16(source), rate, markAt, speed },
      );
      await opened.close();
      expect(opened.errors).toEqual([]);
      const states = out.events.filter((e: any) => e.type === 'statechange').map((e: any) => e.state);
      expect(states.slice(0, 3)).toEqual(['starting', 'running', 'stalled']);
      expect(out.state).toBe('running');
      expect(out.transport).toBe(transport);
      expect(out.contexts).toBe(2);
      expect(out.firstState).toBe('closed');
      expect(out.played).toBe(source.length);
      expect(out.metrics).toMatchObject({ received: source.length, played: source.length, dropped: 0, buffered: 0 });
      expect(out.events.filter((e: any) => e.type === 'ended')).toHaveLength(1);
      if (speed !== 1) {
        // The speed travels with the handover; the successor's fresh stretcher starts at the
        // first unheard source sample. Both contexts together play the source once, at the speed:
        // within the two stretchers' cycles (a longest period each) and the fade-in.
        expect(out.speed).toBe(speed);
        const frames = out.captures.map((c) => {
          const x = withoutSkips(Float32Array.from(c.samples), c.startFrame, c.skips);
          const active = findActiveRegion(x, 0);
          return active ? active.end - active.start : 0;
        });
        const total = frames[0] + frames[1];
        console.log(
          `[recreate, speed ${speed}] the contexts played ${frames.join(' + ')} = ${total} frames for ${source.length} source samples (÷ speed: ${source.length / speed})`,
        );
        expect(frames[0]).toBeGreaterThan(0.2 * rate);
        expect(Math.abs(total - source.length / speed)).toBeLessThanOrEqual(2 * 370 + 0.005 * rate + 128);
        expect(out.events.filter((e: any) => e.type === 'mark').map((e: any) => e.name)).toEqual(['late']);
        return;
      }
      // What the first context played, then what the second did: the input, sample for
      // sample, but for the fade-in where the second one took over.
      // Frames the fake output clock skipped (never rendered) are cut out, as elsewhere.
      const [a, b] = out.captures.map((c) => withoutSkips(Float32Array.from(c.samples), c.startFrame, c.skips));
      const startA = a.findIndex((x) => x !== 0);
      let heard = 0;
      while (startA + heard < a.length && a[startA + heard] === source[heard]) heard++;
      expect(a.subarray(startA + heard).every((x) => x === 0)).toBe(true);
      const fade = 0.005 * rate;
      // Where the second context's output of sample `heard` sits, found by a 32-sample window
      // of noise (which occurs once) well after the fade-in: the recorder of a brand-new
      // context sometimes starts a few quanta late.
      const probe = heard + 4096;
      let startB = -Infinity;
      for (let i = 0; i + 32 <= b.length && startB === -Infinity; i++) {
        let j = 0;
        while (j < 32 && b[i + j] === source[probe + j]) j++;
        if (j === 32) startB = i - (probe - heard);
      }
      expect(startB).toBeGreaterThan(-4096);
      let mismatches = 0;
      let compared = 0;
      for (let k = heard + fade; k < source.length; k++) {
        const i = startB + k - heard;
        if (i < 0) continue; // before the recorder started
        compared++;
        if (b[i] !== source[k]) mismatches++;
      }
      console.log(
        `[recreate] first context played ${heard} samples, the second ${source.length - heard}; ${mismatches} of ${compared} differ after the fade-in`,
      );
      expect(heard).toBeGreaterThan(0.2 * rate);
      expect(mismatches).toBe(0);
      expect(compared).toBeGreaterThan(source.length - heard - 4096);
      // The mark after the switch fires on the new context's clock, on its sample's frame.
      const mark = out.events.find((e: any) => e.type === 'mark');
      expect(mark?.name).toBe('late');
      const rawB = Float32Array.from(out.captures[1].samples);
      let markIndex = -1;
      for (let i = 0; i + 32 <= rawB.length && markIndex < 0; i++) {
        let j = 0;
        while (j < 32 && rawB[i + j] === source[markAt + j]) j++;
        if (j === 32) markIndex = i;
      }
      expect(Math.round(mark.contextTime * rate) - out.captures[1].startFrame).toBe(markIndex);
    });

  it('plays raw binary PCM (f32) with utterances delimited by JSON start/end', async () => {
    const source = sine(330, 16000, 0.6, 0.5);
    const bytes = toF32le(source);
    const opened = await page();
    const connection = suite.stream.waitForConnection();
    await opened.page.evaluate(async (url) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 16000, player: { sampleRate: 16000, format: 'f32', prebufferMs: 30 } });
      fx.player.attach(new WebSocket(url), { framing: 'raw' });
    }, suite.stream.url);
    const conn = await connection;
    const steps = [{ delayMs: 0, data: encodeControl({ type: 'start', utteranceId: 'r1' }) }];
    for (let i = 0; i < bytes.length; i += 1001) steps.push({ delayMs: 3, data: bytes.slice(i, i + 1001) as unknown as string });
    steps.push({ delayMs: 3, data: encodeControl({ type: 'end', utteranceId: 'r1' }) });
    await conn.play(steps);
    const out = await opened.page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      await fx.waitFor((e: any) => e.type === 'ended');
      return fx.result();
    });
    const ended = out.events.find((e: any) => e.type === 'ended');
    expect(ended.detail).toMatchObject({ utteranceId: 'r1', playedSamples: source.length });
    const captured = withoutSkips(Float32Array.from(out.samples), out.startFrame, out.skips);
    const active = findActiveRegion(captured, 0)!;
    const offset = active.start - 1; // source[0] is 0
    let mismatches = 0;
    for (let i = 0; i < source.length; i++) if (captured[offset + i] !== source[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(opened.errors).toEqual([]);
    await opened.close();
  });

  it('plays out what arrived when the socket drops mid-utterance, then continues on a new socket', async () => {
    const pcm = toPcm16(quantizePcm16(sine(440, 24000, 0.5, 0.5)));
    const opened = await page();
    let connection = suite.stream.waitForConnection();
    await opened.page.evaluate(async (url) => {
      const { setupPlayer } = await (globalThis as any).importModule('/test/browser/pages/player-fixture.js');
      const fx = await setupPlayer({ contextRate: 24000, player: { prebufferMs: 30 } });
      fx.player.attach(new WebSocket(url));
    }, suite.stream.url);
    let conn = await connection;
    const half = pcm.length / 2;
    await conn.play([
      { delayMs: 0, data: encodeFrame({ codec: 'pcm16', sampleRate: 24000, utteranceId: 1, seq: 0, start: true, end: false }, pcm.subarray(0, half)) },
    ]);
    conn.close(1011, 'server fell over');
    await opened.page.evaluate(() => (globalThis as any).fx.waitFor((e: any) => e.type === 'ended'));
    connection = suite.stream.waitForConnection();
    await opened.page.evaluate((url) => (globalThis as any).fx.player.attach(new WebSocket(url)), suite.stream.url);
    conn = await connection;
    await conn.play([{ delayMs: 0, data: encodeFrame({ codec: 'pcm16', sampleRate: 24000, utteranceId: 2, seq: 0, start: true, end: true }, pcm) }]);
    const out = await opened.page.evaluate(async () => {
      const fx = (globalThis as any).fx;
      await fx.waitFor((e: any) => e.type === 'ended' && e.detail.utteranceId === '2');
      return fx.result();
    });
    const disconnected = out.events.find((e: any) => e.type === 'disconnected');
    expect(disconnected.detail).toEqual({ code: 1011, reason: 'server fell over', utteranceId: '1' });
    const ended = out.events.filter((e: any) => e.type === 'ended').map((e: any) => [e.detail.utteranceId, e.detail.playedSamples]);
    expect(ended).toEqual([
      ['1', half / 2],
      ['2', pcm.length / 2],
    ]);
    const codes = out.events.filter((e: any) => e.type === 'error').map((e: any) => e.detail.code);
    expect(codes).toEqual(['disconnected']);
    const m = out.metrics.samples;
    expect(m.received).toBe(m.played + m.buffered + m.dropped);
    expect(m.played).toBe(half / 2 + pcm.length / 2);
    await opened.close();
  });
});
