// The public face of @vdxp/sim: the national registry, the traffic model, history into a store, live traffic against a hub.

export { AGENCY_ROLES, COMMUNES_PER_PROVINCE, COMMUNES_TOTAL, LEGACY_AGENCIES_DEFAULT, SIM_LABEL, SIM_SYSTEM_PREFIX, legacyDirectory, nationalRegistry,
  type AgencyRole, type LegacyDirectory, type NationalRegistry, type SimAgency, type SimSystem } from './registry.ts';
export { BEHAVIOURS, MONTHLY_DOCUMENTS_NATIONAL, TrafficModel, type Behaviour, type PlannedDocument, type TrafficOptions } from './traffic.ts';
export { PacketMaker } from './packets.ts';
export { SIM_ACTOR, seedNational, type SeedResult } from './seed.ts';
export { startOfVnDay, writeHistory, type HistoryOptions, type HistoryProgress, type HistoryReport } from './history.ts';
export { runLive, type LiveOptions, type LiveReport } from './live.ts';
export { ClientNativeTransport, HubRefusal, type InboxEntry, type NativeTransport, type SubmitAnswer } from './transport.ts';
export {
  ATTACHMENTS, ClientConformanceKit, COUNTERPART_AGENCY, SCENARIOS, VENDOR_AGENCY, VENDOR_SYSTEM,
  type ClientKitOptions, type ConformanceReport, type ScenarioId, type ScenarioResult,
} from './conformance/client-kit.ts';
export { NativeLink, ReferenceAgency, VdxpLink, type AgencyFaults, type AgencyLink, type LinkItem, type ReferenceAgencyOptions } from './conformance/reference-agency.ts';
export { minimalDocx, minimalPdf, writeZip, type ZipEntry } from './conformance/files.ts';
export { selfSignedSigner, signBytes, strictSignatureProblem } from './conformance/signing.ts';
export { sdkHashFile, vdxpTimestamp, VdxpRefusal, VdxpWireClient, type ReceivedItem } from './vdxp-wire.ts';
export { reportHtml } from './conformance/report.ts';
export { HubConformanceKit, type HubKitOptions } from './conformance/hub-kit.ts';
