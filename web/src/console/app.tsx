import { useEffect, useState } from 'react';
import { ApiError } from '../shared/api-client.ts';
import { api, type User } from './api.ts';
import { ErrorBox } from './components/error-box.tsx';
import { AccountPage } from './pages/account-page.tsx';
import { EditorPage } from './pages/editor-page.tsx';
import { JobPage } from './pages/job-page.tsx';
import { JobsPage } from './pages/jobs-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { MemberPage } from './pages/member-page.tsx';
import { MembersPage } from './pages/members-page.tsx';
import { OutboxPage } from './pages/outbox-page.tsx';
import { SegmentsPage } from './pages/segments-page.tsx';
import { SurveyListPage } from './pages/survey-list-page.tsx';
import { SurveyPage } from './pages/survey-page.tsx';
import { UsersPage } from './pages/users-page.tsx';
import { WavePage } from './pages/wave-page.tsx';
import { WavesPage } from './pages/waves-page.tsx';
import { Link, matchRoute, navigate, usePath } from './router.tsx';

type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; user: User };

/** The console: who is signed in, the navigation bar, and the page for the current path. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [failure, setFailure] = useState<unknown>(null);
  const path = usePath();
  const route = matchRoute(path);

  useEffect(() => {
    api.me().then(
      (user) => setSession({ state: 'signed-in', user }),
      (error: unknown) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailure(error);
        setSession({ state: 'signed-out' });
      },
    );
  }, []);

  useEffect(() => {
    if (session.state === 'signed-in' && (route.page === 'home' || route.page === 'login')) {
      navigate('/surveys', { replace: true });
    }
  }, [session, route.page]);

  if (session.state === 'checking') return null;
  if (session.state === 'signed-out') {
    return (
      <>
        {failure ? <ErrorBox error={failure} /> : null}
        <LoginPage
          onSignedIn={(user) => {
            setFailure(null);
            setSession({ state: 'signed-in', user });
          }}
        />
      </>
    );
  }

  const { user } = session;
  const canEdit = user.role === 'admin' || user.role === 'researcher';
  const signOut = async () => {
    try {
      await api.signOut();
    } finally {
      setSession({ state: 'signed-out' });
      navigate('/login', { replace: true });
    }
  };

  return (
    <>
      <nav className="topbar">
        <Link href="/surveys" className="brand">
          enquete
        </Link>
        <Link href="/surveys" className={route.page === 'surveys' ? 'active' : ''}>
          Surveys
        </Link>
        {canEdit ? (
          <Link
            href="/members"
            className={route.page === 'members' || route.page === 'member' ? 'active' : ''}
          >
            Members
          </Link>
        ) : null}
        {canEdit ? (
          <Link href="/segments" className={route.page === 'segments' ? 'active' : ''}>
            Segments
          </Link>
        ) : null}
        <Link href="/waves" className={route.page === 'waves' || route.page === 'wave' ? 'active' : ''}>
          Waves
        </Link>
        {canEdit ? (
          <Link href="/outbox" className={route.page === 'outbox' ? 'active' : ''}>
            Outbox
          </Link>
        ) : null}
        {canEdit ? (
          <Link href="/jobs" className={route.page === 'jobs' || route.page === 'job' ? 'active' : ''}>
            Jobs
          </Link>
        ) : null}
        {user.role === 'admin' ? (
          <Link href="/users" className={route.page === 'users' ? 'active' : ''}>
            Users
          </Link>
        ) : null}
        <span className="spacer" />
        <Link
          href="/account"
          className={`who${route.page === 'account' ? ' active' : ''}`}
          title={user.client ? `client ${user.client}` : 'your account'}
        >
          {user.email} · {user.role}
        </Link>
        <button type="button" className="link-button" onClick={signOut}>
          Sign out
        </button>
      </nav>
      <main className="content">{page(route, user, canEdit)}</main>
    </>
  );
}

function page(route: ReturnType<typeof matchRoute>, user: User, canEdit: boolean) {
  switch (route.page) {
    case 'home':
    case 'login':
    case 'surveys':
      return <SurveyListPage canEdit={canEdit} />;
    case 'survey':
      return <SurveyPage key={route.id} id={route.id} canEdit={canEdit} />;
    case 'edit':
      return canEdit ? <EditorPage key={route.id} id={route.id} /> : <Forbidden />;
    case 'new':
      return canEdit ? <EditorPage key="new" id={null} /> : <Forbidden />;
    case 'users':
      return user.role === 'admin' ? <UsersPage me={user} /> : <Forbidden />;
    case 'account':
      return <AccountPage user={user} />;
    case 'members':
      return canEdit ? <MembersPage /> : <Forbidden />;
    case 'member':
      return canEdit ? <MemberPage key={route.externalId} externalId={route.externalId} /> : <Forbidden />;
    case 'segments':
      return canEdit ? <SegmentsPage /> : <Forbidden />;
    case 'jobs':
      return canEdit ? <JobsPage canReload={user.role === 'admin'} /> : <Forbidden />;
    case 'job':
      return canEdit ? <JobPage key={route.name} name={route.name} /> : <Forbidden />;
    case 'waves':
      return <WavesPage canEdit={canEdit} />;
    case 'wave':
      return <WavePage key={route.id} id={route.id} canEdit={canEdit} />;
    case 'outbox':
      return canEdit ? <OutboxPage /> : <Forbidden />;
    case 'not-found':
      return (
        <p>
          There is no such page. <Link href="/surveys">Go to the surveys.</Link>
        </p>
      );
  }
}

function Forbidden() {
  return <p>Your role may not open this page.</p>;
}
