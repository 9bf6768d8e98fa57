/**
 * Running a test's page function in an engine whose driver takes a script string and JSON
 * (puppeteer over WebDriver BiDi, classic WebDriver). Playwright serialises typed arrays
 * itself; these drivers do not, so arguments and results cross as JSON with every typed
 * array written as `{ __typed: name, b64 }` and rebuilt on the other side.
 *
 * The function is sent as its source text, as Playwright does, so the same rules hold: it
 * may use only its argument and page globals (`importModule` instead of `import()`).
 */

const TYPED_KEY = '__typed';

type Typed = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
const CONSTRUCTORS: Record<string, new (buffer: ArrayBuffer) => Typed> = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
};

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Node side: typed arrays → `{ __typed, b64 }`, recursively through arrays and plain objects. */
export function encodeForPage(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { [TYPED_KEY]: value.constructor.name, b64: bytes.toString('base64') };
  }
  if (Array.isArray(value)) return value.map(encodeForPage);
  if (!isPlain(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeForPage(v)]));
}

/** Node side: rebuilds what the page encoded (see PAGE_CODEC). */
export function decodeFromPage(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeFromPage);
  const record = value as Record<string, unknown>;
  if (typeof record[TYPED_KEY] === 'string' && typeof record.b64 === 'string') {
    const bytes = Buffer.from(record.b64, 'base64');
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new CONSTRUCTORS[record[TYPED_KEY]](copy.buffer);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decodeFromPage(v)]));
}

/** Page side, as source: `dec` rebuilds typed arrays, `enc` writes them for the trip back. */
const PAGE_CODEC = `
  const K = ${JSON.stringify(TYPED_KEY)};
  const plain = (v) => { const p = Object.getPrototypeOf(v); return p === Object.prototype || p === null; };
  const dec = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(dec);
    if (typeof v[K] === 'string') {
      const bin = atob(v.b64);
      const u = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
      return new globalThis[v[K]](u.buffer);
    }
    const o = {};
    for (const k of Object.keys(v)) o[k] = dec(v[k]);
    return o;
  };
  const enc = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const u = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      let s = '';
      for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
      return { [K]: v.constructor.name, b64: btoa(s) };
    }
    if (Array.isArray(v)) return v.map(enc);
    if (!plain(v)) return v;
    const o = {};
    for (const k of Object.keys(v)) o[k] = enc(v[k]);
    return o;
  };`;

/**
 * An async function body (no wrapper) that runs `fn(arg)` in the page and returns its
 * encoded result; `{ ok }` or `{ error }` so a page exception comes back as text.
 */
export function pageFunctionBody(fn: string | ((arg: any) => unknown), arg: unknown): string {
  const source = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
  return `${PAGE_CODEC}
  try {
    const fn = (${source});
    return { ok: enc(await fn(dec(${JSON.stringify(encodeForPage(arg))}))) };
  } catch (e) {
    return { error: String(e) + (e && e.stack ? ' | ' + e.stack : '') };
  }`;
}

/** Turns what pageFunctionBody returned into the result, or throws the page's error. */
export function settle(result: unknown): unknown {
  const r = result as { ok?: unknown; error?: string } | null;
  if (r && typeof r.error === 'string') throw new Error(`page function threw: ${r.error}`);
  return decodeFromPage(r?.ok);
}
