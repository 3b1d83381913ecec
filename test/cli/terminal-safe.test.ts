import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/cli/terminal-safe.ts';

describe('terminalSafe', () => {
  it('shows control characters instead of sending them to the terminal', () => {
    expect(terminalSafe('\u001b[2J\u001b]0;owned\u0007done')).toBe('␛[2J␛]0;owned␇done');
    expect(terminalSafe('a\rb\u0008c\u007fd\u009b31m')).toBe('a␍b␈c␡d\\x9b31m');
    expect(terminalSafe('\u0000\u001f')).toBe('␀␟');
  });

  it('leaves tabs, text and other scripts alone', () => {
    expect(terminalSafe('col1\tcol2 日本語 é ✓ \ufffd')).toBe('col1\tcol2 日本語 é ✓ \ufffd');
  });
});
