import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

/**
 * Distribution hub: the change feed of the portal's in-process cache. Every write that can change
 * what the portal lists for a member appends a row — the member's external id, or null for "any
 * member" (a wave's or a survey's change) — in the writer's own transaction, by trigger, so that
 * every writer counts whatever its module or process. Each process reads the rows after the last
 * it saw (see src/distribution/portal-feed.ts) and prunes what is old.
 *
 * What fires: an invitation's status change, an invitation added to a ready wave (a wave's own
 * invitations are written while it is `creating`, which the portal does not list), a member's
 * opt-out or external id, a wave's status, start, deadline, estimate or survey, a survey's title,
 * closing or published version, and the deletion of any of these rows. A member import changes
 * only e-mail, name and attributes, which the portal does not show: it fires nothing.
 *
 * On PostgreSQL a row also keeps its transaction's id (`xid`), since sequence numbers are taken in
 * one order and committed in another: a reader also asks again for the rows of the transactions
 * that were still running when it last read. SQLite's writers take turns, so `seq` is enough.
 */
export function up0012(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    if (dialect === 'postgres') await postgres(db);
    else await sqlite(db);
  };
}

async function sqlite(db: Kysely<unknown>): Promise<void> {
  await sql`create table portal_changes (seq integer primary key autoincrement, member text)`.execute(db);
  const member = (ref: string) =>
    `insert into portal_changes (member) select external_id from members where id = ${ref}.member_id;`;
  const all = 'insert into portal_changes (member) values (null);';
  const triggers = [
    `create trigger invitations_portal_status after update of status on invitations
      when old.status is not new.status begin ${member('new')} end`,
    `create trigger invitations_portal_added after insert on invitations
      when (select status from waves where id = new.wave_id) = 'ready' begin ${member('new')} end`,
    `create trigger invitations_portal_deleted after delete on invitations begin ${member('old')} end`,
    `create trigger members_portal after update of opted_out_at, external_id on members
      when old.opted_out_at is not new.opted_out_at or old.external_id is not new.external_id
      begin
        insert into portal_changes (member) values (old.external_id);
        insert into portal_changes (member) select new.external_id where new.external_id is not old.external_id;
      end`,
    `create trigger members_portal_deleted after delete on members
      begin insert into portal_changes (member) values (old.external_id); end`,
    `create trigger waves_portal after update of status, start_at, deadline, estimated_minutes, survey_id on waves
      when old.status is not new.status or old.start_at is not new.start_at or old.deadline is not new.deadline
        or old.estimated_minutes is not new.estimated_minutes or old.survey_id is not new.survey_id
      begin ${all} end`,
    `create trigger waves_portal_deleted after delete on waves begin ${all} end`,
    `create trigger surveys_portal after update of title, closed, current_version on surveys
      when old.title is not new.title or old.closed is not new.closed or old.current_version is not new.current_version
      begin ${all} end`,
    `create trigger surveys_portal_deleted after delete on surveys begin ${all} end`,
  ];
  for (const text of triggers) await sql.raw(text).execute(db);
}

async function postgres(db: Kysely<unknown>): Promise<void> {
  await sql`create table portal_changes (
    seq bigserial primary key,
    member text,
    xid xid8 not null default pg_current_xact_id()
  )`.execute(db);
  await sql`create index portal_changes_xid on portal_changes (xid)`.execute(db);
  const fn = (name: string, body: string) =>
    `create function ${name}() returns trigger language plpgsql as $$
    begin
      ${body}
      return null;
    end $$`;
  const statements = [
    fn(
      'portal_invitation_changed',
      `insert into portal_changes (member)
        select external_id from members
        where id = (case when tg_op = 'DELETE' then old.member_id else new.member_id end);`,
    ),
    fn(
      'portal_invitations_added',
      `insert into portal_changes (member)
        select distinct m.external_id from added a
        join waves w on w.id = a.wave_id and w.status = 'ready'
        join members m on m.id = a.member_id;`,
    ),
    fn(
      'portal_member_changed',
      `insert into portal_changes (member) values (old.external_id);
      if tg_op = 'UPDATE' and new.external_id is distinct from old.external_id then
        insert into portal_changes (member) values (new.external_id);
      end if;`,
    ),
    fn('portal_all_changed', 'insert into portal_changes (member) values (null);'),
    `create trigger invitations_portal_status after update of status on invitations for each row
      when (old.status is distinct from new.status) execute function portal_invitation_changed()`,
    // One call per statement: a wave's batches of 10,000 invitations cost one join, not 10,000 calls.
    `create trigger invitations_portal_added after insert on invitations referencing new table as added
      for each statement execute function portal_invitations_added()`,
    `create trigger invitations_portal_deleted after delete on invitations for each row
      execute function portal_invitation_changed()`,
    `create trigger members_portal after update of opted_out_at, external_id on members for each row
      when (old.opted_out_at is distinct from new.opted_out_at or old.external_id is distinct from new.external_id)
      execute function portal_member_changed()`,
    `create trigger members_portal_deleted after delete on members for each row
      execute function portal_member_changed()`,
    `create trigger waves_portal after update of status, start_at, deadline, estimated_minutes, survey_id on waves
      for each row when ((old.status, old.start_at, old.deadline, old.estimated_minutes, old.survey_id)
        is distinct from (new.status, new.start_at, new.deadline, new.estimated_minutes, new.survey_id))
      execute function portal_all_changed()`,
    `create trigger waves_portal_deleted after delete on waves for each statement
      execute function portal_all_changed()`,
    `create trigger surveys_portal after update of title, closed, current_version on surveys for each row
      when ((old.title, old.closed, old.current_version) is distinct from (new.title, new.closed, new.current_version))
      execute function portal_all_changed()`,
    `create trigger surveys_portal_deleted after delete on surveys for each statement
      execute function portal_all_changed()`,
  ];
  for (const text of statements) await sql.raw(text).execute(db);
}
