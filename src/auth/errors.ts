import { EnqueteError } from '../kernel/index.ts';

/** The auth module's error catalogue. Messages never tell which part of a login was wrong. */
export const authErrors = {
  loginFailed: () => new EnqueteError('LOGIN_FAILED', 'unauthenticated', 'wrong e-mail or password'),
  loginThrottled: (retryAfterSeconds: number) =>
    new EnqueteError('LOGIN_THROTTLED', 'rate_limited', 'too many failed logins; try again later', {
      details: { retryAfterSeconds },
    }),
  userExists: (email: string) =>
    new EnqueteError('USER_EXISTS', 'conflict', `a user with the e-mail ${email} already exists`),
  userNotFound: (id: string) => new EnqueteError('USER_NOT_FOUND', 'not_found', `user ${id} does not exist`),
  lastAdmin: () =>
    new EnqueteError('LAST_ADMIN', 'conflict', 'this would leave no enabled admin; make another admin first'),
  apiKeyNotFound: (id: string) =>
    new EnqueteError('APIKEY_NOT_FOUND', 'not_found', `API key ${id} does not exist`),
  apiKeyNameInvalid: () =>
    new EnqueteError('APIKEY_NAME_INVALID', 'invalid', 'an API key needs a name of 1 to 100 characters'),
  roleInvalid: (role: string, allowed: readonly string[]) =>
    new EnqueteError('ROLE_INVALID', 'invalid', `role must be one of ${allowed.join(', ')}, not ${role}`),
  clientRequired: () =>
    new EnqueteError('CLIENT_REQUIRED', 'invalid', 'role client needs the name of its client'),
  clientNotAllowed: (role: string) =>
    new EnqueteError('CLIENT_NOT_ALLOWED', 'invalid', `only role client carries a client, not ${role}`),
  clientInvalid: () => new EnqueteError('CLIENT_INVALID', 'invalid', 'a client name has 1 to 200 characters'),
  emailInvalid: (email: string) =>
    new EnqueteError('EMAIL_INVALID', 'invalid', `not an e-mail address: ${JSON.stringify(email)}`),
  nameInvalid: () => new EnqueteError('NAME_INVALID', 'invalid', 'a name has at most 200 characters'),
  passwordTooShort: (min: number) =>
    new EnqueteError('PASSWORD_TOO_SHORT', 'invalid', `a password needs at least ${min} characters`),
  passwordWrong: () =>
    new EnqueteError('PASSWORD_WRONG', 'invalid', 'the current password is not right', {
      details: { field: 'current' },
    }),
  passwordUnchanged: () =>
    new EnqueteError('PASSWORD_UNCHANGED', 'invalid', 'the new password is the current one', {
      details: { field: 'password' },
    }),
  passwordTooLong: (max: number) =>
    new EnqueteError('PASSWORD_TOO_LONG', 'invalid', `a password has at most ${max} characters`),
};
