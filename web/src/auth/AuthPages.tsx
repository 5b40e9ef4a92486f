//! Sign up, log in, and the dialog that signs a user back in over whatever they were doing
//! when their session ran out.

import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { currentUser, startSession } from "../api/session";
import { ApiProblem } from "../api/problem";
import { ErrorText } from "../ui/States";
import { useSubmit } from "../ui/useSubmit";

function fieldError(error: unknown, field: string) {
  return error instanceof ApiProblem ? error.fieldMessage(field) : undefined;
}

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand big">
          <img src="/favicon.svg" alt="" width={32} height={32} /> Velocity
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function Login() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    startSession(await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } })));
    queryClient.clear();
    navigate(params.get("next") || "/");
  });
  return (
    <AuthFrame title="Log in">
      <form onSubmit={submit} className="form">
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
      <p className="muted">
        New to Velocity? <Link to="/signup">Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function Signup() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: "", email: "", password: "", workspace_name: "" });
  const set = (field: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [field]: e.target.value });
  const { error, busy, submit } = useSubmit(async () => {
    const session = await unwrap(api.POST("/api/v1/auth/signup", { body: form }));
    startSession(session);
    queryClient.clear();
    navigate(session.workspace ? `/w/${session.workspace.id}` : "/");
  });
  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} className="form">
        <label>
          Your name
          <input autoComplete="name" required value={form.name} onChange={set("name")} />
        </label>
        <label>
          Work email
          <input type="email" autoComplete="username" required value={form.email} onChange={set("email")} aria-invalid={!!fieldError(error, "email")} />
        </label>
        <label>
          Password <span className="muted">(at least 8 characters)</span>
          <input type="password" autoComplete="new-password" required minLength={8} value={form.password} onChange={set("password")} />
        </label>
        <label>
          Team or company
          <input required value={form.workspace_name} onChange={set("workspace_name")} placeholder="Acme Realty" />
        </label>
        <ErrorText error={error} />
        <button className="primary" disabled={busy}>{busy ? "Creating…" : "Create account"}</button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthFrame>
  );
}

/** Shown over the screen when the refresh token is no longer accepted. */
export function ReauthDialog() {
  const user = currentUser();
  const [email, setEmail] = useState(user?.email ?? "");
  const [password, setPassword] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    startSession(await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } })));
  });
  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="reauth-title">
        <h2 id="reauth-title">Your session ended</h2>
        <p className="muted">Log in again to carry on. Nothing you typed has been lost.</p>
        <form onSubmit={submit} className="form">
          <label>
            Email
            <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Password
            <input type="password" autoFocus required value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <ErrorText error={error} />
          <button className="primary" disabled={busy}>Log in</button>
        </form>
      </div>
    </div>
  );
}
