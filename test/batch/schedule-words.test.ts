import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../src/batch/schedule-words.ts';

describe('cron in words', () => {
  it.each([
    ['30 2 * * *', 'every day at 02:30'],
    ['0 30 2 * * *', 'every day at 02:30'],
    ['15 30 2 * * *', 'every day at 02:30:15'],
    ['0 9,17 * * *', 'every day at 09:00 and 17:00'],
    ['0 9 * * 1-5', 'every Monday to Friday at 09:00'],
    ['0 9 * * MON-FRI', 'every Monday to Friday at 09:00'],
    ['0 9 * * 1,3,5', 'every Monday, Wednesday and Friday at 09:00'],
    ['0 9 * * 0', 'every Sunday at 09:00'],
    ['0 9 * * 7', 'every Sunday at 09:00'],
    ['0 9 * * sat,sun', 'every Sunday and Saturday at 09:00'],
    ['0 6 1 * *', 'on the 1st of every month at 06:00'],
    ['0 6 1,15 * *', 'on the 1st and 15th of every month at 06:00'],
    ['0 6 22 * *', 'on the 22nd of every month at 06:00'],
    ['0 6 11 * *', 'on the 11th of every month at 06:00'],
    ['0 0 1 1 *', 'every year on 1 January at 00:00'],
    ['0 0 25 DEC *', 'every year on 25 December at 00:00'],
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0/5 * * * *', 'every 5 minutes'],
    ['*/10 * * * * *', 'every 10 seconds'],
    ['* * * * * *', 'every second'],
    ['5 * * * *', 'every hour at minute 5'],
    ['0,30 * * * *', 'every hour at minute 0 and 30'],
    ['0 */6 * * *', 'every 6 hours at minute 0'],
    ['@daily', 'every day at 00:00'],
    ['@hourly', 'every hour at minute 0'],
    ['@weekly', 'every Sunday at 00:00'],
    ['@monthly', 'on the 1st of every month at 00:00'],
    ['@yearly', 'every year on 1 January at 00:00'],
  ])('%s → %s', (pattern, words) => {
    expect(describeSchedule(pattern)).toBe(words);
  });

  it.each([
    ['0 0 L * *'],
    ['0 0 * * 5#3'],
    ['0 0 1 * 1'],
    ['0 0 */2 * *'],
    ['0 0 1 1,7 *'],
    ['*/5 9-17 * * *'],
    ['0 0-23 * * *'],
    ['0 9 * * 5-1'],
    ['1 2 3'],
    ['0 99 * * *'],
  ])('leaves %s to the cron text', (pattern) => {
    expect(describeSchedule(pattern)).toBeNull();
  });
});
