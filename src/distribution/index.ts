/** The distribution hub's door: waves, invitations, events, the outbox, reminders, quotas and the portal. */
export {
  createDistributionService,
  type DistributionDeps,
  type DistributionService,
  type TickReport,
} from './distribution-service.ts';
export { createMailer, type Mailer, maskSmtpUrl } from './email/index.ts';
export { distributionErrors } from './errors.ts';
export type * from './quota-types.ts';
export { chainCompletionHooks, type InvitationGate, type InvitationRef } from './respondent-gate.ts';
export { returnOutcomes, returnSignature } from './return-links.ts';
export { formatOffset, parseReminders } from './schedule.ts';
export type * from './types.ts';
export type { UnsubscribeInfo } from './unsubscribe.ts';
export type { WaveCreated } from './wave-create.ts';
