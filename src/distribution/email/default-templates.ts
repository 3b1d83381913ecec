import type { MessageTemplate } from './types.ts';

const english: MessageTemplate = {
  subject: 'Invitation: {{ survey.title }}',
  format: 'text',
  body: `Dear {{ member.name | default: "panel member" }},

You are invited to take part in the survey "{{ survey.title }}".
{%- if survey.minutes %} It takes about {{ survey.minutes }} minutes.{% endif %}

Start here: {{ link }}
{%- if deadline %}

Please answer by {{ deadline | date: "%B %-d, %Y %H:%M (%Z)" }}.
{%- endif %}

Thank you for your help.

--
You receive this message as a member of our research panel.
To stop receiving invitations: {{ unsubscribe_url }}
`,
};

const japanese: MessageTemplate = {
  subject: '【アンケートのお願い】{{ survey.title }}',
  format: 'text',
  body: `{{ member.name | default: "会員" }} 様

アンケート「{{ survey.title }}」へのご協力をお願いいたします。
{%- if survey.minutes %}所要時間は約{{ survey.minutes }}分です。{% endif %}

回答はこちらから: {{ link }}
{%- if deadline %}

回答期限: {{ deadline | date: "%Y年%-m月%-d日 %H:%M" }}
{%- endif %}

ご協力ありがとうございます。

--
今後の配信を停止する場合: {{ unsubscribe_url }}
`,
};

/**
 * Ready-made invitation templates: plain text with the survey title, the member's name, the
 * estimated minutes, the link, the deadline in the survey's time zone and the unsubscribe line.
 *
 * @example
 * renderMessage(defaultTemplates.ja, vars);
 */
export const defaultTemplates: { en: MessageTemplate; ja: MessageTemplate } = { en: english, ja: japanese };

/** The template a wave uses when it names none: {@link defaultTemplates}.en. */
export const defaultTemplate: MessageTemplate = english;
