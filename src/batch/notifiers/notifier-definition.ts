import { z } from 'zod';
import { parseDuration } from '../duration.ts';

/** At most `max` messages per `perMs`; the rest of a window goes out as one digest. */
export interface RateLimit {
  max: number;
  perMs: number;
}

/** Ten messages a minute per notifier, unless `rateLimit` says otherwise. */
export const defaultRateLimit: RateLimit = { max: 10, perMs: 60_000 };

/** A notifier as declared under `notifiers:` in jobs.yaml; strings may hold `${NAME}` references. */
export type NotifierDefinition =
  | { type: 'webhook'; url: string; headers: Record<string, string>; rateLimit?: RateLimit }
  | { type: 'slack'; url: string; rateLimit?: RateLimit }
  | {
      type: 'email';
      to: string[];
      from?: string;
      /** Overrides the server's SMTP_URL for this notifier. */
      smtpUrl?: string;
      rateLimit?: RateLimit;
    };

const text = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const rateLimitSchema = z.strictObject({
  max: z.number().int().min(1, 'expected 1 or more').max(10_000, 'expected at most 10000'),
  per: z
    .union([z.string(), z.number()])
    .refine((v) => (parseDuration(v) ?? 0) >= 1000, { message: 'expected a duration of 1s or more' }),
});

const url = z.string().min(1);

/** The zod schema of one entry of `notifiers:` (jobs.yaml). */
export const notifierSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('webhook'),
      url,
      headers: z.record(z.string(), text).optional(),
      rateLimit: rateLimitSchema.optional(),
    }),
    z.strictObject({ type: z.literal('slack'), url, rateLimit: rateLimitSchema.optional() }),
    z.strictObject({
      type: z.literal('email'),
      to: z.union([z.string().min(1), z.array(z.string().min(1)).min(1, 'expected at least one address')], {
        error: 'expected an address or a list of addresses',
      }),
      from: z.string().min(1).optional(),
      smtpUrl: z.string().min(1).optional(),
      rateLimit: rateLimitSchema.optional(),
    }),
  ],
  { error: 'expected type: webhook, slack or email' },
);

export type NotifierInput = z.infer<typeof notifierSchema>;

/**
 * The definition kept from a validated entry: lists normalised, durations in milliseconds.
 *
 * @example
 * toNotifierDefinition({ type: 'email', to: 'ops@example.org' }); // { type: 'email', to: ['ops@example.org'] }
 */
export function toNotifierDefinition(input: NotifierInput): NotifierDefinition {
  const rateLimit = input.rateLimit
    ? { max: input.rateLimit.max, perMs: parseDuration(input.rateLimit.per)! }
    : undefined;
  switch (input.type) {
    case 'webhook':
      return { type: 'webhook', url: input.url, headers: input.headers ?? {}, rateLimit };
    case 'slack':
      return { type: 'slack', url: input.url, rateLimit };
    case 'email':
      return {
        type: 'email',
        to: typeof input.to === 'string' ? [input.to] : input.to,
        from: input.from,
        smtpUrl: input.smtpUrl,
        rateLimit,
      };
  }
}

/**
 * Applies `resolve` (the `${NAME}` resolver of secrets.ts) to every text of a definition that may
 * carry a secret; `resolve` gets the key for its error messages (`url`, `headers.X`, `to[0]`…).
 */
export function resolveNotifier(
  definition: NotifierDefinition,
  resolve: (text: string, key: string) => string,
): NotifierDefinition {
  switch (definition.type) {
    case 'webhook':
      return {
        ...definition,
        url: resolve(definition.url, 'url'),
        headers: Object.fromEntries(
          Object.entries(definition.headers).map(([k, v]) => [k, resolve(v, `headers.${k}`)]),
        ),
      };
    case 'slack':
      return { ...definition, url: resolve(definition.url, 'url') };
    case 'email':
      return {
        ...definition,
        to: definition.to.map((a, i) => resolve(a, `to[${i}]`)),
        from: definition.from === undefined ? undefined : resolve(definition.from, 'from'),
        smtpUrl: definition.smtpUrl === undefined ? undefined : resolve(definition.smtpUrl, 'smtpUrl'),
      };
  }
}
