/**
 * A request URL as the log may keep it: the value of every query parameter that carries a
 * credential is replaced by `[REDACTED]`. Clients do put them there (`?access_token=…` is a
 * common mistake, and some tools add `?api_key=`); the API refuses them (a credential
 * travels only in the Authorization header, SPEC 2 and 4.1), but the request line of that
 * refusal is written anyway, and a log is read by more people than the keys are meant for.
 *
 * A parameter carries a credential when its name (case aside, `[]` aside) is one of the
 * usual names or ends in one after `_`, `-` or `.`: `token`, `access_token`, `id_token`,
 * `key`, `api_key`, `apikey`, `secret`, `client_secret`, `password`, `jwt`, `signature`, ….
 * Names that merely contain such a word (`monkey`, `keyword`) are kept.
 */
const CREDENTIAL_NAME = /(?:^|[_.-])(?:token|access_?token|refresh_?token|id_?token|auth|authorization|bearer|jwt|key|api_?key|apikey|secret|client_?secret|password|passwd|pwd|pass|credentials?|signature|sig)$/i;
export const REDACTED = '[REDACTED]';

function nameOf(raw: string): string {
  const name = raw.replace(/\+/g, ' ');
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // a malformed escape: judged as written
  }
  return decoded.trim().replace(/\[[^\]]*\]$/, '');
}

export function isCredentialParameter(name: string): boolean {
  return CREDENTIAL_NAME.test(nameOf(name));
}

/** `url` (a path with its query, as `req.originalUrl`) with each credential's value replaced; nothing is built for a URL without a query. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const hash = url.indexOf('#', query);
  const end = hash < 0 ? url.length : hash;
  const parts = url.slice(query + 1, end).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i]!;
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    if (name === '' || !isCredentialParameter(name)) continue;
    // A bare `?token` (no `=`) may be the credential itself.
    parts[i] = `${name}=${REDACTED}`;
    changed = true;
  }
  return changed ? `${url.slice(0, query + 1)}${parts.join('&')}${url.slice(end)}` : url;
}
