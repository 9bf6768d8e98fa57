/**
 * The demo page: wires the controls, the two engines (voxplay and the legacy <audio> queue),
 * and the live views together. Each concern lives in its own module; this file only connects
 * them.
 */
import { Captions } from './captions';
import { StripChart } from './charts/strip-chart';
import { loadConfig, urlWithIsolation, type DemoConfig } from './config';
import type { Engine, EngineHooks } from './engine';
import { ErrorLog } from './error-log';
import { LegacyQueue } from './legacy-queue';
import { loadVoxplay } from './lib';
import { MicBargeIn } from './mic-barge-in';
import { LoudspeakerRoom, type RoomFigures } from './loudspeaker-room';
import { OutputBus } from './output-bus';
import { wireOutputControls } from './output-controls';
import { Records, type EngineKind } from './records';
import { ScenarioForm } from './scenario-form';
import type { ConnectionStatus } from './server-connection';
import { StatsView } from './stats-view';
import { VoxplayEngine, type DemoService } from './voxplay-engine';
import { isSupported } from 'standardized-audio-context';

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from demo/index.html`);
  return el as T;
};

function showBanner(text: string, kind: 'info' | 'error', button?: { label: string; onClick: () => void }): void {
  const banner = byId('banner');
  banner.dataset.kind = kind;
  byId('banner-text').textContent = text;
  const b = byId<HTMLButtonElement>('banner-button');
  b.hidden = !button;
  if (button) {
    b.textContent = button.label;
    b.onclick = button.onClick;
  }
  banner.hidden = false;
}

function hideBanner(): void {
  byId('banner').hidden = true;
}

function showTransport(config: DemoConfig, transport: 'shared' | 'message'): void {
  const pill = byId('transport-pill');
  pill.textContent = transport === 'shared' ? 'SharedArrayBuffer ring' : 'postMessage ring';
  pill.dataset.tone = transport === 'shared' ? 'good' : 'warn';
  pill.title =
    transport === 'shared'
      ? 'The page is cross-origin isolated (COOP/COEP headers), so the player writes audio straight into a SharedArrayBuffer that the worklet reads.'
      : 'The page is not cross-origin isolated, so the player posts audio chunks to the worklet instead of sharing memory.';
  const link = byId<HTMLAnchorElement>('transport-switch');
  if (config.isolated || config.isolationAvailable) {
    link.href = urlWithIsolation(!config.isolated);
    link.textContent = config.isolated ? 'try postMessage' : 'back to shared memory';
    link.hidden = false;
  }
}

async function main(): Promise<void> {
  const config = await loadConfig();
  const records = new Records();
  const log = new ErrorLog(byId<HTMLOListElement>('log'), byId('log-empty'), byId('error-count'));
  const chart = new StripChart(byId<HTMLCanvasElement>('chart'), {
    voxplay: { label: 'voxplay buffer', color: '#0f766e' },
    legacy: { label: 'legacy queue', color: '#b45309' },
  });
  const stats = new StatsView(
    {
      ttfa: byId('t-ttfa'),
      ttfaSub: byId('t-ttfa-sub'),
      gaps: byId('t-gaps'),
      gapsSub: byId('t-gaps-sub'),
      bargeIn: byId('t-barge'),
      bargeInSub: byId('t-barge-sub'),
      buffered: byId('t-buffered'),
      bufferedSub: byId('t-buffered-sub'),
      preload: byId('t-preload'),
      preloadSub: byId('t-preload-sub'),
      arrival: byId('t-arrival'),
      arrivalSub: byId('t-arrival-sub'),
      played: byId('t-played'),
      playedSub: byId('t-played-sub'),
      state: byId('t-state'),
      stateSub: byId('t-state-sub'),
    },
    byId<HTMLTableSectionElement>('ab-body'),
    byId<HTMLTableSectionElement>('history-body'),
    records,
  );
  const captions = new Captions(byId('caption-text'), byId('caption-label'), byId('caption-note'));
  const scenario = new ScenarioForm(byId<HTMLFormElement>('scenario'), byId('presets'), byId('speak-preview'), byId('preset-hint'));

  const [lib, bus] = await Promise.all([loadVoxplay(), OutputBus.create(config.test)]);

  let selected: EngineKind = 'voxplay';
  const connections: Record<EngineKind, { status: ConnectionStatus; detail: string }> = {
    voxplay: { status: 'connecting', detail: '' },
    legacy: { status: 'connecting', detail: '' },
  };
  let tilesQueued = false;
  const hooks: EngineHooks = {
    bus,
    records,
    chart,
    captions,
    log,
    onConnection(kind, status, detail) {
      connections[kind] = { status, detail };
      const pill = byId('conn-pill');
      const all = Object.values(connections);
      const open = all.filter((c) => c.status === 'open').length;
      pill.textContent =
        open === all.length ? 'TTS server: connected' : all.some((c) => c.status === 'closed') ? 'TTS server: disconnected' : 'TTS server: connecting…';
      pill.dataset.tone = open === all.length ? 'good' : all.some((c) => c.status === 'closed') ? 'bad' : 'warn';
      pill.title = `${config.wsUrl}\nvoxplay socket: ${connections.voxplay.status} ${connections.voxplay.detail}\nlegacy socket: ${connections.legacy.status} ${connections.legacy.detail}`;
      if (status === 'closed' && detail.includes('dropped')) {
        log.add({ engine: kind, code: 'socket-dropped', message: `the ${kind} socket ${detail}`, level: 'note' });
      }
    },
    onUpdate() {
      if (tilesQueued) return;
      tilesQueued = true;
      requestAnimationFrame(() => {
        tilesQueued = false;
        stats.renderTiles(selected, engines[selected].figures());
      });
    },
  };

  // standardized-audio-context's feature probe names a browser that lacks what the player
  // needs (AudioWorklet and friends) before the player fails in a less obvious way.
  void isSupported()
    .catch(() => false)
    .then((ok) => {
      if (!ok) showBanner('This browser lacks Web Audio features voxplay needs (AudioWorklet). Try a current Chrome, Firefox or Safari.', 'error');
    });
  let vox: VoxplayEngine;
  try {
    vox = new VoxplayEngine(lib, config.wsUrl, hooks);
  } catch (error) {
    showBanner(`The player could not be created: ${error instanceof Error ? error.message : String(error)}`, 'error');
    throw error;
  }
  const legacy = new LegacyQueue(config.wsUrl, hooks);
  const engines: Record<EngineKind, Engine> = { voxplay: vox, legacy };
  let recordsQueued = false;
  records.onChange(() => {
    hooks.onUpdate();
    if (recordsQueued) return;
    recordsQueued = true;
    requestAnimationFrame(() => {
      recordsQueued = false;
      stats.renderRecords();
    });
  });
  stats.renderRecords();
  showTransport(config, vox.player.transport);

  // ---- output controls (the player's volume, mute, pause, device and level)
  const drawLevel = wireOutputControls(
    vox.player,
    {
      level: byId('out-level'),
      levelOut: byId('out-level-db'),
      volume: byId<HTMLInputElement>('volume'),
      volumeOut: byId('volume-out'),
      speed: byId<HTMLInputElement>('playback-speed'),
      speedOut: byId('playback-speed-out'),
      mute: byId<HTMLInputElement>('mute'),
      pause: byId<HTMLButtonElement>('pause'),
      sink: byId<HTMLSelectElement>('sink'),
    },
    log,
  );
  const meterLoop = (): void => {
    drawLevel();
    requestAnimationFrame(meterLoop);
  };
  requestAnimationFrame(meterLoop);

  // ---- the player's lifecycle: autoplay policy, suspension
  vox.player.on('statechange', ({ state }) => {
    if (state === 'blocked') {
      showBanner('The browser holds audio back until you interact with the page.', 'info', { label: 'Enable audio', onClick: () => void vox.player.resume() });
    } else if (state === 'suspended' || state === 'preempted') {
      showBanner(`Audio is ${state} (by the system or the browser). Pushed audio is kept.`, 'info', {
        label: 'Resume',
        onClick: () => void vox.player.resume(),
      });
    } else if (state === 'running') hideBanner();
  });
  try {
    await vox.start();
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    log.add({ engine: 'voxplay', code, message: error instanceof Error ? error.message : String(error) });
    showBanner(`The player could not start: ${error instanceof Error ? error.message : String(error)}`, 'error');
  }
  legacy.start();
  if (vox.player.state === 'blocked') {
    // Any first click or key on the page is a user gesture: use it to unblock audio.
    const unblock = () => {
      if (vox.player.state === 'blocked') void vox.player.resume();
    };
    window.addEventListener('pointerdown', unblock, { once: true, capture: true });
    window.addEventListener('keydown', unblock, { once: true, capture: true });
  }

  // ---- controls
  const serviceSelect = byId<HTMLSelectElement>('service');
  serviceSelect.addEventListener('change', () => vox.setService(serviceSelect.value as DemoService));
  const textBox = byId<HTMLTextAreaElement>('text');
  const interruptButton = byId<HTMLButtonElement>('interrupt');
  const speak = () => {
    const text = textBox.value.trim() || 'Hello.';
    const options = scenario.read();
    scenario.sent();
    void engines[selected].speak(text, options);
  };
  /** The latest barge-in: context frame and page time of the call (the test compares its capture with it). */
  let lastInterrupt: { frame: number; at: number } | null = null;
  const interrupt = () => {
    lastInterrupt = { frame: bus.frameNow(), at: performance.now() };
    let any = false;
    for (const engine of Object.values(engines)) {
      if (engine.busy()) {
        engine.interrupt();
        any = true;
      }
    }
    if (!any) engines[selected].interrupt();
    interruptButton.classList.add('flash');
    setTimeout(() => interruptButton.classList.remove('flash'), 200);
  };
  byId('speak').addEventListener('click', speak);
  interruptButton.addEventListener('click', interrupt);
  window.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement | null;
    const typing = !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName));
    if (event.key === 'Escape') {
      event.preventDefault();
      interrupt();
    } else if (event.key === ' ' && !typing && !event.repeat) {
      event.preventDefault();
      interrupt();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      speak();
    }
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="engine"]')) {
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      selected = radio.value as EngineKind;
      document.body.dataset.engine = selected;
      // One voice at a time: switching cuts the other engine off.
      for (const engine of Object.values(engines)) if (engine.kind !== selected && engine.busy()) engine.interrupt();
      hooks.onUpdate();
    });
  }
  document.body.dataset.engine = selected;

  // ---- voice barge-in
  const micToggle = byId<HTMLInputElement>('mic-toggle');
  const micStatus = byId('mic-status');
  const micLevel = byId('mic-level');
  const thresholdInput = byId<HTMLInputElement>('mic-threshold-input');
  // The meter spans −60…0 dBFS, like the threshold slider laid over it.
  const dbToPercent = (db: number) => `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
  const mic = new MicBargeIn({
    context: bus.context,
    armed: () => Object.values(engines).some((e) => e.busy()),
    onSpeech: (db) => {
      log.add({ engine: selected, code: 'voice-barge-in', message: `you spoke (${db.toFixed(0)} dBFS): interrupt()`, level: 'note' });
      interrupt();
    },
    onStatus: (text, kind) => {
      micStatus.textContent = text;
      micStatus.dataset.kind = kind;
    },
    onLevel: (db) => {
      micLevel.style.width = dbToPercent(db);
    },
  });
  const showThreshold = () => {
    mic.thresholdDb = Number(thresholdInput.value);
    byId('mic-threshold-out').textContent = `${mic.thresholdDb.toString().replace('-', '−')} dB`;
  };
  thresholdInput.addEventListener('input', showThreshold);
  showThreshold();
  micToggle.addEventListener('change', async () => {
    if (micToggle.checked) {
      const ok = await mic.enable();
      if (!ok) micToggle.checked = false;
    } else {
      mic.disable();
      micStatus.textContent = 'Off. The Interrupt button and the keyboard still work.';
      micStatus.dataset.kind = 'info';
    }
  });

  // ---- loudspeaker room: simulated echo, an energy VAD and voxplay/barge-in side by side
  const roomToggle = byId<HTMLInputElement>('room-toggle');
  const roomStatus = byId('room-status');
  const talkButton = byId<HTMLButtonElement>('room-talk');
  const showRoom = (f: RoomFigures) => {
    byId('room-naive').textContent = String(f.naiveFalse);
    byId('room-ours').textContent = String(f.oursFalse);
    byId('room-true').textContent = String(f.oursTrue);
    byId('room-erle').textContent = f.erleDb === null ? '—' : `${f.erleDb.toFixed(0)} dB`;
    byId('room-delay').textContent = f.delayMs === null || f.delayMs < 0 ? '—' : `${f.delayMs.toFixed(0)} ms`;
  };
  const room = new LoudspeakerRoom({
    player: vox.player,
    chart,
    speaking: () => vox.busy(),
    interrupt: () => {
      log.add({ engine: 'voxplay', code: 'echo-aware-barge-in', message: 'voxplay/barge-in confirmed the user over the echo: interrupt()', level: 'note' });
      interrupt();
    },
    onFigures: showRoom,
    onStatus: (text, kind) => {
      roomStatus.textContent = text;
      roomStatus.dataset.kind = kind;
    },
  });
  roomToggle.addEventListener('change', async () => {
    if (roomToggle.checked) {
      const ok = await room.enable();
      if (!ok) roomToggle.checked = false;
    } else {
      room.disable();
      roomStatus.textContent = 'Off.';
      roomStatus.dataset.kind = 'info';
    }
    talkButton.disabled = !room.enabled;
  });
  talkButton.addEventListener('click', () => void room.talkOverIt());

  // ---- live views
  setInterval(() => {
    const now = performance.now();
    chart.pushLevel(now, bus.level());
    if (selected === 'legacy' || legacy.busy()) chart.pushBuffer(now, legacy.queuedMs(), 'legacy');
    legacy.tick();
    if (selected === 'legacy') hooks.onUpdate();
  }, 40);
  chart.start();
  hooks.onUpdate();

  // For the browser test and for poking around in devtools.
  Object.assign(globalThis, {
    voxplayDemo: {
      config,
      lib,
      bus,
      player: vox.player,
      engines,
      records,
      log,
      chart,
      captions,
      scenario,
      mic,
      room,
      speak,
      interrupt,
      get lastInterrupt() {
        return lastInterrupt;
      },
    },
  });
  document.body.dataset.ready = '1';
}

main().catch((error: unknown) => {
  console.error(error);
  if (!byId('banner').hidden) return;
  showBanner(`The demo failed to start: ${error instanceof Error ? error.message : String(error)}`, 'error');
});
