import 'survey-core/survey-core.fontless.min.css';
import './respond.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RespondApp } from './respond-app.tsx';

// The page is served at /s/<token>; the token is the respondent's only credential.
const match = /^\/s\/([^/]+)\/?$/.exec(window.location.pathname);
const token = match?.[1] ? decodeURIComponent(match[1]) : '';
const channel = new URLSearchParams(window.location.search).get('ch');

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <RespondApp token={token} channel={channel} />
    </StrictMode>,
  );
}
