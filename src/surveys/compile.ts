import { type Condition, compileCondition } from './conditions.ts';
import { type ContainerNode, type Json, walkSurvey } from './elements.ts';
import { type QuestionRules, questionRules } from './rules.ts';
import type { Codebook, CompiledSurvey, SurveyDocument, ValidationIssue, ValidationResult } from './types.ts';
import { isEmptyValue, isPlainObject, pruneObject } from './values.ts';

type Values = Record<string, unknown>;

/** A page or panel reduced to what answers depend on: its own visibility and enabled state. */
interface Gate {
  hidden: boolean;
  visibleIf: Condition | null;
  disabled: boolean;
  enableIf: Condition | null;
}

interface CompiledQuestion {
  name: string;
  comment: string;
  gate: Gate;
  /** Enclosing panels and the page, innermost first. */
  parents: Gate[];
  isRequired: boolean;
  requiredIf: Condition | null;
  rules: QuestionRules;
}

function gateOf(json: Json): Gate {
  return {
    hidden: json['visible'] === false,
    visibleIf: compileCondition(json['visibleIf']),
    disabled: json['readOnly'] === true,
    enableIf: compileCondition(json['enableIf']),
  };
}

function parentGates(container: ContainerNode, gates: Map<ContainerNode, Gate>): Gate[] {
  const out: Gate[] = [];
  for (let node: ContainerNode | null = container; node; node = node.parent) {
    let gate = gates.get(node);
    if (!gate) {
      gate = gateOf(node.json);
      gates.set(node, gate);
    }
    out.push(gate);
  }
  return out;
}

function shows(gate: Gate, values: Values): boolean {
  return !gate.hidden && (gate.visibleIf === null || gate.visibleIf(values));
}

function enabled(gate: Gate, values: Values): boolean {
  return !gate.disabled && (gate.enableIf === null || gate.enableIf(values));
}

function isVisible(q: CompiledQuestion, values: Values): boolean {
  return shows(q.gate, values) && q.parents.every((p) => shows(p, values));
}

function isEnabled(q: CompiledQuestion, values: Values): boolean {
  return enabled(q.gate, values) && q.parents.every((p) => enabled(p, values));
}

/** Known answers only, without empty values (and empty rows/cells inside object answers). */
function collect(questions: CompiledQuestion[], data: Values, issues: ValidationIssue[]): Values {
  const values: Values = {};
  for (const q of questions) {
    let value = data[q.name];
    if (q.rules.objectDepth > 0 && isPlainObject(value)) value = pruneObject(value, q.rules.objectDepth);
    if (!isEmptyValue(value)) values[q.name] = value;
    if (!q.rules.keepsComment) continue;
    const comment = data[q.comment];
    if (isEmptyValue(comment)) continue;
    if (typeof comment === 'string') values[q.comment] = comment;
    else issues.push({ question: q.name, code: 'WRONG_TYPE', message: `${q.comment} must be text` });
  }
  return values;
}

/**
 * What SurveyJS does on completion with `clearInvisibleValues: 'onComplete'` (survey-core 3.0.0,
 * `SurveyModel.clearUnusedValues`): "other" texts whose "other" is not chosen go, then every
 * question hidden on the answers as given loses its value. Conditions are not re-run while values
 * are cleared, so there is no cascade: a question whose `visibleIf` read a value cleared here
 * keeps its own answer, exactly as the respondent saw it.
 */
function clearInvisible(questions: CompiledQuestion[], visible: boolean[], values: Values): void {
  questions.forEach((q, i) => {
    if (!visible[i]) {
      delete values[q.name];
      delete values[q.comment];
      return;
    }
    if (!q.rules.otherOnly || !(q.comment in values)) return;
    const value = values[q.name];
    const chosen = Array.isArray(value) ? value.includes('other') : value === 'other';
    if (!chosen) delete values[q.comment];
  });
}

/**
 * Compiles a published version once: the rules of every question from the codebook and its
 * JSON, and each condition parsed once. `validate` then runs without a SurveyJS Model.
 *
 * @example
 * const compiled = compileSurvey({ surveyId: 'sv_1', version: 1, document, codebook });
 * compiled.validate({ age: '12' }, 'complete'); // { ok: false, issues: [{ question: 'age', code: 'NOT_A_NUMBER', … }] }
 */
export function compileSurvey(input: {
  surveyId: string;
  version: number;
  document: SurveyDocument;
  codebook: Codebook;
}): CompiledSurvey {
  const { document, codebook } = input;
  const tree = walkSurvey(document.surveyjs);
  const entries = new Map(codebook.questions.map((q) => [q.name, q]));
  const surveyMax =
    typeof document.surveyjs['maxTextLength'] === 'number' ? document.surveyjs['maxTextLength'] : 0;
  const gates = new Map<ContainerNode, Gate>();
  const questions: CompiledQuestion[] = [];
  for (const node of tree.questions) {
    const entry = entries.get(node.name);
    if (!entry) continue;
    questions.push({
      name: node.name,
      comment: `${node.name}-Comment`,
      gate: gateOf(node.json),
      parents: parentGates(node.parent, gates),
      isRequired: node.json['isRequired'] === true,
      requiredIf: compileCondition(node.json['requiredIf']),
      rules: questionRules(entry, node.json, surveyMax),
    });
  }
  const screenOut = document.screenOut.map((rule) => ({ rule, test: compileCondition(rule.expression) }));

  function validate(data: Values, mode: 'complete' | 'partial'): ValidationResult {
    const issues: ValidationIssue[] = [];
    const completeness: ValidationIssue[] = [];
    const values = collect(questions, isPlainObject(data) ? data : {}, issues);
    // Like SurveyJS, visibility is decided once, on the answers as given; hidden values go after.
    const visible = questions.map((q) => isVisible(q, values));
    questions.forEach((q, i) => {
      if (!visible[i]) return;
      const value = values[q.name];
      if (value !== undefined) {
        for (const issue of q.rules.checkValue(value, values)) issues.push({ question: q.name, ...issue });
      }
      // SurveyJS collects no errors for disabled (read-only) questions; their values are still checked.
      if (mode !== 'complete' || !isEnabled(q, values)) return;
      const required = q.isRequired || q.requiredIf?.(values) === true;
      for (const issue of q.rules.checkComplete(value, values, required)) {
        completeness.push({ question: q.name, ...issue });
      }
    });
    clearInvisible(questions, visible, values);
    let screenedOut: ValidationResult['screenedOut'] = null;
    for (const [index, { rule, test }] of screenOut.entries()) {
      if (test?.(values)) {
        screenedOut = { rule: index, html: rule.html };
        break;
      }
    }
    if (!screenedOut) issues.push(...completeness);
    return { ok: issues.length === 0, data: values, issues, screenedOut };
  }

  return { surveyId: input.surveyId, version: input.version, document, codebook, validate };
}
