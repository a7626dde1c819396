/**
 * A deterministic synthetic digits dataset: 8×8 grayscale images of the digits 0–9, rendered from
 * the 5×7 bitmap font below with the distortions of handwriting scans — a random sub-pixel shift
 * (±1 px on each axis), a small scale and slant change, stroke-intensity jitter and additive noise.
 *
 * Rendering is exact area sampling on a 4×4 sub-pixel grid: output pixel (r, c) is the fraction of
 * its 16 sub-samples that land on an inked glyph cell after the inverse affine map
 *   gx = ((c + u − cx) − slant·(r + v − cy)) / sx + 2.5,   gy = (r + v − cy) / sy + 3.5,
 * times the stroke intensity, plus noise, clamped to [0, 1]. Noise is "Gaussian-ish": a sum of four
 * uniforms (Irwin–Hall, unit variance after scaling), which uses only + and × so the bytes of every
 * image are the same on every platform for a given seed (no Math.log / Math.cos).
 */

/** 5×7 glyphs, '#' is ink. Classic LCD-style shapes, hand-drawn. */
const FONT: readonly string[][] = [
  ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'], // 0
  ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'], // 1
  ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'], // 2
  ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'], // 3
  ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'], // 4
  ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'], // 5
  ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'], // 6
  ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'], // 7
  ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'], // 8
  ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'], // 9
];

/** Ink masks, FONT[d] as 0/1 in row-major 7×5. */
const GLYPHS: readonly Uint8Array[] = FONT.map((rows) => Uint8Array.from(rows.join(''), (ch) => (ch === '#' ? 1 : 0)));

export const IMAGE_SIDE = 8;
export const NUM_CLASSES = 10;

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). Same seed → same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distortion ranges; the defaults give a task a small MLP learns to ≈97% accuracy. */
export interface DigitStyle {
  /** max |shift| in pixels on each axis (default 1) */
  shift: number;
  /** scale factors drawn from [1 − scale, 1 + scale] (default 0.1) */
  scale: number;
  /** slant (shear) drawn from [−slant, slant] (default 0.15) */
  slant: number;
  /** stroke intensity drawn from [minInk, 1] (default 0.6) */
  minInk: number;
  /** standard deviation of the additive noise (default 0.1) */
  noise: number;
}

const DEFAULT_STYLE: DigitStyle = { shift: 1, scale: 0.1, slant: 0.15, minInk: 0.6, noise: 0.1 };
const SQRT3 = Math.sqrt(3);
const SUB = 4;

/** Render one digit into `out` (64 values, row-major), drawing its distortions from `rnd`. */
export function renderDigit(digit: number, rnd: () => number, out: Float32Array, style: DigitStyle = DEFAULT_STYLE): void {
  const g = GLYPHS[digit];
  const u = (a: number) => (2 * rnd() - 1) * a;
  const cx = IMAGE_SIDE / 2 + u(style.shift);
  const cy = IMAGE_SIDE / 2 + u(style.shift);
  // the 5×7 glyph fills 5.6×7.2 px at scale 1 (slightly magnified so strokes cover whole pixels)
  const sx = 1.12 * (1 + u(style.scale));
  const sy = 1.03 * (1 + u(style.scale));
  const slant = u(style.slant);
  const ink = style.minInk + (1 - style.minInk) * rnd();
  for (let r = 0; r < IMAGE_SIDE; r++) {
    for (let c = 0; c < IMAGE_SIDE; c++) {
      let hits = 0;
      for (let i = 0; i < SUB; i++) {
        const y = r + (i + 0.5) / SUB - cy;
        const gy = Math.floor(y / sy + 3.5);
        if (gy < 0 || gy >= 7) continue;
        for (let j = 0; j < SUB; j++) {
          const x = c + (j + 0.5) / SUB - cx - slant * y;
          const gx = Math.floor(x / sx + 2.5);
          if (gx >= 0 && gx < 5) hits += g[gy * 5 + gx];
        }
      }
      const n = (rnd() + rnd() + rnd() + rnd() - 2) * SQRT3 * style.noise;
      const v = (ink * hits) / (SUB * SUB) + n;
      out[r * IMAGE_SIDE + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}

export interface Digits {
  /** n images of 64 pixels in [0, 1], row-major 8×8 */
  x: Float32Array[];
  /** labels 0–9 */
  y: number[];
}

/** n labelled digit images, labels drawn uniformly from 0–9. Same (n, seed, style) → same data. */
export function makeDigits(n: number, seed: number, style: Partial<DigitStyle> = {}): Digits {
  if (!Number.isInteger(n) || n < 0) throw new Error(`makeDigits: expected a non-negative integer count, got ${n}`);
  const st = { ...DEFAULT_STYLE, ...style };
  const rnd = mulberry32(seed);
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = Math.floor(rnd() * NUM_CLASSES);
    const img = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
    renderDigit(d, rnd, img, st);
    x.push(img);
    y.push(d);
  }
  return { x, y };
}

/** ASCII art of an image (for logs and the demo): ' .:-=+*#%@' by intensity. */
export function asciiDigit(img: ArrayLike<number>): string {
  const ramp = ' .:-=+*#%@';
  const lines: string[] = [];
  for (let r = 0; r < IMAGE_SIDE; r++) {
    let s = '';
    for (let c = 0; c < IMAGE_SIDE; c++) s += ramp[Math.min(9, Math.floor(img[r * IMAGE_SIDE + c] * 10))].repeat(2);
    lines.push(s);
  }
  return lines.join('\n');
}
