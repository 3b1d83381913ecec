/**
 * Replaces every secret value in a text with `***`. Built from the values that `${NAME}`
 * references resolved to, so what a job prints, its errors and API answers never carry them.
 *
 * @example
 * const masker = new Masker(['s3cret']);
 * masker.mask('token=s3cret'); // 'token=***'
 */
export class Masker {
  readonly #secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    // Longest first, so a secret that contains another is masked whole.
    this.#secrets = [...new Set([...secrets].filter((s) => s.length > 0))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** How many distinct secret values are masked. */
  get size(): number {
    return this.#secrets.length;
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join('***');
    }
    return out;
  }

  /** A masker that masks this one's secrets and `more`. */
  with(more: Iterable<string>): Masker {
    return new Masker([...this.#secrets, ...more]);
  }
}
