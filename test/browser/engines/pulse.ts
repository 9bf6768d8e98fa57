/**
 * A private PulseAudio daemon with a null sink, for Firefox: with no audio device its
 * AudioContext stays `suspended` and `resume()` never settles. A keepalive stream holds the
 * sink open; without it each new context waits ~2 s for the sink to wake.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, stopChild } from './types';

/**
 * Records what a sink plays (its monitor) as 48 kHz mono float32, for tests that check
 * where the audio went. `stop()` ends the recording and returns the samples.
 */
export function recordSink(address: string, sink: string): { stop(): Promise<Float32Array> } {
  const child = spawn('parec', [`--device=${sink}.monitor`, '--raw', '--format=float32le', '--rate=48000', '--channels=1', '--latency-msec=20'], {
    env: { ...process.env, PULSE_SERVER: address },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  child.on('error', () => undefined);
  return {
    async stop() {
      await stopChild(child);
      const all = Buffer.concat(chunks);
      const out = new Float32Array(Math.floor(all.length / 4));
      for (let i = 0; i < out.length; i++) out[i] = all.readFloatLE(i * 4);
      return out;
    },
  };
}

export interface PulseServer {
  /** Value for the browser's PULSE_SERVER. */
  readonly address: string;
  stop(): Promise<void>;
}

/** Starts the daemon ($PULSEAUDIO_PATH or pulseaudio on PATH) and its keepalive. */
export async function startPulse(): Promise<PulseServer> {
  const dir = mkdtempSync(join(tmpdir(), 'voxplay-pulse-'));
  const socket = join(dir, 'native');
  const env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: dir };
  const daemon = spawn(
    process.env.PULSEAUDIO_PATH ?? 'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      '--load=module-null-sink sink_name=null rate=48000',
      // A second output device, for the output-device tests (setSinkId).
      '--load=module-null-sink sink_name=other rate=48000 sink_properties=device.description=Other',
    ],
    { env, stdio: 'ignore' },
  );
  let failed: Error | null = null;
  daemon.once('error', (e) => (failed = e));
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (failed || daemon.exitCode !== null) break;
    await sleep(50);
  }
  if (!existsSync(socket)) {
    await stopChild(daemon);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PulseAudio did not start (${failed ?? `exit ${daemon.exitCode}`}); Firefox needs it: apt-get install pulseaudio`);
  }
  const address = `unix:${socket}`;
  // One keepalive per sink: a stream that opens on an idle sink waits for it to wake.
  const keepalives = ['null', 'other'].map((sink) => {
    const child = spawn('pacat', ['--playback', '--raw', '--latency-msec=10', `--device=${sink}`, '/dev/zero'], {
      env: { ...env, PULSE_SERVER: address },
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    return child;
  });
  return {
    address,
    async stop() {
      await Promise.all(keepalives.map(stopChild));
      await stopChild(daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
