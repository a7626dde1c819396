/**
 * Service metrics in Prometheus' text exposition format (`GET /metrics`): queue depth, jobs by
 * outcome, proofs per second over the last minute, and latency quantiles over recent jobs
 * (a sliding window of the last 1,024, reported as a Prometheus summary).
 */
const WINDOW = 1024;

class Recent {
  private readonly v: number[] = [];
  sum = 0;
  count = 0;
  add(x: number): void {
    this.v.push(x);
    if (this.v.length > WINDOW) this.v.shift();
    this.sum += x;
    this.count++;
  }
  quantile(q: number): number {
    if (this.v.length === 0) return NaN;
    const s = [...this.v].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
  }
}

export class Metrics {
  readonly started = Date.now();
  accepted = 0;
  rejectedFull = 0;
  rejectedInvalid = 0;
  done = 0;
  failed = 0;
  requeued = 0;
  /** finished jobs deleted after the retention period */
  pruned = 0;
  private readonly doneTimes: number[] = [];
  readonly proveSeconds = new Recent();
  readonly latencySeconds = new Recent();
  readonly http = new Map<string, number>();

  jobDone(proveMs: number, latencyMs: number): void {
    this.done++;
    const now = Date.now();
    this.doneTimes.push(now);
    while (this.doneTimes.length > 0 && this.doneTimes[0] < now - 60_000) this.doneTimes.shift();
    this.proveSeconds.add(proveMs / 1000);
    this.latencySeconds.add(latencyMs / 1000);
  }

  /** Completed proofs per second over the last minute (or since start, if shorter). */
  proofsPerSecond(): number {
    const now = Date.now();
    while (this.doneTimes.length > 0 && this.doneTimes[0] < now - 60_000) this.doneTimes.shift();
    const span = Math.min(60, Math.max(1, (now - this.started) / 1000));
    return this.doneTimes.length / span;
  }

  countHttp(route: string, status: number): void {
    const k = `route="${route}",code="${status}"`;
    this.http.set(k, (this.http.get(k) ?? 0) + 1);
  }

  render(g: { queued: number; proving: number; workers: number; modelId: string }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(v) ? v : 'NaN'}`);
    };
    const summary = (name: string, help: string, r: Recent) => {
      metric(name, 'summary', help, [0.5, 0.9, 0.99].map((q) => [`quantile="${q}"`, r.quantile(q)] as [string, number]));
      lines.push(`${name}_sum ${r.sum}`, `${name}_count ${r.count}`);
    };
    metric('zkinfer_info', 'gauge', 'the served model', [[`model_id="${g.modelId}"`, 1]]);
    metric('zkinfer_queue_depth', 'gauge', 'jobs accepted and waiting for a prover', [['', g.queued]]);
    metric('zkinfer_jobs_proving', 'gauge', 'jobs being proved now', [['', g.proving]]);
    metric('zkinfer_workers', 'gauge', 'live provers: local proving threads, or worker processes connected to the Redis queue (NaN: Redis did not answer)', [['', g.workers]]);
    metric('zkinfer_jobs_accepted_total', 'counter', 'jobs accepted since start', [['', this.accepted]]);
    metric('zkinfer_jobs_rejected_total', 'counter', 'submissions refused since start', [
      ['reason="queue_full"', this.rejectedFull],
      ['reason="invalid"', this.rejectedInvalid],
    ]);
    metric('zkinfer_jobs_finished_total', 'counter', 'jobs finished since start', [
      ['status="done"', this.done],
      ['status="failed"', this.failed],
    ]);
    metric('zkinfer_jobs_requeued_total', 'counter', 'jobs put back in the queue (crashed thread, shutdown)', [['', this.requeued]]);
    metric('zkinfer_jobs_pruned_total', 'counter', 'finished jobs deleted after the retention period', [['', this.pruned]]);
    metric('zkinfer_proofs_per_second', 'gauge', 'proofs completed per second over the last minute', [['', this.proofsPerSecond()]]);
    summary('zkinfer_prove_seconds', 'proving time of recent jobs', this.proveSeconds);
    summary('zkinfer_job_latency_seconds', 'time from acceptance to receipt of recent jobs', this.latencySeconds);
    metric('zkinfer_http_requests_total', 'counter', 'HTTP requests by route and status', [...this.http.entries()]);
    metric('zkinfer_uptime_seconds', 'gauge', 'seconds since start', [['', (Date.now() - this.started) / 1000]]);
    metric('process_resident_memory_bytes', 'gauge', 'resident set size', [['', process.memoryUsage.rss()]]);
    return lines.join('\n') + '\n';
  }
}
