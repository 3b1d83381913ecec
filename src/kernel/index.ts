export { type Clock, isoNow, systemClock, TestClock } from './clock.ts';
export { EnqueteError, type ErrorKind, isEnqueteError } from './errors.ts';
export { cryptoIds, type Ids, sequentialIds } from './ids.ts';
export { canonicalInstant, parseInstantMs } from './instant.ts';
