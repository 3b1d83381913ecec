import { StringDecoder } from 'node:string_decoder';

/**
 * Cuts a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. A line
 * longer than `maxLine` characters is emitted in pieces so that a job printing without line
 * breaks cannot grow memory without bound.
 *
 * @example
 * const split = new LineSplitter((line) => lines.push(line));
 * child.stdout.on('data', (b) => split.push(b));
 * child.stdout.on('end', () => split.end());
 */
export class LineSplitter {
  readonly #emit: (line: string) => void;
  readonly #maxLine: number;
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';

  constructor(emit: (line: string) => void, maxLine = 16_384) {
    this.#emit = emit;
    this.#maxLine = maxLine;
  }

  push(chunk: Buffer | string): void {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      this.#emit(this.#buffer.slice(0, nl).replace(/\r$/, ''));
      this.#buffer = this.#buffer.slice(nl + 1);
      nl = this.#buffer.indexOf('\n');
    }
    while (this.#buffer.length > this.#maxLine) {
      this.#emit(this.#buffer.slice(0, this.#maxLine));
      this.#buffer = this.#buffer.slice(this.#maxLine);
    }
  }

  /** Emits what is left after the last line break. */
  end(): void {
    this.#buffer += this.#decoder.end();
    if (this.#buffer.length > 0) this.#emit(this.#buffer.replace(/\r$/, ''));
    this.#buffer = '';
  }
}
