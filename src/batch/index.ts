export { backoffMs } from './backoff.ts';
export { dateInZone, parseRunDate } from './dates.ts';
export { type BatchErrorCode, batchError, batchErrors } from './errors.ts';
export type { BatchLog } from './executor.ts';
export {
  type CatchupPolicy,
  defaultRetry,
  type JobDefinition,
  type JobsFile,
  type NotifierDefinition,
  nameFromEndpoint,
  type OverlapPolicy,
  parseJobsFile,
  type RetryPolicy,
  type RunnerKind,
  readJobsFile,
} from './jobs-file.ts';
export { logPageLines, logPages } from './log-pages.ts';
export { Masker } from './masker.ts';
export { createNotifiers, type NotifierContext } from './notifiers/create-notifiers.ts';
export { EmailChannel, type EmailChannelProps, type MailTransport } from './notifiers/email-channel.ts';
export type { BatchEvent, Channel, Notice, Notifier } from './notifiers/notifier.ts';
export { defaultRateLimit, type RateLimit } from './notifiers/notifier-definition.ts';
export { NotifierQueue, type NotifierQueueProps, type QueueTimers } from './notifiers/notifier-queue.ts';
export { SlackChannel, type SlackChannelProps } from './notifiers/slack-channel.ts';
export { slackPayload } from './notifiers/slack-payload.ts';
export { WebhookChannel, type WebhookChannelProps } from './notifiers/webhook-channel.ts';
export {
  type BuiltinJobSettings,
  builtinJobs,
  loadJobs,
  type OpenBatchProps,
  openBatchService,
  reloadJobsFile,
  withBuiltins,
} from './open.ts';
export { buildCommand } from './runners/command.ts';
export { ContainerRunner, type ContainerRunnerProps } from './runners/container/container-runner.ts';
export type { ContainerSettings } from './runners/container/container-settings.ts';
export { type CreateRunnersProps, createRunners } from './runners/create-runners.ts';
export { EcsRunner, type EcsRunnerProps } from './runners/ecs/ecs-runner.ts';
export type { EcsSettings } from './runners/ecs/ecs-settings.ts';
export { KubeApiError, KubeClient, type KubeClientProps } from './runners/kubernetes/kube-client.ts';
export { type KubeConnection, loadConnection } from './runners/kubernetes/kubeconfig.ts';
export { KubernetesRunner, type KubernetesRunnerProps } from './runners/kubernetes/kubernetes-runner.ts';
export type { KubernetesSettings } from './runners/kubernetes/kubernetes-settings.ts';
export { LocalRunner, type LocalRunnerProps, type Spawner } from './runners/local/local-runner.ts';
export type { LogStream, RunIo, Runner, RunOutcome, RunSpec } from './runners/runner.ts';
export { type RunnersSettings, resolveRunnerSettings } from './runners/runner-settings.ts';
export type { TickResult } from './scheduler.ts';
export { type ResolvedJobs, resolveJobs } from './secrets.ts';
export { createBatchService } from './service.ts';
export type {
  BatchService,
  BatchServiceDeps,
  BatchServiceOptions,
  BatchTick,
  LogTail,
  PauseTarget,
} from './service-types.ts';
export { type JobView, type LogLine, logLineText, type RunView } from './views.ts';
