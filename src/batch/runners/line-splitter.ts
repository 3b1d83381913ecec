import { StringDecoder } from 'node:string_decoder';

/**
 * Cuts a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. A line
 * longer than `maxLine` characters is emitted in pieces so that a job printing without line
 * breaks cannot grow memory without bound. A piece never ends inside an occurrence of one of
 * `keepWhole` (the masker's secrets, so that each piece can be masked on its own): the cut moves
 * back to where the occurrence starts, and the splitter holds back the longest one's length less
 * one character before cutting, to see an occurrence whole. Texts of `maxLine` characters or more
 * cannot be kept whole and are left out.
 *
 * @example
 * const split = new LineSplitter((line) => lines.push(line), 16_384, masker.patterns);
 * child.stdout.on('data', (b) => split.push(b));
 * child.stdout.on('end', () => split.end());
 */
export class LineSplitter {
  readonly #emit: (line: string) => void;
  readonly #maxLine: number;
  readonly #keepWhole: string[];
  /** Characters past `maxLine` waited for before a cut. */
  readonly #hold: number;
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';

  constructor(emit: (line: string) => void, maxLine = 16_384, keepWhole: readonly string[] = []) {
    this.#emit = emit;
    this.#maxLine = maxLine;
    this.#keepWhole = keepWhole.filter((s) => s.length > 1 && s.length < maxLine);
    this.#hold = Math.max(0, ...this.#keepWhole.map((s) => s.length - 1));
  }

  push(chunk: Buffer | string): void {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    this.#lines();
    while (this.#buffer.length > this.#maxLine + this.#hold) this.#cut();
  }

  /** Emits what is left after the last line break. */
  end(): void {
    this.#buffer += this.#decoder.end();
    this.#lines();
    while (this.#buffer.length > this.#maxLine) this.#cut();
    if (this.#buffer.length > 0) this.#emit(this.#buffer.replace(/\r$/, ''));
    this.#buffer = '';
  }

  #lines(): void {
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      this.#emit(this.#buffer.slice(0, nl).replace(/\r$/, ''));
      this.#buffer = this.#buffer.slice(nl + 1);
      nl = this.#buffer.indexOf('\n');
    }
  }

  /** Emits a piece of at most `maxLine` characters that ends outside every kept text. */
  #cut(): void {
    let cut = this.#maxLine;
    for (let moved = true; moved; ) {
      moved = false;
      for (const text of this.#keepWhole) {
        // An occurrence that spans the cut starts less than its length before it (never at 0,
        // so that a piece is never empty).
        const at = this.#buffer.indexOf(text, Math.max(1, cut - text.length + 1));
        if (at >= 0 && at < cut) {
          cut = at;
          moved = true;
        }
      }
    }
    this.#emit(this.#buffer.slice(0, cut));
    this.#buffer = this.#buffer.slice(cut);
  }
}
