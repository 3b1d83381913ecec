import { lazy, Suspense, useEffect, useState } from 'react';
import { ApiError } from '../../shared/api-client.ts';
import { api, type DefinitionError, type Format, type SurveyDetail } from '../api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { Link, navigate } from '../router.tsx';
import { useLoad } from '../use-load.ts';

const SurveyPreview = lazy(() => import('../components/survey-preview.tsx'));

/** Quiet time after the last keystroke before the definition is checked. */
const checkDelayMs = 400;

const templates: Record<Format, string> = {
  json: `{
  "title": "New survey",
  "pages": [
    {
      "name": "page1",
      "elements": [
        { "type": "text", "name": "q1", "title": "Your first question" }
      ]
    }
  ]
}
`,
  yaml: `title: New survey
pages:
  - name: page1
    elements:
      - type: text
        name: q1
        title: Your first question
`,
};

/** The editor for a new survey (`id` null) or for the draft of an existing one. */
export function EditorPage({ id }: { id: string | null }) {
  const [loaded] = useLoad(() => (id === null ? Promise.resolve(null) : api.survey(id)), [id]);
  if (loaded.state === 'loading') return <p className="muted">Loading…</p>;
  if (loaded.state === 'error') return <ErrorBox error={loaded.error} />;
  return <Editor survey={loaded.value} />;
}

function Editor({ survey }: { survey: SurveyDetail | null }) {
  const [format, setFormat] = useState<Format>('json');
  const [source, setSource] = useState(survey ? survey.draftSource : templates.json);
  const [savedSource, setSavedSource] = useState(survey ? survey.draftSource : templates.json);
  const [client, setClient] = useState('');
  const [errors, setErrors] = useState<DefinitionError[]>([]);
  const [checking, setChecking] = useState(true);
  const [preview, setPreview] = useState<Record<string, unknown> | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const dirty = source !== savedSource;

  useEffect(() => {
    let current = true;
    setChecking(true);
    const timer = setTimeout(() => {
      api.check(source, format).then(
        (result) => {
          if (!current) return;
          setChecking(false);
          setErrors(result.ok ? [] : result.errors);
          if (result.ok && result.surveyjs) setPreview(result.surveyjs);
        },
        (error: unknown) => {
          if (!current) return;
          setChecking(false);
          setFailure(error);
        },
      );
    }, checkDelayMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [source, format]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const changeFormat = (next: Format) => {
    // An untouched template follows the format; anything typed stays as it is.
    if (source === templates[format]) {
      setSource(templates[next]);
      setSavedSource(templates[next]);
    }
    setFormat(next);
  };

  const save = async (publish: boolean) => {
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      if (survey === null) {
        const created = await api.create({ source, format, client: client.trim() || null, publish });
        setSavedSource(source);
        navigate(`/surveys/${encodeURIComponent(created.id)}`);
        return;
      }
      await api.saveDraft(survey.id, source, format);
      setSavedSource(source);
      if (publish) {
        await api.publish(survey.id);
        navigate(`/surveys/${encodeURIComponent(survey.id)}`);
        return;
      }
      setNotice(`Draft saved at ${new Date().toLocaleTimeString()}.`);
    } catch (error) {
      setFailure(error);
      if (error instanceof ApiError) setErrors(definitionErrors(error) ?? errors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="editor-page">
      <p>
        <Link href={survey ? `/surveys/${encodeURIComponent(survey.id)}` : '/surveys'}>
          ← {survey ? survey.title || survey.id : 'Surveys'}
        </Link>
      </p>
      <header className="page-head">
        <h1>{survey ? `Edit draft: ${survey.title || survey.id}` : 'New survey'}</h1>
        <div className="actions">
          <button type="button" disabled={busy || errors.length > 0} onClick={() => save(false)}>
            {survey ? 'Save draft' : 'Create draft'}
          </button>
          <button
            type="button"
            className="primary"
            disabled={busy || errors.length > 0}
            onClick={() => save(true)}
          >
            {survey ? 'Save and publish' : 'Create and publish'}
          </button>
        </div>
      </header>
      <ErrorBox error={failure} />
      {notice ? <p className="notice">{notice}</p> : null}
      <div className="editor">
        <div className="editor-source">
          <div className="editor-bar">
            <label className="inline">
              Format
              <select
                value={format}
                onChange={(e) => changeFormat(e.target.value === 'yaml' ? 'yaml' : 'json')}
              >
                <option value="json">JSON</option>
                <option value="yaml">YAML</option>
              </select>
            </label>
            {survey === null ? (
              <label className="inline">
                Client
                <input value={client} placeholder="(none)" onChange={(e) => setClient(e.target.value)} />
              </label>
            ) : null}
            <span className={`check-state ${errors.length > 0 ? 'bad' : 'good'}`} aria-live="polite">
              {checking
                ? 'checking…'
                : errors.length === 1
                  ? '1 problem'
                  : errors.length > 1
                    ? `${errors.length} problems`
                    : 'valid'}
            </span>
          </div>
          <textarea
            className="source-input"
            aria-label="Survey definition"
            spellCheck={false}
            value={source}
            onChange={(e) => setSource(e.target.value)}
          />
          {errors.length > 0 ? (
            <ul className="definition-errors" aria-label="Problems">
              {errors.map((e) => (
                <li key={`${e.place}\u0000${e.message}`}>
                  <code className="place">{e.place || '(whole definition)'}</code> {e.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
        <div className="editor-preview">
          <div className="editor-bar">
            <strong>Preview</strong>
            {errors.length > 0 && preview ? (
              <span className="muted">showing the last valid definition</span>
            ) : null}
          </div>
          <div className="preview-frame">
            {preview ? (
              <Suspense fallback={<p className="muted">Loading the preview…</p>}>
                <SurveyPreview surveyjs={preview} />
              </Suspense>
            ) : (
              <p className="muted">The preview appears when the definition is valid.</p>
            )}
          </div>
        </div>
      </div>
    </section>
  );
}

/** `details.errors` of SURVEY_DEFINITION_INVALID, or null when the error carries none. */
function definitionErrors(error: ApiError): DefinitionError[] | null {
  const raw = error.details?.['errors'];
  if (!Array.isArray(raw)) return null;
  return raw.filter(
    (e: unknown): e is DefinitionError =>
      typeof e === 'object' && e !== null && typeof (e as DefinitionError).message === 'string',
  );
}
