import 'survey-core/survey-core.fontless.min.css';
import { useEffect, useMemo, useState } from 'react';
import { Model } from 'survey-core';
import { Survey } from 'survey-react-ui';
import { loadSurveyLocale } from '../../shared/survey-locale.ts';
import { surveyTheme } from '../../shared/survey-theme.ts';

/**
 * A live SurveyJS rendering of a definition, for the editor. Loaded on demand, so the console's
 * other pages do not carry SurveyJS. Answers typed into the preview go nowhere.
 */
export default function SurveyPreview({ surveyjs }: { surveyjs: Record<string, unknown> }) {
  const locale = typeof surveyjs['locale'] === 'string' ? surveyjs['locale'] : '';
  const [loadedLocale, setLoadedLocale] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    loadSurveyLocale(locale).finally(() => current && setLoadedLocale(locale));
    return () => {
      current = false;
    };
  }, [locale]);
  const model = useMemo(() => {
    const m = new Model(surveyjs);
    m.applyTheme(surveyTheme);
    return m;
  }, [surveyjs]);
  if (loadedLocale !== locale) return null;
  return <Survey model={model} />;
}
