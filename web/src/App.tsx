// The application shell: sign-in, then navigation between projects, snapshots, query, playbooks,
// IOC search, shared items and the audit log. The catalog (for completion and column docs) and the
// signed-in user are loaded once and passed down.
import { useEffect, useState } from 'react';
import { Crosshair, FolderKanban, History, LogOut, ScrollText, Share2, ShieldAlert, SquareTerminal, UserRound } from 'lucide-react';
import { api, hasToken, setToken, type Catalog, type Project, type User } from './lib/api';
import { cognitoSignOut, completeCognitoSignIn, loadConfig, type CloudConfig } from './lib/auth';
import { useHashPath } from './lib/router';
import { LoginPage } from './pages/LoginPage';
import { ProjectsPage } from './pages/ProjectsPage';
import { SnapshotPage } from './pages/SnapshotPage';
import { ProcessPage } from './pages/ProcessPage';
import { QueryPage } from './pages/QueryPage';
import { PlaybooksPage } from './pages/PlaybooksPage';
import { IocPage } from './pages/IocPage';
import { SharedPage } from './pages/SharedPage';
import { AuditPage } from './pages/AuditPage';
import { GridBenchPage } from './pages/GridBenchPage';

export interface Session {
  user: User;
  projects: Project[];
  catalog: Catalog & { keywords: string[] };
  reload(): Promise<void>;
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [signedIn, setSignedIn] = useState(hasToken());
  // undefined: not loaded yet; null: local (`memq serve`, password sign-in); else Cognito (cloud)
  const [cloud, setCloud] = useState<CloudConfig | null | undefined>(undefined);
  const [authError, setAuthError] = useState<string | null>(null);
  const path = useHashPath();

  useEffect(() => {
    void (async () => {
      const c = await loadConfig();
      if (c) {
        try {
          if (await completeCognitoSignIn(c)) setSignedIn(true);
        } catch (e) {
          setAuthError((e as Error).message);
        }
      }
      setCloud(c);
    })();
  }, []);

  const load = async () => {
    try {
      const [me, catalog] = await Promise.all([api('GET', '/me'), api('GET', '/catalog')]);
      setSession({ user: me.user, projects: me.projects, catalog, reload: load });
    } catch {
      setSignedIn(false);
    }
  };
  useEffect(() => {
    if (signedIn) void load();
  }, [signedIn]);

  if (cloud === undefined) return <div className="loading">Loading…</div>;
  if (!signedIn) return <LoginPage cloud={cloud} error={authError} onSignedIn={() => setSignedIn(true)} />;
  if (!session) return <div className="loading">Loading…</div>;

  const signOut = async () => {
    if (cloud) return cognitoSignOut(cloud);
    await api('POST', '/auth/logout').catch(() => undefined);
    setToken(null);
    setSession(null);
    setSignedIn(false);
  };
  const [page = 'projects', arg] = path;
  const nav = [
    ['projects', 'Projects', 'Projects', FolderKanban],
    ['query', 'Query', 'Query', SquareTerminal],
    ['playbooks', 'Playbooks', 'Hunt', ShieldAlert],
    ['ioc', 'IOC search', 'IOC', Crosshair],
    ['shared', 'Shared with me', 'Shared', Share2],
    ['audit', 'Audit log', 'Audit', ScrollText],
  ] as const;
  const current = page === 'snapshots' ? 'projects' : page;
  return (
    <div className="shell">
      <header>
        <span className="brand">
          <History size={18} aria-hidden /> memq
        </span>
        <nav aria-label="main">
          {nav.map(([id, label, short, Icon]) => (
            <a key={id} href={`#/${id}`} className={current === id ? 'active' : ''} aria-current={current === id ? 'page' : undefined} data-testid={`nav-${id}`} title={label}>
              <Icon size={16} aria-hidden />
              <span className="nav-long">{label}</span>
              <span className="nav-short">{short}</span>
            </a>
          ))}
        </nav>
        <span className="user" data-testid="current-user" title={`${session.user.name} (${session.user.email})`}>
          <UserRound size={15} aria-hidden /> {session.user.name} <span className="email">({session.user.email})</span>
        </span>
        <button onClick={signOut} data-testid="sign-out" title="sign out">
          <LogOut size={15} aria-hidden /> Sign out
        </button>
      </header>
      <main>
        {page === 'projects' && <ProjectsPage session={session} projectId={arg} />}
        {page === 'snapshots' && arg && path[2] === 'processes' && path[3] && <ProcessPage session={session} snapshotId={arg} pid={path[3]} />}
        {page === 'snapshots' && arg && path[2] !== 'processes' && <SnapshotPage session={session} snapshotId={arg} focusPid={path[2]} />}
        {page === 'query' && <QueryPage session={session} />}
        {page === 'playbooks' && <PlaybooksPage session={session} />}
        {page === 'ioc' && <IocPage session={session} />}
        {page === 'shared' && <SharedPage />}
        {page === 'audit' && <AuditPage session={session} />}
        {page === 'grid-bench' && <GridBenchPage n={Number(arg)} />}
        {!['projects', 'snapshots', 'query', 'playbooks', 'ioc', 'shared', 'audit', 'grid-bench'].includes(page) && (
          <p>
            Unknown page. <a href="#/projects">Projects</a>
          </p>
        )}
      </main>
    </div>
  );
}
