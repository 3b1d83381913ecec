import { ConditionRunner, ConditionsParser } from 'survey-core';

type ValidationContext = Parameters<ConditionRunner['validate']>[0];

// Validation only asks the context about variables, which we check ourselves against the names.
const noVariables: ValidationContext = { getValue: () => ({ isFound: false }) };

/** The question a variable refers to: `{m.r1}` → `m`, `{q-Comment}` → `q`, `{p[0].x}` → `p`. */
export function variableRoot(variable: string): string {
  const root = variable.split(/[.[]/)[0] ?? variable;
  return root.endsWith('-Comment') ? root.slice(0, -'-Comment'.length) : root;
}

/**
 * Checks a SurveyJS boolean expression: syntax, known functions, a boolean result, and that each
 * `{variable}` names a question of the survey. Returns the problem, or null when it is sound.
 *
 * @example
 * checkCondition('{age} < 18 and', new Set(['age'])); // 'syntax error at character 15: …'
 */
export function checkCondition(expression: unknown, names: ReadonlySet<string>): string | null {
  if (typeof expression !== 'string' || expression.trim() === '') return 'must be a non-empty expression';
  const parser = new ConditionsParser();
  parser.parseExpression(expression);
  if (parser.error) {
    const expected = parser.error.code.replace(/^Expected .* but /, 'unexpected: ').replace(/\.$/, '');
    return `syntax error at character ${parser.error.at + 1}: ${expected}`;
  }
  const runner = new ConditionRunner(expression);
  if (!runner.canRun()) return 'cannot be evaluated';
  const problems = runner.validate(noVariables, { variables: false, functions: true, semantics: true }, true);
  for (const problem of problems) {
    if (problem.functionName) return `unknown function ${problem.functionName}()`;
    return 'is not a condition (it does not give true or false)';
  }
  for (const variable of runner.getVariables()) {
    if (!names.has(variableRoot(variable))) return `{${variable}} is not a question of this survey`;
  }
  return null;
}
