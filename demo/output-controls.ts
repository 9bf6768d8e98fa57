/**
 * The Output card: the player's own controls (issue 16). The meter reads
 * `player.getOutputLevel()` (computed on the audio thread, carried by its reports), the
 * sliders and checkbox set `volume`, `speed` (issue 24: pitch kept, marks exact) and `muted`,
 * the button calls `pause()` / `resume()`, and the device list calls `setSinkId()`. They act
 * on the voxplay player only.
 */
import type { ErrorLog } from './error-log';
import type { StreamPlayer } from './lib';

/** The card's elements, by role. */
export interface OutputControlElements {
  level: HTMLElement;
  levelOut: HTMLOutputElement | HTMLElement;
  volume: HTMLInputElement;
  volumeOut: HTMLElement;
  speed: HTMLInputElement;
  speedOut: HTMLElement;
  mute: HTMLInputElement;
  pause: HTMLButtonElement;
  sink: HTMLSelectElement;
}

/** The meter spans −60…0 dBFS, like the microphone's. */
const toPercent = (db: number): string => `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;

/**
 * Wires the card to `player`.
 *
 * @returns a function to call once per animation frame: it redraws the meter.
 */
export function wireOutputControls(player: StreamPlayer, el: OutputControlElements, log: ErrorLog): () => void {
  el.volume.addEventListener('input', () => {
    player.volume = Number(el.volume.value) / 100;
    el.volumeOut.textContent = `${el.volume.value} %`;
  });
  const showSpeed = (): void => {
    el.speedOut.textContent = `${player.speed.toFixed(2)}×`;
  };
  el.speed.addEventListener('input', () => {
    player.speed = Number(el.speed.value);
  });
  player.on('speedchange', showSpeed);
  el.mute.addEventListener('change', () => {
    player.muted = el.mute.checked;
  });
  const showPause = (): void => {
    const paused = player.state === 'paused';
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.pause.setAttribute('aria-pressed', String(paused));
  };
  el.pause.addEventListener('click', () => {
    if (player.state === 'paused') void player.resume();
    else player.pause();
    showPause();
  });
  player.on('statechange', showPause);

  // Output devices are listed once the page may see them (labels need microphone permission).
  const listDevices = async (): Promise<void> => {
    const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
    const outputs = devices.filter((d) => d.kind === 'audiooutput' && d.deviceId !== '' && d.deviceId !== 'default');
    const keep = el.sink.value;
    el.sink.replaceChildren(new Option('Default output', ''), ...outputs.map((d, i) => new Option(d.label || `Output ${i + 1}`, d.deviceId)));
    el.sink.value = outputs.some((d) => d.deviceId === keep) ? keep : '';
  };
  el.sink.addEventListener('focus', () => void listDevices());
  el.sink.addEventListener('change', () => {
    const id = el.sink.value;
    player.setSinkId(id).then(
      () =>
        log.add({
          engine: 'voxplay',
          code: 'output-device',
          message: `playing on ${id === '' ? 'the default device' : `"${el.sink.selectedOptions[0]?.text}"`} (route: ${player.outputRoute})`,
          level: 'note',
        }),
      (e: { code?: string; message?: string }) => {
        el.sink.value = player.sinkId;
        log.add({ engine: 'voxplay', code: e.code ?? 'output-device', message: e.message ?? String(e) });
      },
    );
  });
  void listDevices();

  return () => {
    const { rmsDb } = player.getOutputLevel();
    el.level.style.width = toPercent(rmsDb);
    el.levelOut.textContent = Number.isFinite(rmsDb) ? `${Math.round(rmsDb).toString().replace('-', '−')} dB` : '−∞ dB';
  };
}
