/**
 * Where the time of one answer went, for the `Server-Timing` response header
 * (shown by browsers' developer tools, readable from R, Python or curl -i):
 * `cache` (hit or miss), `estimate` (cost before running), `queue` (waiting
 * for the scheduler), `engine` (the engine's queries, their rows parsed),
 * `protect` (engine rows to published rows: disclosure control, ordering and
 * paging), `labels` (member labels), `total`.
 */
export class Timing {
  private readonly start = performance.now();
  private readonly entries: { name: string; ms?: number; desc?: string }[] = [];

  /** Runs `fn` and adds its duration under `name` (durations of one name add up). */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }

  /** The same for synchronous work. */
  timeSync<T>(name: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(name, performance.now() - t0);
    }
  }

  private add(name: string, ms: number): void {
    const e = this.entries.find((x) => x.name === name);
    if (e) e.ms = (e.ms ?? 0) + ms;
    else this.entries.push({ name, ms });
  }

  note(name: string, desc: string): void {
    this.entries.push({ name, desc });
  }

  header(): string {
    const parts = this.entries.map((e) => [e.name, e.desc !== undefined ? `desc="${e.desc}"` : undefined, e.ms !== undefined ? `dur=${e.ms.toFixed(1)}` : undefined].filter(Boolean).join(';'));
    parts.push(`total;dur=${(performance.now() - this.start).toFixed(1)}`);
    return parts.join(', ');
  }
}
