import { useEffect, useState } from 'react';
import type { Model } from 'survey-core';
import { Survey } from 'survey-react-ui';
import { ApiError } from '../shared/api-client.ts';
import { loadSurveyLocale } from '../shared/survey-locale.ts';
import { type PageTexts, pageTexts } from './page-texts.ts';
import { respondApi } from './respond-api.ts';
import { createRespondentSurvey } from './respondent-survey.ts';

type State =
  | { kind: 'loading' }
  | { kind: 'message'; text: string; detail?: string }
  | { kind: 'survey'; model: Model; texts: PageTexts };

/** The respondent page: one token, one survey, saved as it goes. */
export function RespondApp({ token, channel }: { token: string; channel: string | null }) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [saveFailed, setSaveFailed] = useState(false);
  const [rejected, setRejected] = useState<string[]>([]);

  useEffect(() => {
    let disposed = false;
    let dispose = () => {};
    const texts = pageTexts(navigator.language);
    if (token === '') {
      setState({ kind: 'message', text: texts.unknownLink });
      return;
    }
    respondApi
      .load(token, channel)
      .then(async (view) => {
        const locale = view.surveyjs['locale'];
        const surveyTexts = pageTexts(typeof locale === 'string' ? locale : navigator.language);
        if (typeof locale === 'string') document.documentElement.lang = locale;
        if (view.title) document.title = view.title;
        if (view.status !== 'in_progress') {
          const text = view.status === 'quota_full' ? surveyTexts.quotaFull : surveyTexts.alreadyAnswered;
          setState({ kind: 'message', text });
          return;
        }
        await loadSurveyLocale(locale);
        if (disposed) return;
        const survey = createRespondentSurvey(token, view, {
          onSaveResult: (error) => setSaveFailed(error !== null),
          onRejected: setRejected,
        });
        dispose = survey.dispose;
        setState({ kind: 'survey', model: survey.model, texts: surveyTexts });
      })
      .catch((error: unknown) => {
        if (!disposed) setState(messageFor(error, texts));
      });
    return () => {
      disposed = true;
      dispose();
    };
  }, [token, channel]);

  if (state.kind === 'loading')
    return <p className="respond-note">{pageTexts(navigator.language).loading}</p>;
  if (state.kind === 'message') {
    return (
      <div className="respond-note" role="status">
        <p>{state.text}</p>
        {state.detail ? <p className="respond-detail">{state.detail}</p> : null}
      </div>
    );
  }
  return (
    <>
      {rejected.length > 0 ? (
        <div className="respond-alert" role="alert">
          <p>{state.texts.rejected}</p>
          <ul>
            {rejected.map((message, i) => (
              // Messages may repeat; their order is their identity.
              // biome-ignore lint/suspicious/noArrayIndexKey: a static list, rebuilt whole on each refusal
              <li key={i}>{message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {saveFailed ? (
        <p className="respond-warning" role="status">
          {state.texts.saveFailed}
        </p>
      ) : null}
      <Survey model={state.model} />
    </>
  );
}

function messageFor(error: unknown, texts: PageTexts): State {
  if (error instanceof ApiError) {
    if (error.status === 404) return { kind: 'message', text: texts.unknownLink };
    if (error.status === 409 || error.status === 410) return { kind: 'message', text: texts.closed };
    return { kind: 'message', text: texts.failed, detail: error.message };
  }
  return {
    kind: 'message',
    text: texts.failed,
    detail: error instanceof Error ? error.message : String(error),
  };
}
