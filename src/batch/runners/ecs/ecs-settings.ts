import { z } from 'zod';
import { durationSetting } from '../settings-fields.ts';

/**
 * Settings of the ECS runner, in `runners.ecs` of jobs.yaml and, per job, in `runnerOptions`
 * (a job usually names its own `taskDefinition`).
 */
export const ecsSettingsSchema = z.strictObject({
  /** Default: the SDK's (`AWS_REGION`, the profile). */
  region: z.string().min(1).optional(),
  /** Default `default`. */
  cluster: z.string().min(1).optional(),
  /** `family`, `family:revision` or an ARN. Required for every ECS job. */
  taskDefinition: z.string().min(1).optional(),
  /** The container to override; default the task definition's only essential container. */
  containerName: z.string().min(1).optional(),
  /** awsvpc subnets. Required for every ECS job. */
  subnets: z.array(z.string().min(1)).min(1).optional(),
  securityGroups: z.array(z.string().min(1)).optional(),
  /** Needed to pull from a public registry in a public subnet without a NAT. Default false. */
  assignPublicIp: z.boolean().optional(),
  /** Default FARGATE; FARGATE_SPOT runs through the capacity provider of that name. */
  capacity: z.enum(['FARGATE', 'FARGATE_SPOT']).optional(),
  platformVersion: z.string().min(1).optional(),
  /** CloudWatch Logs group and stream prefix; default the task definition's awslogs options. */
  logGroup: z.string().min(1).optional(),
  logStreamPrefix: z.string().min(1).optional(),
  /** First wait between DescribeTasks calls; it doubles up to 30 s. Default 2s. */
  pollInterval: durationSetting('2s').optional(),
});

export type EcsSettings = z.infer<typeof ecsSettingsSchema>;
