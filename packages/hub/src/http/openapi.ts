// The native API's OpenAPI 3.1 description, served at /openapi.json, and a small docs page at /docs.

import { DELIVERY_STATES, PENDING_STATES } from '../store/store.ts';

const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'vdxp native API',
    version: '1.0.0',
    description: 'Trục liên thông văn bản mở — API gốc. Open document-exchange hub: send edXML packets, receive deliveries, acknowledge, follow statuses. Every error has a stable code listed in docs/errors.md.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token printed by `vdxp system add`' } },
    schemas: {
      Error: {
        type: 'object', required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'VDXP_E_RECIPIENT_UNKNOWN' }, message: { type: 'string' }, details: { type: 'object' } } } },
      },
      SubmitResult: {
        type: 'object', required: ['id', 'kind', 'digest', 'bytes', 'deliveries', 'warnings'],
        properties: {
          id: { type: 'string' }, kind: { enum: ['edoc', 'status'] }, digest: { type: 'string', description: 'sha256 of the packet bytes' }, bytes: { type: 'integer' },
          deliveries: { type: 'array', items: { type: 'object', required: ['id', 'recipient', 'addressedTo'], properties: { id: { type: 'string' }, recipient: { type: 'string' }, addressedTo: { type: 'string' } } } },
          warnings: { type: 'array', items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } } },
          recall: { enum: ['withdrawn', 'requested'], description: 'status 13 only' },
        },
      },
      InboxItem: {
        type: 'object',
        properties: {
          deliveryId: { type: 'string' }, documentId: { type: 'string' }, kind: { enum: ['edoc', 'status'] }, from: { type: 'string' }, to: { type: 'string' },
          addressedTo: { type: 'string' }, edxmlDocumentId: { type: ['string', 'null'] }, subject: { type: ['string', 'null'] }, statusCode: { type: ['string', 'null'] },
          answers: { type: ['string', 'null'] }, businessType: { type: 'integer' }, bytes: { type: 'integer' }, digest: { type: 'string' },
          state: { enum: [...PENDING_STATES] }, attempts: { type: 'integer' }, receivedAt: { type: 'string', format: 'date-time' },
          packet: {
            type: 'string', contentEncoding: 'base64',
            description: 'batch fetch (inline=N): the packet bytes, handed out with this answer (state fetched); absent: fetch it alone',
          },
        },
        required: ['deliveryId', 'documentId', 'kind', 'from', 'to', 'addressedTo', 'edxmlDocumentId', 'subject', 'statusCode', 'answers', 'businessType', 'bytes', 'digest', 'state', 'attempts', 'receivedAt'],
      },
      Delivery: {
        type: 'object', description: 'An inbox item in any state',
        properties: {
          deliveryId: { type: 'string' }, documentId: { type: 'string' }, kind: { enum: ['edoc', 'status'] }, from: { type: 'string' }, to: { type: 'string' },
          addressedTo: { type: 'string' }, edxmlDocumentId: { type: ['string', 'null'] }, subject: { type: ['string', 'null'] }, statusCode: { type: ['string', 'null'] },
          answers: { type: ['string', 'null'] }, businessType: { type: 'integer' }, bytes: { type: 'integer' }, digest: { type: 'string' },
          state: { enum: [...DELIVERY_STATES] }, attempts: { type: 'integer' }, receivedAt: { type: 'string', format: 'date-time' },
        },
        required: ['deliveryId', 'documentId', 'kind', 'from', 'to', 'addressedTo', 'edxmlDocumentId', 'subject', 'statusCode', 'answers', 'businessType', 'bytes', 'digest', 'state', 'attempts', 'receivedAt'],
      },
      InboxPage: {
        type: 'object', required: ['items', 'next'],
        properties: {
          items: { type: 'array', items: { $ref: '#/components/schemas/InboxItem' } }, next: { type: ['string', 'null'], description: 'cursor for `after`' },
          inlinePacketBytesMax: { type: 'integer', description: 'answered when inline was asked: the largest packet carried inline; the hub also takes batch acks' },
        },
      },
      InboxStreamLine: {
        type: 'object', required: ['type'],
        description: 'One line of an inbox stream (NDJSON): open first, then item and heartbeat lines, end last (absent when the connection broke: reconnect)',
        properties: {
          type: { enum: ['open', 'item', 'heartbeat', 'end'] },
          item: { $ref: '#/components/schemas/InboxItem' },
          prefetch: { type: 'integer', description: 'open: the credit, deliveries handed out on this stream and not yet acked at most' },
          inlinePacketBytesMax: { type: 'integer', description: 'open: the largest packet carried in an item line' },
          heartbeatSeconds: { type: 'integer', description: 'open: a heartbeat line comes after this long without a line' },
          seconds: { type: 'integer', description: 'open: the stream ends (end line) after this long; reconnect then' },
          outstanding: { type: 'integer', description: 'heartbeat: deliveries of this stream not yet acked' },
          reason: { enum: ['time', 'shutdown', 'error'], description: 'end: why the stream ended' },
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'VDXP_E_DATABASE_UNAVAILABLE' }, message: { type: 'string' } } },
        },
      },
      AckResult: {
        type: 'object', required: ['deliveryId', 'state', 'attempts', 'changed'],
        properties: {
          deliveryId: { type: 'string' }, state: { enum: [...DELIVERY_STATES] }, attempts: { type: 'integer' },
          changed: { type: 'boolean', description: 'false when this ack changed nothing (a replay)' },
        },
      },
      AckRequest: {
        type: 'object', required: ['deliveryId', 'result'],
        properties: { deliveryId: { type: 'string' }, result: { enum: ['done', 'fail'] }, reason: { type: 'string' } },
      },
      AckOutcome: {
        type: 'object', required: ['deliveryId'], description: 'state, attempts and changed when recorded (as a single ack answers); error when refused',
        properties: {
          deliveryId: { type: 'string' }, state: { enum: [...DELIVERY_STATES] }, attempts: { type: 'integer' }, changed: { type: 'boolean' },
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'VDXP_E_DELIVERY_GONE' }, message: { type: 'string' }, details: { type: 'object' } } },
        },
      },
      AckBatchResult: {
        type: 'object', required: ['results'],
        properties: { results: { type: 'array', items: { $ref: '#/components/schemas/AckOutcome' }, description: 'one per ack, in the order sent' } },
      },
      DocumentView: {
        type: 'object',
        required: ['id', 'kind', 'businessType', 'from', 'documentId', 'subject', 'statusCode', 'answers', 'digest', 'bytes', 'receivedAt', 'signature', 'archivedIn', 'deliveries', 'links'],
        properties: {
          id: { type: 'string' }, kind: { enum: ['edoc', 'status'] }, businessType: { type: 'integer', description: '0 new, 1 revoke, 2 update, 3 replace' },
          from: { type: 'string' }, documentId: { type: ['string', 'null'], description: 'the edXML DocumentId' }, subject: { type: ['string', 'null'] },
          statusCode: { type: ['string', 'null'] }, answers: { type: ['string', 'null'] }, digest: { type: 'string' }, bytes: { type: 'integer' },
          receivedAt: { type: 'string', format: 'date-time' }, signature: { description: 'the XML signature verdict recorded at intake' },
          archivedIn: { type: ['string', 'null'] },
          deliveries: { type: 'array', items: { $ref: '#/components/schemas/DeliveryView' } },
          links: {
            type: 'array',
            items: { type: 'object', required: ['documentId', 'relatedId', 'relation'], properties: { documentId: { type: 'string' }, relatedId: { type: 'string' }, relation: { type: 'string' } } },
          },
        },
      },
      DeliveryView: {
        type: 'object',
        required: ['id', 'recipient', 'addressedTo', 'state', 'attempts', 'businessStatus', 'overdue', 'fetchedAt', 'ackedAt', 'lastReason', 'statuses'],
        properties: {
          id: { type: 'string' }, recipient: { type: 'string' }, addressedTo: { type: 'string' }, state: { enum: [...DELIVERY_STATES] }, attempts: { type: 'integer' },
          businessStatus: { type: ['string', 'null'] }, overdue: { type: 'boolean' }, fetchedAt: { type: ['string', 'null'], format: 'date-time' },
          ackedAt: { type: ['string', 'null'], format: 'date-time' }, lastReason: { type: ['string', 'null'] },
          statuses: {
            type: 'array',
            items: {
              type: 'object', required: ['statusCode', 'description', 'at', 'statusDocument'],
              properties: { statusCode: { type: 'string' }, description: { type: ['string', 'null'] }, at: { type: 'string', format: 'date-time' }, statusDocument: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/documents': {
      post: {
        summary: 'Send a packet (edoc or status) — Gửi gói tin',
        description: 'Body: the raw edXML bytes, streamed. Answers once the packet, its deliveries and its blob are durable. A resend answers 200 with the original ids.',
        requestBody: { required: true, content: { 'application/xml': { schema: { type: 'string', format: 'binary' } }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          201: { description: 'Accepted', content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmitResult' } } } },
          200: { description: 'Resend of an accepted packet', content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmitResult' } } } },
          400: errorResponse('Malformed packet'), 401: errorResponse('No or bad token'), 403: errorResponse('From not allowed / not a party'),
          404: errorResponse('Status answers an unknown document'), 409: errorResponse('Illegal status transition'), 413: errorResponse('Too large'), 422: errorResponse('Refused'),
        },
      },
    },
    '/v1/inbox': {
      get: {
        summary: 'Pending deliveries, oldest first — Hộp thư đến',
        parameters: [
          { name: 'kind', in: 'query', schema: { enum: ['edoc', 'status'] } },
          { name: 'after', in: 'query', schema: { type: 'string' }, description: 'cursor: `next` of the previous page' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'wait', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 60 }, description: 'long-poll seconds' },
          {
            name: 'inline', in: 'query', schema: { type: 'integer', minimum: 0 },
            description: 'batch fetch: carry packets of up to this many bytes (capped by the hub) in the answer and hand them out with it, in one transaction; the page ends where the carried bytes reach the hub\'s cap per answer',
          },
        ],
        responses: { 200: { description: 'A page', content: { 'application/json': { schema: { $ref: '#/components/schemas/InboxPage' } } } } },
      },
    },
    '/v1/inbox/stream': {
      get: {
        summary: 'Deliveries as they are queued, with credit — Nhận liên tục',
        description: 'One long-lived answer of NDJSON lines (InboxStreamLine). At most `prefetch` deliveries handed out on the stream are not yet acked; '
          + 'an ack (single or batch, on any node) gives its credit back and more follow. Small packets come in their item line, handed out with it '
          + '(one transaction per hand-out, as inline=); larger ones are items to fetch by id. A delivery stays pending until acked done: after a '
          + 'dropped stream the next one hands the unacked out again. A 404 VDXP_E_NOT_FOUND means an older hub: long-poll /v1/inbox instead.',
        parameters: [
          { name: 'prefetch', in: 'query', required: true, schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'credit (limits.streamPrefetchMax caps it: VDXP_E_STREAM_PREFETCH beyond)' },
          { name: 'kind', in: 'query', schema: { enum: ['edoc', 'status'] } },
          { name: 'inline', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'carry packets of up to this many bytes (capped by the hub; default the hub\'s cap)' },
          { name: 'seconds', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'how long the stream lasts (capped by limits.streamSecondsMax; default that)' },
        ],
        responses: {
          200: { description: 'The stream', content: { 'application/x-ndjson': { schema: { $ref: '#/components/schemas/InboxStreamLine' } } } },
          400: errorResponse('A parameter out of range (VDXP_E_STREAM_PREFETCH, VDXP_E_BAD_REQUEST)'),
        },
      },
    },
    '/v1/deliveries/{id}/packet': {
      get: {
        summary: 'The packet bytes of a delivery — Tải gói tin',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The exact stored bytes; header x-vdxp-sha256 gives their digest', content: { 'application/xml': { schema: { type: 'string', format: 'binary' } } } }, 404: errorResponse('Unknown'), 410: errorResponse('Recalled, expired or dead; or the document was archived (VDXP_E_DOCUMENT_ARCHIVED)') },
      },
    },
    '/v1/deliveries/{id}': {
      get: {
        summary: 'One of this system\'s deliveries, in any state — Một lần chuyển',
        description: 'What a recipient needs to answer a document it received (its sender, its DocumentId), also after the ack.',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The delivery', content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivery' } } } }, 404: errorResponse('Unknown') },
      },
    },
    '/v1/deliveries/{id}/ack': {
      post: {
        summary: 'Acknowledge a delivery — Xác nhận đã nhận',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['result'], properties: { result: { enum: ['done', 'fail'] }, reason: { type: 'string' } } } } } },
        responses: { 200: { description: 'Recorded (idempotent)', content: { 'application/json': { schema: { $ref: '#/components/schemas/AckResult' } } } }, 404: errorResponse('Unknown'), 410: errorResponse('Gone') },
      },
    },
    '/v1/deliveries/ack': {
      post: {
        summary: 'Acknowledge several deliveries at once — Xác nhận nhiều lần chuyển',
        description: 'One transaction for all; each item as the single ack would answer it (idempotent), or with the code it would have been refused with (404, 410) while the others are recorded. A malformed body refuses the whole call.',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/AckRequest' } } } } },
        responses: {
          200: { description: 'One outcome per ack', content: { 'application/json': { schema: { $ref: '#/components/schemas/AckBatchResult' } } } },
          400: errorResponse('Malformed body'), 413: errorResponse('More acks than limits.ackBatchItemsMax'),
        },
      },
    },
    '/v1/documents/{id}': {
      get: {
        summary: 'A sent document: per-recipient state and status timeline — Theo dõi văn bản',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The document view', content: { 'application/json': { schema: { $ref: '#/components/schemas/DocumentView' } } } }, 404: errorResponse('Unknown') },
      },
    },
    '/v1/stats': {
      get: {
        summary: 'Counters per agency and day — Thống kê',
        parameters: ['from', 'to'].map((name) => ({ name, in: 'query', schema: { type: 'string', format: 'date' } }))
          .concat([{ name: 'agency', in: 'query', schema: { type: 'string', format: 'string' } }, { name: 'level', in: 'query', schema: { type: 'string', format: 'integer' } }]),
        responses: { 200: { description: 'Totals per agency and per day' } },
      },
    },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'up' } } } },
    '/readyz': { get: { summary: 'Readiness (store answers)', security: [], responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'text format' } } } },
  },
} as const;

export function docsPage(): string {
  const rows = Object.entries(OPENAPI.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td><td>${(op as { summary: string }).summary}</td></tr>`));
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>vdxp — API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.3rem .6rem;border-bottom:1px solid #ddd}</style></head>
<body><h1>vdxp — Tài liệu API / API documentation</h1><p>${OPENAPI.info.description}</p>
<p>Mô tả đầy đủ / full description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Xác thực / auth: <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<table>${rows.join('')}</table></body></html>`;
}
