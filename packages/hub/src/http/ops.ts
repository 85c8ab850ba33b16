// Operations endpoints: liveness, readiness (the store answers), Prometheus metrics.

import type { FastifyInstance } from 'fastify';
import type { Hub } from '../hub.ts';
import type { Metrics } from './metrics.ts';

export function registerOps(app: FastifyInstance, hub: Hub, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await hub.ctx.store.registryVersion();
      return { status: 'ready', engine: hub.ctx.store.engine };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(metrics.render()));
}
