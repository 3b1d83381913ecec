export { actorOf, type Principal, type Role } from './types.ts';
