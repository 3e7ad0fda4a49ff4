// Sign-in: e-mail and password against POST /auth/login (local, `memq serve`); in the cloud (a
// config.json naming a Cognito user pool) a button to the stack's Cognito managed login instead.
// Either way the token is kept for API calls.
import { useState } from 'react';
import { History, LogIn } from 'lucide-react';
import { api, setToken } from '../lib/api';
import { startCognitoSignIn, type CloudConfig } from '../lib/auth';

export function LoginPage({ onSignedIn, cloud = null, error: initialError = null }: { onSignedIn(): void; cloud?: CloudConfig | null; error?: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(initialError);
  if (cloud)
    return (
      <div className="login">
        <h1 className="login-brand">
          <History size={26} aria-hidden /> memq
        </h1>
        <p className="muted">Memory forensics for teams</p>
        {error && <div className="error" data-testid="login-error">{error}</div>}
        <button className="primary" data-testid="login-cognito" onClick={() => void startCognitoSignIn(cloud).catch((e: Error) => setError(e.message))} autoFocus>
          Sign in
        </button>
      </div>
    );
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api('POST', '/auth/login', { email, password });
      setToken(r.token);
      onSignedIn();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1 className="login-brand">
        <History size={26} aria-hidden /> memq
      </h1>
      <p className="muted">Memory forensics for teams</p>
      <label>
        E-mail
        <input data-testid="login-email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
      </label>
      <label>
        Password
        <input data-testid="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error && <div className="error" data-testid="login-error">{error}</div>}
      <button type="submit" className="primary login-submit" data-testid="login-submit">
        <LogIn size={15} aria-hidden /> Sign in
      </button>
    </form>
  );
}
