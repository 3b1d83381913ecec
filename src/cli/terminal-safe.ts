/**
 * Text from elsewhere (a job's output) made safe to print on a terminal: control characters other
 * than tab become visible — C0 and DEL as their Unicode control pictures (ESC as `␛`, DEL as `␡`),
 * C1 as `\x9b` and the like — so a job's escape sequences cannot move the cursor, retitle the
 * window or hide lines of the operator's terminal.
 *
 * @example
 * terminalSafe('\u001b[2Jgone'); // '␛[2Jgone'
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\x${code.toString(16)}`;
  });
}
