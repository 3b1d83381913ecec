import { Model } from 'survey-core';
import { ApiError } from '../shared/api-client.ts';
import { surveyTheme } from '../shared/survey-theme.ts';
import { Autosave } from './autosave.ts';
import { pageTexts } from './page-texts.ts';
import { issuesOf, type RespondentView, respondApi } from './respond-api.ts';
import { firstMatchingRule } from './screen-out.ts';

/** Quiet time after the last keystroke before a partial save. */
const saveDelayMs = 800;

export interface RespondentSurveyHooks {
  /** After each background save: null when it succeeded, else the error. */
  onSaveResult(error: unknown | null): void;
  /** Completion was refused: the problems to list (an empty list clears them). */
  onRejected(messages: string[]): void;
}

/**
 * The SurveyJS model of one respondent, wired to the respondent API: restores the saved answers
 * and page, saves partials on page changes and (debounced) on value changes, ends the survey when
 * a screen-out rule matches after a page, and lets SurveyJS complete only once the server has
 * accepted the answers.
 *
 * @example
 * const { model, dispose } = createRespondentSurvey(token, view, { onSaveResult, onRejected });
 */
export function createRespondentSurvey(
  token: string,
  view: RespondentView,
  hooks: RespondentSurveyHooks,
): { model: Model; dispose: () => void } {
  const model = new Model(view.surveyjs);
  model.applyTheme(surveyTheme);
  model.data = view.data;
  const lastPage = Math.max(0, model.visiblePageCount - 1);
  model.currentPageNo = Math.min(Math.max(0, Math.trunc(view.page) || 0), lastPage);

  const autosave = new Autosave({
    snapshot: () => ({ data: model.data as Record<string, unknown>, page: model.currentPageNo }),
    send: (body, keepalive) => respondApi.save(token, body, keepalive),
    delayMs: saveDelayMs,
    onResult: (error) => hooks.onSaveResult(error),
  });

  model.onValueChanged.add(() => autosave.schedule());
  model.onCurrentPageChanging.add((sender, options) => {
    if (!options.isGoingForward || view.screenOut.length === 0) return;
    if (firstMatchingRule(view.screenOut, (expression) => sender.runExpression(expression)) === null) return;
    // Screened out: end here; the server decides the status and sends the end page.
    options.allow = false;
    setTimeout(() => sender.doComplete(), 0);
  });
  model.onCurrentPageChanged.add(() => {
    void autosave.saveNow();
  });
  model.onCompleting.add(async (sender, options) => {
    await autosave.stop();
    try {
      const result = await respondApi.complete(token, sender.data as Record<string, unknown>);
      if (result.status === 'screened_out' && result.html) sender.completedHtml = result.html;
      // The survey's own thank-you page would say the answers counted: they did not.
      if (result.status === 'quota_full') sender.completedHtml = quotaFullHtml(sender.locale);
      hooks.onRejected([]);
    } catch (error) {
      options.allow = false;
      autosave.resume();
      hooks.onRejected(showRejection(sender, error));
    }
  });

  const onPageHide = () => autosave.flushOnUnload();
  window.addEventListener('pagehide', onPageHide);
  return { model, dispose: () => window.removeEventListener('pagehide', onPageHide) };
}

/** Marks the questions the server refused and returns the messages to list above the survey. */
function showRejection(model: Model, error: unknown): string[] {
  if (!(error instanceof ApiError) || error.code !== 'RESPONSE_INVALID') {
    return [error instanceof Error ? error.message : String(error)];
  }
  const issues = issuesOf(error.details);
  if (issues.length === 0) return [error.message];
  const marked = issues.map((issue) => ({
    issue,
    question: issue.question ? model.getQuestionByName(issue.question) : null,
  }));
  // After SurveyJS has finished refusing completion: go to the first refused question, mark them all.
  setTimeout(() => {
    const first = marked.find((m) => m.question)?.question;
    if (first?.page) model.currentPage = first.page;
    for (const { issue, question } of marked) question?.addError(issue.message);
    if (first) model.focusQuestion(first.name);
  }, 0);
  return marked.map(({ issue, question }) =>
    question ? `${question.title}: ${issue.message}` : issue.message,
  );
}

/** The end page of a quota-full completion, in the survey's language. */
function quotaFullHtml(locale: string): string {
  const text = pageTexts(locale || navigator.language).quotaFull;
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<p class="respond-quota-full">${escaped}</p>`;
}
