export type { NewApiKey } from './api-keys.ts';
export type { AuditInput } from './audit.ts';
export type { AuthDeps } from './deps.ts';
export { authErrors } from './errors.ts';
export { passwordPolicy } from './secrets.ts';
export { type AuthService, createAuthService } from './service.ts';
export { type LoginResult, loginThrottle, sessionPolicy } from './sessions.ts';
export {
  type ApiKeyInfo,
  type AuditEntry,
  actorOf,
  apiKeyRoles,
  type By,
  type Principal,
  type Role,
  type User,
  type UserRole,
  userRoles,
} from './types.ts';
export type { CreatedUser, NewUser, UserPatch } from './users.ts';
