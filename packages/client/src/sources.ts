// Packet sources the client sends, and the counting streams behind upload and download progress. A source
// is re-openable (bytes, a Blob, a factory of streams), so a retry sends the very same bytes again: the hub
// keys a packet by its sha256, and a resend answers with the original ids instead of a second document.

import { buildPacket, type PacketModel } from '@vdxp/edxml';
import { VdxpClientError } from './errors.ts';

/** Something that can give the packet's bytes, again for each attempt; a Blob (or File) is one. */
export interface ReopenableSource {
  stream(): ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Total bytes when known: progress reports it. */
  size?: number;
}

export type PacketSource = Uint8Array | ReopenableSource;

export interface Progress {
  phase: 'upload' | 'download';
  bytes: number;
  /** Total bytes when known. */
  total: number | undefined;
}
export type ProgressListener = (p: Progress) => void;

/**
 * A packet built from a model with `@vdxp/edxml`, streamed as it is built. Built again for a retry: the same
 * model gives the same bytes when every attachment's content is bytes; a model with a streamed attachment
 * can be sent once only (a second build would find its stream consumed), and says so instead of resending.
 */
export function modelSource(model: PacketModel): ReopenableSource {
  const reusable = (model.attachments ?? []).every((a) => a.content instanceof Uint8Array);
  let opened = false;
  return {
    stream() {
      if (opened && !reusable) {
        throw new VdxpClientError('VDXP_CLIENT_E_SOURCE', 'A model whose attachments are streams can be sent once; give the attachments as bytes to allow retries');
      }
      opened = true;
      return buildPacket(model);
    },
  };
}

/** The source's bytes as a web stream that reports progress as the transport pulls them. */
export function countedStream(source: PacketSource, onProgress: ProgressListener | undefined): ReadableStream<Uint8Array> {
  const total = source instanceof Uint8Array ? source.byteLength : source.size;
  const inner = source instanceof Uint8Array ? ReadableStream.from([source]) : toWebStream(source.stream());
  return counting(inner, 'upload', total, onProgress);
}

export function toWebStream(s: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  return s instanceof ReadableStream ? s : ReadableStream.from(s);
}

/** Bytes reported at least this far apart (and once at the end): a listener is not called per 16 KiB slice. */
const PROGRESS_STEP_BYTES = 256 * 1024;

/** Passes the stream through, pull by pull (so backpressure holds), counting the bytes. */
export function counting(inner: ReadableStream<Uint8Array>, phase: Progress['phase'], total: number | undefined, onProgress: ProgressListener | undefined): ReadableStream<Uint8Array> {
  const reader = inner.getReader();
  let bytes = 0;
  let reported = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        if (onProgress && reported !== bytes) onProgress({ phase, bytes, total });
        controller.close();
        return;
      }
      bytes += value.byteLength;
      if (onProgress && bytes - reported >= PROGRESS_STEP_BYTES) {
        reported = bytes;
        onProgress({ phase, bytes, total });
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
