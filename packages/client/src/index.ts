// The public face of @vdxp/client: a typed client of the vdxp native API for Node and browsers. File
// helpers that need node:fs are in '@vdxp/client/node'.

export { VdxpClient, RETRY_DEFAULT, backoffMs, type AckOutcome, type AckRequest, type AckResult, type CallOptions, type ClientOptions, type Delivery, type DocumentView, type InboxItem, type InboxPage, type InboxQuery, type PacketDownload, type RetryPolicy, type SubmitResult } from './client.ts';
export { CLIENT_ERRORS, VdxpClientError, isAbort, type ClientErrorCode } from './errors.ts';
export { receive, type ReceiveEvent, type ReceiveOptions, type ReceiveSummary, type ReceivedPacket } from './receive.ts';
export { businessModel, statusModel, type BusinessChange, type StatusDraft } from './packets.ts';
export { modelSource, type PacketSource, type Progress, type ProgressListener, type ReopenableSource } from './sources.ts';
export type { Operation, Schemas } from './api-types.ts';
export { PUSH_SIGNATURE_HEADER, PUSH_TIMESTAMP_HEADER, PUSH_TOLERANCE_SECONDS_DEFAULT, verifyPushNotice, type PushCheck, type PushNotice } from './push.ts';
