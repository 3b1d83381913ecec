import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  defaultTemplate,
  defaultTemplates,
  type MessageVars,
  renderMessage,
} from '../../../src/distribution/email/index.ts';

const vars: MessageVars = {
  member: {
    name: 'Aoki Ken',
    email: 'ken@example.org',
    externalId: 'M-001',
    attributes: { specialty: 'cardiology', age: 52, regions: ['Kanto', 'Kansai'] },
  },
  survey: { title: 'Sleep & work', minutes: 12, timeZone: 'Asia/Tokyo' },
  link: 'https://enquete.example/s/tok123?ch=email',
  deadline: '2026-03-31T14:59:00.000Z',
  unsubscribe_url: 'https://enquete.example/u/tok123',
};

function caught(run: () => unknown): { code: string; message: string; details: unknown } {
  try {
    run();
  } catch (error) {
    const e = error as { code: string; message: string; details: unknown };
    return { code: e.code, message: e.message, details: e.details };
  }
  throw new Error('expected an error');
}

describe('renderMessage', () => {
  it('renders the English default with the deadline in the survey time zone', () => {
    const out = renderMessage(defaultTemplate, vars);
    expect(out.subject).toBe('Invitation: Sleep & work');
    // 14:59 UTC is 23:59 in Tokyo (UTC+9, no daylight saving).
    expect(out.text).toBe(
      [
        'Dear Aoki Ken,',
        '',
        'You are invited to take part in the survey "Sleep & work". It takes about 12 minutes.',
        '',
        'Start here: https://enquete.example/s/tok123?ch=email',
        '',
        'Please answer by March 31, 2026 23:59 (Asia/Tokyo).',
        '',
        'Thank you for your help.',
        '',
        '--',
        'You receive this message as a member of our research panel.',
        'To stop receiving invitations: https://enquete.example/u/tok123',
        '',
      ].join('\n'),
    );
    expect(out.html).toContain(
      '<p>Start here: <a href="https://enquete.example/s/tok123?ch=email">https://enquete.example/s/tok123?ch=email</a></p>',
    );
    expect(out.html).toContain('the survey &quot;Sleep &amp; work&quot;.');
  });

  it('leaves out minutes and deadline when the survey has none, and names an unnamed member', () => {
    const out = renderMessage(defaultTemplate, {
      ...vars,
      member: { ...vars.member, name: null },
      survey: { title: 'Sleep', minutes: null },
      deadline: null,
    });
    expect(out.text).toBe(
      [
        'Dear panel member,',
        '',
        'You are invited to take part in the survey "Sleep".',
        '',
        'Start here: https://enquete.example/s/tok123?ch=email',
        '',
        'Thank you for your help.',
        '',
        '--',
        'You receive this message as a member of our research panel.',
        'To stop receiving invitations: https://enquete.example/u/tok123',
        '',
      ].join('\n'),
    );
  });

  it('renders the Japanese default', () => {
    const out = renderMessage(defaultTemplates.ja, { ...vars, member: { ...vars.member, name: '青木 健' } });
    expect(out.subject).toBe('【アンケートのお願い】Sleep & work');
    expect(out.text.split('\n').slice(0, 7)).toEqual([
      '青木 健 様',
      '',
      'アンケート「Sleep & work」へのご協力をお願いいたします。所要時間は約12分です。',
      '',
      '回答はこちらから: https://enquete.example/s/tok123?ch=email',
      '',
      '回答期限: 2026年3月31日 23:59',
    ]);
  });

  it('shows instants in the survey time zone across daylight saving', () => {
    const template = { subject: 's', body: '{{ deadline | date: "%Y-%m-%d %H:%M %z" }}' };
    const at = (deadline: string, timeZone: string) =>
      renderMessage(template, { ...vars, deadline, survey: { ...vars.survey, timeZone } }).text.trim();
    // New York: EST (-5) before 2026-03-08 07:00 UTC, EDT (-4) after.
    expect(at('2026-03-08T06:30:00Z', 'America/New_York')).toBe('2026-03-08 01:30 -0500');
    expect(at('2026-03-08T07:30:00Z', 'America/New_York')).toBe('2026-03-08 03:30 -0400');
    expect(at('2026-03-08T07:30:00Z', 'UTC')).toBe('2026-03-08 07:30 +0000');
    expect(renderMessage(template, { ...vars, survey: { title: 't', minutes: 1 } }).text.trim()).toBe(
      '2026-03-31 14:59 +0000',
    );
    expect(caught(() => at('2026-03-08T07:30:00Z', 'Mars/Olympus')).code).toBe('EMAIL_TIME_ZONE_INVALID');
  });

  it('gives attributes, lists and member fields to the template', () => {
    const out = renderMessage(
      {
        subject: '{{ member.externalId }}',
        body: '{{ member.email }} {{ member.attributes.specialty | upcase }} {{ member.attributes.age | plus: 1 }} {{ member.attributes.regions | join: "/" }}',
      },
      vars,
    );
    expect(out.subject).toBe('M-001');
    expect(out.text).toBe('ken@example.org CARDIOLOGY 53 Kanto/Kansai\n');
  });

  it('escapes member-provided values in the HTML part and keeps them literal in the text part', () => {
    const name = '<script>alert("x")</script> & Co';
    const hostile = { ...vars, member: { ...vars.member, name, attributes: { note: '<b>bold</b>' } } };
    const plain = renderMessage({ subject: 'Hi {{ member.name }}', body: 'Dear {{ member.name }}' }, hostile);
    expect(plain.text).toBe(`Dear ${name}\n`);
    expect(plain.subject).toBe(`Hi ${name}`);
    expect(plain.html).toBe('<p>Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co</p>');

    const html = renderMessage(
      {
        subject: 's',
        format: 'html',
        body: '<h1>Dear {{ member.name }}</h1><p>{{ member.attributes.note | upcase }}</p><p><a href="{{ link }}">Start</a></p>',
      },
      hostile,
    );
    expect(html.html).toBe(
      '<h1>Dear &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co</h1><p>&lt;B&gt;BOLD&lt;/B&gt;</p>' +
        '<p><a href="https://enquete.example/s/tok123?ch=email">Start</a></p>',
    );
    expect(html.text).toBe(
      `Dear ${name}\n\n<B>BOLD</B>\n\nStart (https://enquete.example/s/tok123?ch=email)\n`,
    );
  });

  it('refuses the raw filter in HTML templates, so escaping cannot be undone', () => {
    const e = caught(() =>
      renderMessage({ subject: 's', format: 'html', body: '<p>\n {{ member.name | raw }}</p>' }, vars),
    );
    expect(e.code).toBe('EMAIL_TEMPLATE_INVALID');
    expect(e.details).toEqual({ part: 'body', line: 2, column: 2, message: 'undefined filter: raw' });
  });

  it('makes the subject one line', () => {
    expect(renderMessage({ subject: 'A\n{{ survey.title }}\r\n B', body: 'x' }, vars).subject).toBe(
      'A Sleep & work B',
    );
  });

  it('fails a member without a used attribute, naming the place, unless the template guards it', () => {
    const e = caught(() =>
      renderMessage({ subject: 's', body: 'Hello\n  {{ member.attributes.title }} {{ member.name }}' }, vars),
    );
    expect(e.code).toBe('EMAIL_TEMPLATE_RENDER_FAILED');
    expect(e.message).toBe('body line 2, column 6: undefined variable: member.attributes.title');
    const guarded = renderMessage(
      {
        subject: 's',
        body: '{% if member.attributes.title %}{{ member.attributes.title }} {% endif %}{{ member.attributes.title | default: "Dr." }} {{ member.name }}',
      },
      vars,
    );
    expect(guarded.text).toBe('Dr. Aoki Ken\n');
  });

  it('reads no file: include, render and layout are not tags', () => {
    for (const tag of ['{% include "/etc/passwd" %}', "{% render 'x' %}", '{% layout "x" %}']) {
      const e = caught(() => renderMessage({ subject: 's', body: `ok\n${tag}` }, vars));
      expect(e.code).toBe('EMAIL_TEMPLATE_INVALID');
      expect(e.details).toMatchObject({ part: 'body', line: 2, column: 1 });
    }
  });

  it('stops runaway templates', () => {
    const loop = caught(() =>
      renderMessage({ subject: 's', body: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' }, vars),
    );
    expect(loop.code).toBe('EMAIL_TEMPLATE_RENDER_FAILED');
    const huge = caught(() => renderMessage({ subject: 's', body: 'x'.repeat(100_001) }, vars));
    expect(huge.code).toBe('EMAIL_TEMPLATE_INVALID');
    expect(huge.message).toContain('parse length limit exceeded');
  });

  it('does not reach prototypes of the values', () => {
    const e = caught(() => renderMessage({ subject: 's', body: '{{ member.constructor.name }}' }, vars));
    expect(e.code).toBe('EMAIL_TEMPLATE_RENDER_FAILED');
    const proto = JSON.parse('{"__proto__": "kept as a key"}') as Record<string, string>;
    const out = renderMessage(
      { subject: 's', body: '{{ member.attributes["__proto__"] }}' },
      { ...vars, member: { ...vars.member, attributes: proto } },
    );
    expect(out.text).toBe('kept as a key\n');
  });
});

describe('checkTemplate', () => {
  it('accepts the default templates', () => {
    expect(() => checkTemplate(defaultTemplates.en)).not.toThrow();
    expect(() => checkTemplate(defaultTemplates.ja, { attributes: [] })).not.toThrow();
  });

  it.each([
    [{ subject: 'Hi {{ member.nam }}', body: 'x' }, 'subject line 1, column 7: unknown variable member.nam'],
    [
      { subject: 's', body: 'a\nb\n  {{ membr.name }}' },
      'body line 3, column 6: unknown variable membr.name',
    ],
    [{ subject: 's', body: '{{ survey.titel }}' }, 'body line 1, column 4: unknown variable survey.titel'],
    [{ subject: 's', body: 'a\n{{ link | upcas }}' }, 'body line 2, column 1: undefined filter: upcas'],
    [{ subject: 's', body: 'a {{ link' }, 'body line 1, column 3: output "{{ link" not closed'],
    [{ subject: 's', body: '{% if deadline %}x' }, 'body line 1, column 1: tag {% if deadline %} not closed'],
    [
      { subject: 's', body: '{% unless deadline %}{{ dedline }}{% endunless %}' },
      'body line 1, column 25: unknown variable dedline',
    ],
    [
      { subject: 's', body: '{{ member.attributes.specialty }} {{ member.attributes.specialy }}' },
      'body line 1, column 38: unknown member attribute specialy',
    ],
  ])('refuses %j', (template, message) => {
    const e = caught(() => checkTemplate(template, { attributes: ['specialty', 'age'] }));
    expect(e.code).toBe('EMAIL_TEMPLATE_INVALID');
    expect(e.message).toBe(message);
  });

  it('allows locals, loops and attributes when no attribute list is given', () => {
    expect(() =>
      checkTemplate({
        subject: '{{ survey.title | truncate: 20 }}',
        format: 'html',
        body: '{% assign n = member.name | default: "x" %}{{ n }}{% for r in member.attributes.regions %}{{ forloop.index }}{{ r }}{% endfor %}',
      }),
    ).not.toThrow();
  });

  it('with requireUnsubscribe, wants the body (text or html) to output unsubscribe_url', () => {
    const require = { requireUnsubscribe: true };
    const failure = (run: () => unknown): string | null => {
      try {
        run();
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(() => checkTemplate(defaultTemplates.en, require)).not.toThrow();
    expect(() => checkTemplate(defaultTemplates.ja, require)).not.toThrow();
    for (const [format, body] of [
      ['text', 'Stop: {{ unsubscribe_url }}'],
      ['html', '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'],
      ['text', '{% if deadline %}by {{ deadline }}{% endif %}\nStop: {% echo unsubscribe_url %}'],
      [
        'text',
        '{% for r in member.attributes.regions %}{{ r }}{% endfor %}{% if link %}{{ unsubscribe_url | strip }}{% endif %}',
      ],
    ] as const) {
      expect([format, body, failure(() => checkTemplate({ subject: 's', body, format }, require))]).toEqual([
        format,
        body,
        null,
      ]);
    }
    for (const [format, body] of [
      ['text', 'Dear {{ member.name }},\n{{ link }}'],
      ['html', '<p><a href="{{ link }}">Start</a></p>'],
      // Named but never output: in a condition, in a comment, as raw text, or shadowed by a local.
      ['text', '{{ link }}{% if unsubscribe_url %}Stop: see the footer{% endif %}'],
      ['text', '{{ link }}{% comment %}{{ unsubscribe_url }}{% endcomment %}'],
      ['text', '{{ link }}{% raw %}{{ unsubscribe_url }}{% endraw %}'],
      ['text', '{% assign unsubscribe_url = "none" %}{{ unsubscribe_url }}'],
      ['text', '{% for unsubscribe_url in member.attributes.regions %}{{ unsubscribe_url }}{% endfor %}'],
      ['html', '<!-- unsubscribe_url -->{{ link }}'],
    ] as const) {
      const e = caught(() => checkTemplate({ subject: '{{ unsubscribe_url }}', body, format }, require));
      expect([format, body, e.code, e.details]).toEqual([
        format,
        body,
        'EMAIL_TEMPLATE_INVALID',
        {
          part: 'body',
          line: 1,
          column: 1,
          message:
            'the body never outputs {{ unsubscribe_url }}: every message must link to its unsubscribe page',
        },
      ]);
    }
    // Without the option (portal waves send no message) such a body is fine.
    expect(() => checkTemplate({ subject: 's', body: '{{ link }}' })).not.toThrow();
  });

  it('refuses a loop that would never end and an unknown format', () => {
    expect(
      caught(() => checkTemplate({ subject: 's', body: '{% for i in (1..100000000) %}x{% endfor %}' })).code,
    ).toBe('EMAIL_TEMPLATE_INVALID');
    expect(
      caught(() => checkTemplate({ subject: 's', body: 'b', format: 'markdown' as 'text' })).message,
    ).toBe('body line 1, column 1: unknown format markdown');
  });
});
