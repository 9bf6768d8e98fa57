/**
 * The scenario controls: how the mock TTS server paces and breaks the next utterance.
 * Reads the form into the `options` object of the speak message (see
 * demo/server/scenario.ts for the fields) and offers presets.
 */

export type FaultName = 'drop' | 'malformed' | 'duplicate' | 'reorder' | 'oversized';

/** The `options` of a speak message (the server's Scenario fields; `mode` is set per engine). */
export interface SpeakOptions {
  mode?: 'framed' | 'raw' | 'legacy';
  /** The server's audio encoding (framed and raw mode). */
  format?: 'pcm16' | 'mulaw' | 'alaw' | 'wav' | 'mp3' | 'ogg-opus';
  firstChunkDelayMs: number;
  chunkMs: number;
  speed: number | 'max';
  jitterMs: number;
  stallAtMs?: number;
  stallMs?: number;
  fault?: FaultName;
  faultAtMs?: number;
}

interface Preset {
  label: string;
  hint: string;
  values: { firstChunkDelayMs: number; chunkMs: number; speed: string; jitterMs: number; stallAtMs: string; stallMs: string };
}

export const PRESETS: Record<string, Preset> = {
  streaming: {
    label: 'Streaming TTS · 100 ms',
    hint: 'First chunk after 100 ms, then 4× faster than real time: the normal case.',
    values: { firstChunkDelayMs: 100, chunkMs: 40, speed: '4', jitterMs: 0, stallAtMs: '', stallMs: '' },
  },
  batch: {
    label: 'Batch TTS · 900 ms',
    hint: 'Nothing for 900 ms, then the whole utterance at once: what a non-streaming TTS feels like.',
    values: { firstChunkDelayMs: 900, chunkMs: 40, speed: 'max', jitterMs: 0, stallAtMs: '', stallMs: '' },
  },
  slow: {
    label: 'Slow · 0.8×',
    hint: 'Audio arrives slower than it plays: underruns, and the prebuffer grows after each one.',
    values: { firstChunkDelayMs: 100, chunkMs: 40, speed: '0.8', jitterMs: 0, stallAtMs: '', stallMs: '' },
  },
  stall: {
    label: 'Stall 1 s',
    hint: 'The server stops for a second mid-sentence: one underrun, faded out and back in.',
    values: { firstChunkDelayMs: 100, chunkMs: 40, speed: '1.5', jitterMs: 0, stallAtMs: '1500', stallMs: '1000' },
  },
  jitter: {
    label: 'Jitter ±120 ms',
    hint: 'Frames arrive early and late around real time: the prebuffer absorbs it.',
    values: { firstChunkDelayMs: 100, chunkMs: 40, speed: '1.2', jitterMs: 120, stallAtMs: '', stallMs: '' },
  },
};

export class ScenarioForm {
  private readonly form: HTMLFormElement;
  private readonly preview: HTMLElement;
  private readonly hint: HTMLElement;

  constructor(form: HTMLFormElement, presetBar: HTMLElement, preview: HTMLElement, hint: HTMLElement) {
    this.form = form;
    this.preview = preview;
    this.hint = hint;
    for (const [name, preset] of Object.entries(PRESETS)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chip';
      button.dataset.preset = name;
      button.textContent = preset.label;
      button.title = preset.hint;
      button.addEventListener('click', () => this.applyPreset(name));
      presetBar.append(button);
    }
    form.addEventListener('input', () => this.changed());
    form.addEventListener('change', () => this.changed());
    form.addEventListener('submit', (e) => e.preventDefault());
    this.applyPreset('streaming');
  }

  applyPreset(name: string): void {
    const preset = PRESETS[name];
    if (!preset) return;
    for (const [key, value] of Object.entries(preset.values)) this.field(key).value = String(value);
    this.form.dataset.preset = name;
    this.changed(name);
  }

  /** Sets a fault for the next speak request ('' = none). */
  setFault(fault: FaultName | '', atMs?: number): void {
    this.field('fault').value = fault;
    this.field('faultAtMs').value = atMs === undefined ? '' : String(atMs);
    this.changed();
  }

  /** The speak options for the next request. Call {@link ScenarioForm.sent} after sending. */
  read(): SpeakOptions {
    const num = (key: string, fallback: number) => {
      const v = Number(this.field(key).value);
      return this.field(key).value.trim() === '' || !Number.isFinite(v) ? fallback : v;
    };
    const speedText = this.field('speed').value;
    const options: SpeakOptions = {
      firstChunkDelayMs: num('firstChunkDelayMs', 100),
      chunkMs: num('chunkMs', 40),
      speed: speedText === 'max' ? 'max' : num('speed', 4),
      jitterMs: num('jitterMs', 0),
    };
    const format = this.field('format').value as NonNullable<SpeakOptions['format']>;
    if (format !== 'pcm16') options.format = format;
    const stallAt = this.field('stallAtMs').value.trim();
    const stallFor = this.field('stallMs').value.trim();
    if (stallAt !== '' && stallFor !== '') {
      options.stallAtMs = Number(stallAt);
      options.stallMs = Number(stallFor);
    }
    const fault = this.field('fault').value as FaultName | '';
    if (fault) {
      options.fault = fault;
      const at = this.field('faultAtMs').value.trim();
      if (at !== '') options.faultAtMs = Number(at);
    }
    return options;
  }

  /** A request went out: a one-shot fault is cleared. */
  sent(): void {
    if ((this.field('faultOnce') as HTMLInputElement).checked && this.field('fault').value) this.setFault('');
  }

  /** The speak message the next request would send (shown in the form). */
  private changed(presetName?: string): void {
    if (!presetName) {
      // A hand-edited field: the preset chip is no longer exact.
      const matching = Object.entries(PRESETS).find(([, p]) => Object.entries(p.values).every(([k, v]) => this.field(k).value === String(v)));
      presetName = matching?.[0];
      if (presetName) this.form.dataset.preset = presetName;
      else delete this.form.dataset.preset;
    }
    for (const chip of this.form.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
      chip.classList.toggle('active', chip.dataset.preset === presetName);
    }
    this.hint.textContent = presetName ? PRESETS[presetName].hint : 'Custom scenario.';
    this.preview.textContent = JSON.stringify({ type: 'speak', text: '…', options: this.read() });
  }

  private field(name: string): HTMLInputElement | HTMLSelectElement {
    const el = this.form.elements.namedItem(name);
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) throw new Error(`scenario form has no field "${name}"`);
    return el;
  }
}
