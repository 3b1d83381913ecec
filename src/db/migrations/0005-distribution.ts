import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Distribution hub: waves, invitations, their events and the message outbox.
 *
 * Invitations and events have integer keys: a wave writes one invitation and one event per member
 * (a million rows is a normal wave), and integer keys keep those rows and their indexes small.
 * The unique key (member_id, survey_id) is what keeps a member from being invited twice to one
 * survey across waves; its leading member_id also serves the portal's per-member lookup.
 * Current status and milestone times live on the invitation beside the events, for fast reads.
 */
export function up0005(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const serialKey = dialect === 'postgres' ? 'bigserial' : 'integer';
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

    await db.schema
      .createTable('waves')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('survey_id', 'text', (c) => c.notNull().references('surveys.id'))
      .addColumn('name', 'text')
      .addColumn('segment', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('start_at', 'text', (c) => c.notNull())
      .addColumn('deadline', 'text')
      .addColumn('reminders', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('body_format', 'text', (c) => c.notNull())
      .addColumn('estimated_minutes', 'integer')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('invited', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dispatch_cursor', bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('dispatched_at', 'text')
      .addColumn('reminders_done', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reminder_cursor', bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema.createIndex('waves_survey').on('waves').column('survey_id').execute();

    await db.schema
      .createTable('invitations')
      .addColumn('id', serialKey, (c) => c.primaryKey())
      .addColumn('wave_id', 'text', (c) => c.notNull().references('waves.id'))
      .addColumn('survey_id', 'text', (c) => c.notNull())
      .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
      .addColumn('token', 'text', (c) => c.notNull().unique())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('invited_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addColumn('opened_at', 'text')
      .addColumn('opened_channel', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_reminded_at', 'text')
      .execute();
    await db.schema
      .createIndex('invitations_member_survey')
      .on('invitations')
      .columns(['member_id', 'survey_id'])
      .unique()
      .execute();
    await db.schema
      .createIndex('invitations_wave_status')
      .on('invitations')
      .columns(['wave_id', 'status'])
      .execute();

    await db.schema
      .createTable('distribution_events')
      .addColumn('id', serialKey, (c) => c.primaryKey())
      .addColumn('invitation_id', bigint, (c) => c.notNull().references('invitations.id'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('channel', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .execute();
    await db.schema
      .createIndex('distribution_events_invitation')
      .on('distribution_events')
      .column('invitation_id')
      .execute();

    await db.schema
      .createTable('distribution_outbox')
      .addColumn('id', serialKey, (c) => c.primaryKey())
      .addColumn('invitation_id', bigint, (c) => c.notNull().references('invitations.id'))
      .addColumn('wave_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('to_address', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('text_body', 'text', (c) => c.notNull())
      .addColumn('html_body', 'text', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('message_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .execute();
    await db.schema
      .createIndex('distribution_outbox_due')
      .on('distribution_outbox')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('distribution_outbox_wave')
      .on('distribution_outbox')
      .columns(['wave_id', 'id'])
      .execute();
    await db.schema
      .createIndex('distribution_outbox_invitation')
      .on('distribution_outbox')
      .column('invitation_id')
      .execute();
  };
}
