/** A screen-out rule as the respondent API sends it. */
export interface ScreenOutRule {
  expression: string;
  html: string;
}

/**
 * The index of the first rule whose expression is true, or null. `evaluate` runs a SurveyJS
 * expression against the current answers (`model.runExpression`); a rule that fails to evaluate
 * does not match, and the server, which checks the rules again at completion, has the last word.
 *
 * @example
 * firstMatchingRule([{ expression: '{age} < 18', html: '<p>Sorry</p>' }], (e) => model.runExpression(e));
 */
export function firstMatchingRule(
  rules: ScreenOutRule[],
  evaluate: (expression: string) => unknown,
): number | null {
  for (const [index, rule] of rules.entries()) {
    let result: unknown;
    try {
      result = evaluate(rule.expression);
    } catch {
      continue;
    }
    if (result === true) return index;
  }
  return null;
}
