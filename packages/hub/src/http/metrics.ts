// Prometheus text-format metrics, fed by the hub's typed events. Hand-written: a handful of counters does
// not justify a client library.

import type { Hub } from '../hub.ts';

export class Metrics {
  readonly #counters = new Map<string, number>();
  readonly #hub: Hub;

  constructor(hub: Hub) {
    this.#hub = hub;
    const e = hub.ctx.emitter;
    e.on('document:accepted', (x) => { this.inc(`vdxp_documents_accepted_total{kind="${x.kind}"}`); this.inc('vdxp_documents_accepted_bytes_total', x.bytes); });
    e.on('delivery:fetched', () => this.inc('vdxp_deliveries_fetched_total'));
    e.on('delivery:acked', (x) => this.inc(`vdxp_deliveries_acked_total{result="${x.result}"}`));
    e.on('delivery:dead', () => this.inc('vdxp_deliveries_dead_total'));
    e.on('delivery:expired', () => this.inc('vdxp_deliveries_expired_total'));
    e.on('delivery:recalled', () => this.inc('vdxp_deliveries_recalled_total'));
    e.on('delivery:overdue', () => this.inc('vdxp_deliveries_overdue_total'));
    e.on('status:relayed', (x) => this.inc(`vdxp_statuses_relayed_total{code="${x.statusCode}"}`));
  }

  inc(key: string, by = 1): void {
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + by);
  }

  httpRequest(route: string, method: string, status: number): void {
    this.inc(`vdxp_http_requests_total{route="${route}",method="${method}",status="${status}"}`);
  }

  render(): string {
    const lines: string[] = [];
    const families = new Map<string, string[]>();
    for (const [key, value] of [...this.#counters].sort()) {
      const name = key.split('{')[0] as string;
      const list = families.get(name) ?? [];
      list.push(`${key} ${value}`);
      families.set(name, list);
    }
    for (const [name, samples] of families) lines.push(`# TYPE ${name} counter`, ...samples);
    const mem = process.memoryUsage();
    lines.push('# TYPE vdxp_longpoll_waiters gauge', `vdxp_longpoll_waiters ${this.#hub.ctx.notifier.waiting}`);
    lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    lines.push('# TYPE process_heap_used_bytes gauge', `process_heap_used_bytes ${mem.heapUsed}`);
    return lines.join('\n') + '\n';
  }
}
