/**
 * Lines of a multi-line secret shorter than this, once trimmed, are not masked on their own: a
 * blank line, a brace or `-----END-----` would otherwise mask them wherever they appear.
 */
export const minSecretLine = 8;

/**
 * A secret as a job may print it: as it is; inside a JSON string (`"` and `\` escaped, also with
 * non-ASCII as `\u00e9` as Python's json.dumps writes, and `/` as `\/` as PHP's does); and
 * URL-encoded (`%22`, and `+` for a space in a form body).
 */
function encodings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const asciiJson = json.replace(
    /[^\u0020-\u007e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const forms = [secret, json, asciiJson, json.replaceAll('/', '\\/')];
  try {
    const url = encodeURIComponent(secret);
    forms.push(url, url.replaceAll('%20', '+'));
  } catch {
    // A lone surrogate has no URL form; nothing prints one.
  }
  return forms;
}

/**
 * Replaces every secret value in a text with `***`. Built from the values that `${NAME}`
 * references resolved to, so what a job prints, its errors and API answers never carry them.
 * Output is masked line by line, so a secret of several lines (a PEM key, a JSON credential) is
 * also masked line by line: each of its lines of {@link minSecretLine} characters or more, trimmed.
 * Each value and line is also masked in the forms a job prints it in JSON and URLs ({@link encodings}).
 *
 * @example
 * const masker = new Masker(['s3cret']);
 * masker.mask('token=s3cret'); // 'token=***'
 */
export class Masker {
  readonly #values: string[];
  readonly #patterns: string[];

  constructor(secrets: Iterable<string> = []) {
    this.#values = [...new Set([...secrets].filter((s) => s.length > 0))];
    const lines = this.#values
      .filter((v) => /[\r\n]/.test(v))
      .flatMap((v) => v.split(/\r\n|\r|\n/))
      .map((line) => line.trim())
      .filter((line) => line.length >= minSecretLine);
    // Longest first, so a secret that contains another is masked whole.
    this.#patterns = [...new Set([...this.#values, ...lines].flatMap(encodings))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** How many distinct secret values are masked. */
  get size(): number {
    return this.#values.length;
  }

  /**
   * Every text this masker replaces, longest first: the secret values and the lines of those
   * that span lines. What cuts output into pieces must not cut inside one of them.
   */
  get patterns(): readonly string[] {
    return this.#patterns;
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.#patterns) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out;
  }

  /** A masker that masks this one's secrets and `more`. */
  with(more: Iterable<string>): Masker {
    return new Masker([...this.#values, ...more]);
  }
}
