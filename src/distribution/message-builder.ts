import { isEnqueteError } from '../kernel/index.ts';
import type { Member, PanelService } from '../panel/index.ts';
import type { SurveyService } from '../surveys/index.ts';
import { type MessageTemplate, renderMessage, unsubscribeHeaders } from './email/index.ts';
import type { WaveRow } from './wave-queries.ts';

/** What a message needs of one invitation. */
export interface MessageTarget {
  invitationId: number;
  memberId: string;
  token: string;
}

/** A rendered message ready for the outbox. */
export interface BuiltMessage {
  invitationId: number;
  memberId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface BuildResult {
  messages: BuiltMessage[];
  /** Invitations that cannot get a message: no e-mail address, or the template fails for this member. */
  failures: { invitationId: number; reason: string }[];
  /** Invitations of members who opted out: no message, nothing to record. */
  optedOut: number[];
}

/** The survey-wide part of a wave's messages, looked up once per run. */
export interface WaveMessageContext {
  wave: WaveRow;
  template: MessageTemplate;
  title: string;
  timeZone: string;
}

export async function waveMessageContext(surveys: SurveyService, wave: WaveRow): Promise<WaveMessageContext> {
  const survey = await surveys.get(wave.survey_id);
  return {
    wave,
    template: { subject: wave.subject, body: wave.body, format: wave.body_format },
    title: survey.title,
    timeZone: survey.timezone,
  };
}

/** A member's links: the survey through e-mail, and the unsubscribe page. */
export function linksOf(publicUrl: string, token: string): { link: string; unsubscribe: string } {
  const t = encodeURIComponent(token);
  return { link: `${publicUrl}/s/${t}?ch=email`, unsubscribe: `${publicUrl}/u/${t}` };
}

/**
 * Renders the messages of a batch of invitations: member fields and attributes, the personal
 * link, the deadline, the unsubscribe link, and the List-Unsubscribe headers (one-click, RFC 8058).
 */
export async function buildMessages(
  deps: { panel: PanelService; publicUrl: string },
  context: WaveMessageContext,
  targets: MessageTarget[],
): Promise<BuildResult> {
  const members = new Map<string, Member>();
  for (const m of await deps.panel.membersByIds([...new Set(targets.map((t) => t.memberId))])) {
    members.set(m.id, m);
  }
  const result: BuildResult = { messages: [], failures: [], optedOut: [] };
  for (const target of targets) {
    const member = members.get(target.memberId);
    if (!member || member.optedOutAt !== null) {
      result.optedOut.push(target.invitationId);
      continue;
    }
    if (!member.email) {
      result.failures.push({ invitationId: target.invitationId, reason: 'the member has no e-mail address' });
      continue;
    }
    const { link, unsubscribe } = linksOf(deps.publicUrl, target.token);
    try {
      const rendered = renderMessage(context.template, {
        member: {
          name: member.name,
          email: member.email,
          externalId: member.externalId,
          attributes: member.attributes,
        },
        survey: { title: context.title, minutes: context.wave.estimated_minutes, timeZone: context.timeZone },
        link,
        deadline: context.wave.deadline,
        unsubscribe_url: unsubscribe,
      });
      result.messages.push({
        invitationId: target.invitationId,
        memberId: member.id,
        to: member.email,
        ...rendered,
        headers: unsubscribeHeaders(unsubscribe),
      });
    } catch (error) {
      if (!isEnqueteError(error)) throw error;
      result.failures.push({ invitationId: target.invitationId, reason: error.message });
    }
  }
  return result;
}
