/**
 * Two-sample and goodness-of-fit tests for the zero-knowledge tests: chi-square (p-value from
 * the regularized incomplete gamma function, Numerical Recipes §6.2) and Kolmogorov–Smirnov
 * (asymptotic Kolmogorov distribution with Stephens' correction, NR §14.3).
 */

function gammaln(x: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const t = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let s = 1.000000000190015;
  for (const ci of c) s += ci / ++y;
  return -t + Math.log((2.5066282746310005 * s) / x);
}

/** Q(a, x) = Γ(a, x)/Γ(a), the upper regularized incomplete gamma function. */
function gammq(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - gammaln(a));
  if (x < a + 1) {
    let ap = a, del = 1 / a, sum = del;
    for (let n = 0; n < 1000 && Math.abs(del) > Math.abs(sum) * 1e-15; n++) sum += del *= x / ++ap;
    return 1 - sum * front;
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return front * h;
}

/** P[χ²_k ≥ x]. */
export function chiSquareSurvival(x: number, k: number): number {
  return gammq(k / 2, x / 2);
}

/** Bin of a field element x ∈ [0, p) among `bins` equal ranges. */
export function binOf(x: number, bins: number, p = 2013265921): number {
  return Math.min(bins - 1, Math.floor((x * bins) / p));
}

/** Two-sample chi-square homogeneity test on binned samples: p-value (dof = non-empty bins − 1). */
export function chiSquareTwoSample(a: number[], b: number[], bins: number): number {
  const ca = new Array(bins).fill(0), cb = new Array(bins).fill(0);
  for (const x of a) ca[binOf(x, bins)]++;
  for (const x of b) cb[binOf(x, bins)]++;
  const na = a.length, nb = b.length;
  let chi = 0, used = 0;
  for (let i = 0; i < bins; i++) {
    const tot = ca[i] + cb[i];
    if (tot === 0) continue;
    used++;
    const ea = (tot * na) / (na + nb), eb = (tot * nb) / (na + nb);
    chi += (ca[i] - ea) ** 2 / ea + (cb[i] - eb) ** 2 / eb;
  }
  return used < 2 ? 1 : chiSquareSurvival(chi, used - 1);
}

/** Chi-square goodness of fit of one sample to the uniform distribution on [0, p): p-value. */
export function chiSquareUniform(a: number[], bins: number): number {
  const c = new Array(bins).fill(0);
  for (const x of a) c[binOf(x, bins)]++;
  const e = a.length / bins;
  return chiSquareSurvival(c.reduce((s, o) => s + (o - e) ** 2 / e, 0), bins - 1);
}

/** Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}. */
function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/** Two-sample Kolmogorov–Smirnov test: p-value. */
export function ksTwoSample(a: number[], b: number[]): number {
  const x = [...a].sort((u, v) => u - v), y = [...b].sort((u, v) => u - v);
  let i = 0, j = 0, dmax = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    dmax = Math.max(dmax, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  return kolmogorovQ((Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * dmax);
}

/** The family-wise false-alarm rate of `screenTwoSamples` (Bonferroni over features and tests). */
export const FAMILY_ALPHA = 1e-3;
export const SCREEN_BINS = 16;

/**
 * The two-witness screen of the zero-knowledge tests: for every feature k of runs `fa`, `fb`
 * (one row per run), a χ² (on `bins` bins) and a KS two-sample test and a χ² uniformity test of
 * each side; the smallest p-value, where it was found, and the Bonferroni level
 * FAMILY_ALPHA / (4·features) that a sound padding must stay above.
 */
export function screenTwoSamples(fa: number[][], fb: number[][], bins = SCREEN_BINS): { minP: number; level: number; where: string } {
  const F = fa[0].length;
  const level = FAMILY_ALPHA / (4 * F);
  let minP = 1, where = '';
  for (let k = 0; k < F; k++) {
    const xa = fa.map((r) => r[k]), xb = fb.map((r) => r[k]);
    const ps: [string, number][] = [
      ['chi2 two-sample', chiSquareTwoSample(xa, xb, bins)],
      ['KS two-sample', ksTwoSample(xa, xb)],
      ['chi2 uniform A', chiSquareUniform(xa, bins)],
      ['chi2 uniform B', chiSquareUniform(xb, bins)],
    ];
    for (const [name, p] of ps) if (p < minP) [minP, where] = [p, `${name}, feature ${k}`];
  }
  return { minP, level, where };
}
