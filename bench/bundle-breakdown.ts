/**
 * Where the bytes of dist/ come from: the generated characters of dist/voxplay.js and
 * dist/playback-processor.js attributed to their original sources through the source maps
 * (what the bundle really contains of each file, after tree shaking), then scaled to each
 * bundle's measured min+gzip size. An estimate — minification and gzip do not shrink every
 * file alike — so read it as a ranking.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../test/browser/harness';
import type { BundleSizes } from './bundle-size';

export interface BreakdownRow {
  bundle: 'library' | 'worklet';
  source: string;
  /** Generated characters of the (unminified) bundle that map to this source. */
  chars: number;
  /** Share of the bundle's min+gzip size, bytes (estimate). */
  gzip: number;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Generated characters per source index. */
function charsPerSource(code: string, mappings: string, sources: number): number[] {
  const counts = new Array<number>(sources).fill(0);
  const lines = code.split('\n');
  const mapLines = mappings.split(';');
  let src = 0;
  for (let l = 0; l < mapLines.length && l < lines.length; l++) {
    const segs = mapLines[l] === '' ? [] : mapLines[l].split(',').map(decodeVlq);
    let col = 0;
    const points: { col: number; src: number }[] = [];
    for (const s of segs) {
      col += s[0];
      if (s.length >= 4) {
        src += s[1];
        points.push({ col, src });
      } else points.push({ col, src: -1 });
    }
    for (let k = 0; k < points.length; k++) {
      const end = k + 1 < points.length ? points[k + 1].col : lines[l].length;
      if (points[k].src >= 0) counts[points[k].src] += Math.max(0, end - points[k].col);
    }
  }
  return counts;
}

export async function bundleBreakdown(sizes: BundleSizes, distDir = 'dist'): Promise<BreakdownRow[]> {
  const rows: BreakdownRow[] = [];
  for (const [bundle, file, gz] of [
    ['library', `${distDir}/voxplay.js`, sizes.voxplay.library.gzip],
    ['worklet', `${distDir}/playback-processor.js`, sizes.voxplay.worklet.gzip],
  ] as const) {
    let code: string;
    let map: { sources: string[]; mappings: string };
    try {
      code = await readFile(resolve(REPO_ROOT, file), 'utf8');
      map = JSON.parse(await readFile(resolve(REPO_ROOT, `${file}.map`), 'utf8'));
    } catch {
      continue;
    }
    const counts = charsPerSource(code, map.mappings, map.sources.length);
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    counts.forEach((chars, i) => {
      if (chars > 0)
        rows.push({
          bundle,
          source: map.sources[i].replace(/^(\.\.\/)+/, '').replace(/^(?:\.\/)?(src|worklets|node_modules)\//, '$1/'),
          chars,
          gzip: Math.round((chars / total) * gz),
        });
    });
  }
  return rows.sort((a, b) => b.gzip - a.gzip);
}
