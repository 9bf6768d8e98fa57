import { it } from 'vitest';
import { execSync } from 'node:child_process';
import { launchEngine, openPage } from './harness';
import { recordSink } from './engines/pulse';
import { useSuite } from './fixture';
const suite = useSuite();
it('dbg', async () => {
  const b = await launchEngine({ audioDevices: true });
  const opened = await openPage(b, `${suite.plain.url}/test/browser/pages/blank.html`);
  const rec = recordSink(b.pulseAddress!, 'null');
  void opened.page
    .evaluate(async () => {
      const ctx = new AudioContext();
      await ctx.resume();
      const o = ctx.createOscillator();
      o.connect(ctx.destination);
      o.start();
      await new Promise((r) => setTimeout(r, 3000));
    })
    .catch(() => 0);
  await new Promise((r) => setTimeout(r, 2000));
  console.log(
    execSync('pactl list short sink-inputs; pactl list short source-outputs; pactl list short sources', {
      env: { ...process.env, PULSE_SERVER: b.pulseAddress },
    }).toString(),
  );
  const s = await rec.stop();
  let m = 0;
  for (const x of s) m = Math.max(m, Math.abs(x));
  console.log('recorded', s.length, 'peak', m);
  await opened.close();
  await b.close();
});
