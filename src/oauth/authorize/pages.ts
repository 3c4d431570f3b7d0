import type { FormParams } from './authorization-request';
import { createHash } from 'node:crypto';

/** HTML-escapes text and attribute values. */
export function esc(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem;font-size:1rem}
.error{color:#a00;border:1px solid #a00;padding:.5rem;border-radius:4px}
li{margin:.4rem 0}code{background:#f3f3f3;padding:0 .2rem}`;

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The pages' own CSP: no scripts at all, only the inline style above (by hash), forms posting to
 * this server, and — because browsers apply `form-action` to the redirect after a form submission —
 * to the client's redirect URI origin. `frame-ancestors 'none'` forbids framing (clickjacking).
 */
export function pageCsp(redirectUri?: string): string {
  let target = '';
  if (redirectUri) {
    try {
      const u = new URL(redirectUri);
      target = u.protocol === 'http:' || u.protocol === 'https:' ? ` ${u.origin}` : ` ${u.protocol}`;
    } catch {
      target = '';
    }
  }
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    "img-src 'self'",
    `form-action 'self'${target}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · Scopegate</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function hidden(fields: Record<string, string | readonly string[] | undefined>): string {
  return Object.entries(fields)
    .flatMap(([k, v]) => (v === undefined ? [] : typeof v === 'string' ? [[k, v]] : v.map((x) => [k, x])))
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n');
}

function errorBox(message: string | undefined): string {
  return message ? `<p class="error" role="alert" id="error">${esc(message)}</p>` : '';
}

export interface LoginPageInput {
  clientName: string;
  csrf: string;
  params: FormParams;
  username?: string;
  error?: string;
}

export function loginPage(p: LoginPageInput): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${esc(p.clientName)}</strong></p>
${errorBox(p.error)}
<form method="post" action="/oauth/authorize">
${hidden({ ...p.params, action: 'login', csrf_token: p.csrf })}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required maxlength="64" autofocus value="${esc(p.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="256">
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface ConsentPageInput {
  clientName: string;
  username: string;
  csrf: string;
  params: FormParams;
  scopes: { name: string; description: string }[];
}

export function consentPage(p: ConsentPageInput): string {
  const items = p.scopes
    .map((s) => `<li><code>${esc(s.name)}</code> — ${esc(s.description || s.name)}</li>`)
    .join('\n');
  return layout(
    'Allow access',
    `<h1>Allow access?</h1>
<p><strong>${esc(p.clientName)}</strong> asks to access your account (<strong>${esc(p.username)}</strong>) with these permissions:</p>
<ul id="scopes">
${items}
</ul>
<form method="post" action="/oauth/authorize">
${hidden({ ...p.params, action: 'consent', csrf_token: p.csrf })}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${esc(title)}</h1>
${errorBox(message)}
<p>The application that sent you here is misconfigured or the link is broken; you were not redirected back to it.</p>`,
  );
}
