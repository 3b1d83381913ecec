/**
 * SurveyJS's own interface strings (Next, Complete, "Response required") in the survey's
 * language. Each translation is a chunk of its own, fetched only by surveys that ask for it,
 * so the respondent bundle stays the same size for everyone else.
 */
const translations: Record<string, () => Promise<unknown>> = {
  ja: () => import('survey-core/i18n/japanese'),
  ko: () => import('survey-core/i18n/korean'),
  'zh-cn': () => import('survey-core/i18n/simplified-chinese'),
  'zh-tw': () => import('survey-core/i18n/traditional-chinese'),
  de: () => import('survey-core/i18n/german'),
  fr: () => import('survey-core/i18n/french'),
  es: () => import('survey-core/i18n/spanish'),
  it: () => import('survey-core/i18n/italian'),
  nl: () => import('survey-core/i18n/dutch'),
  pt: () => import('survey-core/i18n/portuguese'),
};

/**
 * Loads the translation for a SurveyJS `locale` (English is built in; unknown codes fall back to it).
 *
 * @example
 * await loadSurveyLocale(view.surveyjs['locale']);
 */
export async function loadSurveyLocale(locale: unknown): Promise<void> {
  if (typeof locale !== 'string') return;
  const load = translations[locale.toLowerCase()];
  if (load) await load();
}
