// The public face of @vdxp/hub.

export { openHub, type Hub, type HubOptions } from './hub.ts';
export { buildServer, type ServerOptions, type TlsOptions } from './http/server.ts';
export { HUB_ERRORS, HubError, describeError, errorStatus, type HubErrorCode } from './errors.ts';
export { DEFAULT_HUB_LIMITS, changedLimits, hubLimits, limitsFromConfig, operatorLimits, type HubLimits, type HubLimitsOverrides } from './limits.ts';
export { checkPrivateDir, ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, touchPrivateFile, writePrivateFile } from './data-folder.ts';
export { ManualClock, systemClock, systemRandom, vnDay, type Clock, type Random } from './clock.ts';
export {
  addAgency, addSystem, authenticateToken, dissolveAgency, importAgencies, mergeAgency, renameAgency, resolveRecipient, rotateSystemCredentials, setSystemPushUrl, setSystemVdxpStrict, systemSecret,
  type AgencyDraft, type Credentials,
} from './registry.ts';
export { submitPacket, type SubmitOptions, type SubmitResult } from './intake.ts';
export { ackDelivery, fetchPacket, inbox, sweep } from './delivery.ts';
export { documentView } from './documents.ts';
export { verifyAudit, type AuditReport } from './audit.ts';
export {
  ARCHIVE_DIR_NAME, ARCHIVE_INTERVAL_MS, ArchiveError, archive, describeProblems, startArchiveSchedule, verifyArchive,
  type ArchiveMade, type ArchiveReport, type ArchiveRun, type ArchiveSchedule,
} from './archive.ts';
export { DEMO_AGENCIES, DEMO_LABEL, DEMO_MERGERS, DEMO_PROVINCES, DEMO_SYSTEMS, DEMO_SYSTEM_PREFIX, DEMO_USERS, registryIsEmpty, seedDemo, seedDemoUsers, type DemoProvince, type DemoSeedResult } from './demo.ts';
export { addUser, disableUser, login, resetPassword, userView, type UserView } from './users.ts';
export { stats } from './stats.ts';
export { copyStore, type CopyProgress, type CopyResult } from './store/copy.ts';
export { changeCalendar, lunarToSolar, statutoryHolidays, WorkCalendar } from './calendar.ts';
export { PUSH_SIGNATURE_HEADER, PUSH_TIMESTAMP_HEADER, PushNotifier, signPushBody, type PushNotice, type PushOptions } from './push.ts';
export type { HubContext } from './context.ts';
export { USER_ROLES, type Agency, type DeliveryRow, type DocumentRow, type Store, type SystemRecord, type UserRole } from './store/store.ts';
export { HistoryBatch, batchBody, type BatchAccepted, type BatchBody } from './history-batch.ts';
