// The RabbitMQ peer's load: durable queue, persistent messages published with confirms (accepted means
// durable) by a few producers, consumed with manual acks (delivered until acked). Prints one JSON line.
// Usage: node client.ts <amqp-url> <body-bytes> <messages> [producers]; AMQPLIB_DIR names the folder whose
// node_modules holds amqplib (run.sh installs it there, outside the repository).

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of amqplib's promise API this client uses. */
interface Message { content: Buffer }
interface Channel {
  assertQueue(queue: string, options: { durable: boolean }): Promise<unknown>;
  purgeQueue(queue: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (m: Message | null) => void, options: { noAck: boolean }): Promise<unknown>;
  ack(m: Message): void;
  close(): Promise<void>;
}
interface ConfirmChannel extends Channel {
  sendToQueue(queue: string, body: Buffer, options: { persistent: boolean }, confirmed: (err: Error | null) => void): boolean;
}
interface Connection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  close(): Promise<void>;
}

/** Unconfirmed messages one producer keeps in flight: enough to fill the pipe, few enough to bound memory. */
const IN_FLIGHT_MAX = 64;
const PREFETCH_MESSAGES = 200;

const [url, sizeArg, countArg, producersArg] = process.argv.slice(2);
const size = Number(sizeArg);
const count = Number(countArg);
const producers = Number(producersArg ?? 4);
const amqplibDir = process.env['AMQPLIB_DIR'];
if (url === undefined || !(size > 0) || !(count > 0) || !(producers > 0) || amqplibDir === undefined) {
  console.error('usage: AMQPLIB_DIR=<dir> node client.ts <amqp-url> <body-bytes> <messages> [producers]');
  process.exit(2);
}

const amqp = await import(pathToFileURL(join(amqplibDir, 'node_modules', 'amqplib', 'channel_api.js')).href) as
  { connect(url: string): Promise<Connection> };
const conn = await amqp.connect(url);
const queue = `bench-${size}`;
const admin = await conn.createChannel();
await admin.assertQueue(queue, { durable: true });
await admin.purgeQueue(queue);
const body = Buffer.alloc(size, 0x61);

const started = process.hrtime.bigint();
const consumer = await conn.createChannel();
await consumer.prefetch(PREFETCH_MESSAGES);
const allReceived = new Promise<void>((resolve) => {
  let received = 0;
  void consumer.consume(queue, (m) => {
    if (m === null) return;
    consumer.ack(m);
    if (++received === count) resolve();
  }, { noAck: false });
});
const perProducer = Math.ceil(count / producers);
await Promise.all(Array.from({ length: producers }, async (_, p) => {
  const channel = await conn.createConfirmChannel();
  const n = Math.max(0, Math.min(perProducer, count - p * perProducer));
  let inFlight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    inFlight.push(new Promise<void>((resolve, reject) => {
      channel.sendToQueue(queue, body, { persistent: true }, (err) => (err ? reject(err) : resolve()));
    }));
    if (inFlight.length >= IN_FLIGHT_MAX) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
}));
await allReceived;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({
  peer: 'rabbitmq', size, count, seconds: Number(seconds.toFixed(3)), msgsPerSec: Math.round(count / seconds),
  MBps: Number(((count * size) / seconds / 1e6).toFixed(1)),
}));
await conn.close();
