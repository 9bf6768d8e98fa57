/**
 * In-place radix-2 complex FFT for the echo canceller's blocks.
 *
 * @packageDocumentation
 */

/**
 * A radix-2 decimation-in-time FFT of one fixed power-of-two size, on split real and
 * imaginary arrays. The twiddle and bit-reversal tables are built once, so
 * {@link forward} and {@link inverse} allocate nothing and are safe in an AudioWorklet's
 * `process()`. Forward is unscaled; inverse divides by the size, so `inverse(forward(x)) = x`.
 */
export class Fft {
  /** Transform length (a power of two, 4..2^20). */
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;

  /** @throws RangeError when `size` is not a power of two in 4..2^20. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || size > 1048576 || (size & (size - 1)) !== 0) {
      throw new RangeError(`Fft: size must be a power of two from 4 to 1048576, got ${String(size)}`);
    }
    this.size = size;
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = Math.sin((2 * Math.PI * i) / size);
    }
    this.rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** Forward transform of `(re, im)` in place (sign −1, unscaled). */
  forward(re: Float64Array, im: Float64Array): void {
    this.run(re, im, -1);
  }

  /** Inverse transform of `(re, im)` in place (sign +1, scaled by 1/size). */
  inverse(re: Float64Array, im: Float64Array): void {
    this.run(re, im, 1);
    const scale = 1 / this.size;
    for (let i = 0; i < this.size; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }

  private run(re: Float64Array, im: Float64Array, sign: number): void {
    const n = this.size;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = sign * this.sin[k * step];
          const a = start + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/**
 * Completes the spectrum of a real signal of length 2n from its bins 0..n (conjugate symmetry:
 * bin 2n−k is the conjugate of bin k; bins 0 and n are real), so {@link Fft.inverse} returns a
 * real signal. In place; allocates nothing.
 */
export function mirrorHalfSpectrum(re: Float64Array, im: Float64Array, n: number): void {
  im[0] = 0;
  im[n] = 0;
  for (let k = 1; k < n; k++) {
    re[2 * n - k] = re[k];
    im[2 * n - k] = -im[k];
  }
}
