import { describe, expect, it } from 'vitest';
import {
  classifySendError,
  maskSmtpUrl,
  parseSmtpUrl,
  unsubscribeHeaders,
} from '../../../src/distribution/email/index.ts';

describe('SMTP URLs', () => {
  it.each([
    ['smtp://panel:s3cret@mail.example.org:587', 'smtp://panel:***@mail.example.org:587'],
    [
      'smtps://panel:s3cret@mail.example.org:465?requireTLS=true',
      'smtps://panel:***@mail.example.org:465?requireTLS=true',
    ],
    ['smtp://mail.example.org:25', 'smtp://mail.example.org:25'],
    ['smtp://panel@mail.example.org', 'smtp://panel@mail.example.org'],
    // Not URLs at all: masked by hand up to the last @.
    ['smtp://panel:pa ss@mail example', 'smtp://panel:***@mail example'],
    ['smtp://panel:a/b@c@mail.example.org', 'smtp://panel:***@mail.example.org'],
    ['mailto:user:secret@host', '***'],
  ])('masks %s', (url, masked) => {
    expect(maskSmtpUrl(url)).toBe(masked);
    expect(maskSmtpUrl(url)).not.toMatch(/s3cret|pa ss|a\/b@c|secret/);
  });

  it('knows every spelling of the password', () => {
    expect(parseSmtpUrl('smtp://u:p%40ss%2Fw@h').secrets).toEqual(['p%40ss%2Fw', 'p@ss/w']);
    expect(parseSmtpUrl('smtp://h').secrets).toEqual([]);
  });
});

describe('classifySendError', () => {
  const secrets = ['p@ss/w', 'p%40ss%2Fw'];
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 No such user' }, 'permanent', 550],
    [{ code: 'EENVELOPE', responseCode: 552, response: '552 Mailbox full' }, 'permanent', 552],
    [{ code: 'EMESSAGE', responseCode: 554, response: '554 Rejected as spam' }, 'permanent', 554],
    [{ code: 'EENVELOPE', responseCode: 451, response: '451 Greylisted' }, 'temporary', 451],
    [{ code: 'EENVELOPE', responseCode: 452, response: '452 Too many recipients' }, 'temporary', 452],
    [{ code: 'ECONNECTION', responseCode: 421, response: '421 Closing' }, 'temporary', 421],
    [{ code: 'EPROTOCOL', responseCode: 503, response: '503 Bad sequence' }, 'temporary', 503],
    [{ code: 'EAUTH', responseCode: 535, response: '535 Invalid login' }, 'temporary', 535],
    [{ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'temporary', undefined],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'temporary', undefined],
    [{ code: 'EDNS', message: 'getaddrinfo ENOTFOUND mail.example' }, 'temporary', undefined],
    [{ code: 'EENVELOPE', message: 'No recipients defined' }, 'permanent', undefined],
    [new Error('something else'), 'temporary', undefined],
  ])('%j is %s', (error, status, code) => {
    const outcome = classifySendError(error, secrets);
    expect(outcome.status).toBe(status);
    expect(outcome.code).toBe(code);
  });

  it('masks the password in every spelling', () => {
    const outcome = classifySendError({ message: 'login p@ss/w failed for smtp://u:p%40ss%2Fw@h' }, secrets);
    expect(outcome.error).toBe('login *** failed for smtp://u:***@h');
  });
});

describe('unsubscribeHeaders', () => {
  it('gives RFC 8058 one-click headers', () => {
    expect(unsubscribeHeaders('https://enquete.example/u/abc')).toEqual({
      'List-Unsubscribe': '<https://enquete.example/u/abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it.each(['javascript:alert(1)', 'https://x.example/u/a>b', 'https://x.example/u/a,b', 'not a url'])(
    'refuses %s',
    (url) => {
      expect(() => unsubscribeHeaders(url)).toThrow(
        expect.objectContaining({ code: 'EMAIL_UNSUBSCRIBE_URL_INVALID' }),
      );
    },
  );
});
