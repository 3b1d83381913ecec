create table api_keys (
  id text not null,
  name text not null,
  key_hash text not null,
  prefix text not null,
  role text not null,
  client text,
  created_at text not null,
  created_by text,
  revoked_at text,
  last_used_at text,
);
create table audit_log (
  id bigint not null default nextval('audit_log_id_seq'::regclass),
  at text not null,
  actor text not null,
  action text not null,
  target text,
  detail text,
  ip text,
);
create table batch_job_state (
  job text not null,
  paused integer not null default 0,
  paused_reason text,
  paused_at text,
  next_due_at text,
  last_scheduled_for text,
);
create table batch_run_logs (
  run_id text not null,
  seq integer not null,
  at text not null,
  stream text not null,
  text text not null,
);
create table batch_runs (
  id text not null,
  job text not null,
  date text not null,
  trigger text not null,
  scheduled_for text,
  status text not null,
  attempt integer not null default 0,
  max_attempts integer not null,
  exit_code integer,
  error text,
  created_at text not null,
  started_at text,
  finished_at text,
  next_attempt_at text,
  heartbeat_at text,
);
create table distribution_events (
  id bigint not null default nextval('distribution_events_id_seq'::regclass),
  invitation_id bigint not null,
  type text not null,
  channel text,
  at text not null,
  detail text,
);
create table distribution_outbox (
  id bigint not null default nextval('distribution_outbox_id_seq'::regclass),
  invitation_id bigint not null,
  wave_id text not null,
  kind text not null,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  headers text not null,
  status text not null,
  attempts integer not null default 0,
  next_attempt_at text not null,
  last_error text,
  message_id text,
  created_at text not null,
  sent_at text,
);
create table invitations (
  id bigint not null default nextval('invitations_id_seq'::regclass),
  wave_id text not null,
  survey_id text not null,
  member_id text not null,
  token text not null,
  channel text not null,
  status text not null,
  invited_at text not null,
  sent_at text,
  opened_at text,
  opened_channel text,
  started_at text,
  finished_at text,
  reminders_sent integer not null default 0,
  last_reminded_at text,
);
create table member_attribute_types (
  key text not null,
  type text not null,
  created_at text not null,
  updated_at text not null,
);
create table member_attributes (
  member_id text not null,
  key text not null,
  text_value text not null,
  num_value double precision,
);
create table members (
  id text not null,
  external_id text not null,
  email text,
  name text,
  attributes text not null,
  opted_out_at text,
  created_at text not null,
  updated_at text not null,
);
create table open_link_keys (
  survey_id text not null,
  secret text not null,
  created_at text not null,
);
create table portal_changes (
  seq bigint not null default nextval('portal_changes_seq_seq'::regclass),
  member text,
  xid xid8 not null default pg_current_xact_id(),
);
create table quota_cells (
  id text not null,
  quota_id text not null,
  position integer not null,
  label text not null,
  member_condition text,
  answer_condition text,
  max_completes integer not null,
  completes integer not null default 0,
);
create table quotas (
  id text not null,
  survey_id text not null,
  name text not null,
  created_at text not null,
  created_by text,
);
create table responses (
  id text not null,
  survey_id text not null,
  version integer not null,
  token text not null,
  status text not null,
  data text not null,
  page integer not null default 0,
  channel text,
  started_at text not null,
  updated_at text not null,
  completed_at text,
  external_ref text,
);
create table sessions (
  id text not null,
  user_id text not null,
  created_at text not null,
  expires_at text not null,
  ip text,
);
create table survey_versions (
  survey_id text not null,
  version integer not null,
  definition text not null,
  codebook text not null,
  published_at text not null,
  published_by text,
);
create table surveys (
  id text not null,
  title text not null,
  client text,
  timezone text not null,
  draft text not null,
  draft_updated_at text not null,
  current_version integer,
  open_link integer not null default 0,
  closed integer not null default 0,
  created_at text not null,
  created_by text,
);
create table users (
  id text not null,
  email text not null,
  name text,
  password_hash text not null,
  role text not null,
  client text,
  created_at text not null,
  disabled_at text,
);
create table waves (
  id text not null,
  survey_id text not null,
  name text,
  segment text not null,
  channel text not null,
  start_at text not null,
  deadline text,
  reminders text not null,
  subject text not null,
  body text not null,
  body_format text not null,
  estimated_minutes integer,
  status text not null,
  invited integer not null default 0,
  dispatch_cursor bigint not null default 0,
  dispatched_at text,
  reminders_done integer not null default 0,
  reminder_cursor bigint not null default 0,
  error text,
  created_at text not null,
  created_by text,
  external_url text,
  return_secret text,
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys USING btree (key_hash);
CREATE UNIQUE INDEX api_keys_pkey ON api_keys USING btree (id);
CREATE INDEX audit_log_at ON audit_log USING btree (at);
CREATE UNIQUE INDEX audit_log_pkey ON audit_log USING btree (id);
CREATE UNIQUE INDEX batch_job_state_pkey ON batch_job_state USING btree (job);
CREATE UNIQUE INDEX batch_run_logs_pk ON batch_run_logs USING btree (run_id, seq);
CREATE INDEX batch_runs_heartbeat ON batch_runs USING btree (status, heartbeat_at);
CREATE INDEX batch_runs_job_created ON batch_runs USING btree (job, created_at);
CREATE UNIQUE INDEX batch_runs_job_scheduled ON batch_runs USING btree (job, scheduled_for);
CREATE INDEX batch_runs_job_status ON batch_runs USING btree (job, status);
CREATE UNIQUE INDEX batch_runs_pkey ON batch_runs USING btree (id);
CREATE INDEX batch_runs_status_next ON batch_runs USING btree (status, next_attempt_at);
CREATE INDEX distribution_events_invitation ON distribution_events USING btree (invitation_id);
CREATE UNIQUE INDEX distribution_events_pkey ON distribution_events USING btree (id);
CREATE INDEX distribution_outbox_due ON distribution_outbox USING btree (status, next_attempt_at);
CREATE INDEX distribution_outbox_held ON distribution_outbox USING btree (wave_id) WHERE (status = 'held'::text);
CREATE INDEX distribution_outbox_invitation ON distribution_outbox USING btree (invitation_id);
CREATE UNIQUE INDEX distribution_outbox_pkey ON distribution_outbox USING btree (id);
CREATE INDEX distribution_outbox_wave ON distribution_outbox USING btree (wave_id, id);
CREATE UNIQUE INDEX invitations_member_survey ON invitations USING btree (member_id, survey_id);
CREATE UNIQUE INDEX invitations_pkey ON invitations USING btree (id);
CREATE INDEX invitations_portal ON invitations USING btree (member_id, status) INCLUDE (survey_id, wave_id, invited_at, token, id);
CREATE UNIQUE INDEX invitations_token_key ON invitations USING btree (token);
CREATE INDEX invitations_wave_order ON invitations USING btree (wave_id, id);
CREATE INDEX invitations_wave_status ON invitations USING btree (wave_id, status);
CREATE UNIQUE INDEX member_attribute_types_pkey ON member_attribute_types USING btree (key);
CREATE INDEX member_attributes_key_num ON member_attributes USING btree (key, num_value) WHERE (num_value IS NOT NULL);
CREATE INDEX member_attributes_key_text ON member_attributes USING btree (key, text_value);
CREATE UNIQUE INDEX member_attributes_pk ON member_attributes USING btree (member_id, key, text_value);
CREATE UNIQUE INDEX members_external_id_key ON members USING btree (external_id);
CREATE UNIQUE INDEX members_pkey ON members USING btree (id);
CREATE UNIQUE INDEX open_link_keys_pkey ON open_link_keys USING btree (survey_id);
CREATE UNIQUE INDEX portal_changes_pkey ON portal_changes USING btree (seq);
CREATE INDEX portal_changes_xid ON portal_changes USING btree (xid);
CREATE UNIQUE INDEX quota_cells_pkey ON quota_cells USING btree (id);
CREATE INDEX quota_cells_quota ON quota_cells USING btree (quota_id, "position");
CREATE UNIQUE INDEX quotas_pkey ON quotas USING btree (id);
CREATE INDEX quotas_survey ON quotas USING btree (survey_id);
CREATE UNIQUE INDEX responses_pkey ON responses USING btree (id);
CREATE UNIQUE INDEX responses_survey_ref ON responses USING btree (survey_id, external_ref);
CREATE INDEX responses_survey_started ON responses USING btree (survey_id, started_at, id);
CREATE INDEX responses_survey_status ON responses USING btree (survey_id, status);
CREATE UNIQUE INDEX responses_token_key ON responses USING btree (token);
CREATE UNIQUE INDEX sessions_pkey ON sessions USING btree (id);
CREATE INDEX sessions_user ON sessions USING btree (user_id);
CREATE UNIQUE INDEX survey_versions_pk ON survey_versions USING btree (survey_id, version);
CREATE INDEX surveys_client ON surveys USING btree (client);
CREATE UNIQUE INDEX surveys_pkey ON surveys USING btree (id);
CREATE UNIQUE INDEX users_email_key ON users USING btree (email);
CREATE UNIQUE INDEX users_pkey ON users USING btree (id);
CREATE UNIQUE INDEX waves_pkey ON waves USING btree (id);
CREATE INDEX waves_survey ON waves USING btree (survey_id);
CREATE OR REPLACE FUNCTION portal_all_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      insert into portal_changes (member) values (null);
      return null;
    end $function$;
CREATE OR REPLACE FUNCTION portal_invitation_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      insert into portal_changes (member)
        select external_id from members
        where id = (case when tg_op = 'DELETE' then old.member_id else new.member_id end);
      return null;
    end $function$;
CREATE OR REPLACE FUNCTION portal_invitations_added()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      insert into portal_changes (member)
        select distinct m.external_id from added a
        join waves w on w.id = a.wave_id and w.status = 'ready'
        join members m on m.id = a.member_id;
      return null;
    end $function$;
CREATE OR REPLACE FUNCTION portal_member_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      insert into portal_changes (member) values (old.external_id);
      if tg_op = 'UPDATE' and new.external_id is distinct from old.external_id then
        insert into portal_changes (member) values (new.external_id);
      end if;
      return null;
    end $function$;
CREATE TRIGGER invitations_portal_added AFTER INSERT ON invitations REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION portal_invitations_added();
CREATE TRIGGER invitations_portal_deleted AFTER DELETE ON invitations FOR EACH ROW EXECUTE FUNCTION portal_invitation_changed();
CREATE TRIGGER invitations_portal_status AFTER UPDATE OF status ON invitations FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION portal_invitation_changed();
CREATE TRIGGER members_portal AFTER UPDATE OF opted_out_at, external_id ON members FOR EACH ROW WHEN (((old.opted_out_at IS DISTINCT FROM new.opted_out_at) OR (old.external_id IS DISTINCT FROM new.external_id))) EXECUTE FUNCTION portal_member_changed();
CREATE TRIGGER members_portal_deleted AFTER DELETE ON members FOR EACH ROW EXECUTE FUNCTION portal_member_changed();
CREATE TRIGGER surveys_portal AFTER UPDATE OF title, closed, current_version ON surveys FOR EACH ROW WHEN ((((old.title IS DISTINCT FROM new.title) OR (old.closed IS DISTINCT FROM new.closed)) OR (old.current_version IS DISTINCT FROM new.current_version))) EXECUTE FUNCTION portal_all_changed();
CREATE TRIGGER surveys_portal_deleted AFTER DELETE ON surveys FOR EACH STATEMENT EXECUTE FUNCTION portal_all_changed();
CREATE TRIGGER waves_portal AFTER UPDATE OF status, start_at, deadline, estimated_minutes, survey_id ON waves FOR EACH ROW WHEN ((((((old.status IS DISTINCT FROM new.status) OR (old.start_at IS DISTINCT FROM new.start_at)) OR (old.deadline IS DISTINCT FROM new.deadline)) OR (old.estimated_minutes IS DISTINCT FROM new.estimated_minutes)) OR (old.survey_id IS DISTINCT FROM new.survey_id))) EXECUTE FUNCTION portal_all_changed();
CREATE TRIGGER waves_portal_deleted AFTER DELETE ON waves FOR EACH STATEMENT EXECUTE FUNCTION portal_all_changed();
