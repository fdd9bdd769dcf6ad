// The capture API with a short-lived access token kept in memory only. The refresh token is an HttpOnly
// cookie for /app/session that scripts cannot read; a restart gets a new access token from it.
const APP_HEADER = { "X-Lantian-App": "1" };
let accessToken = null;
let refreshing = null;

export class Offline extends Error {}
export class AuthLost extends Error {}

export class Problem extends Error {
  constructor(status, body) {
    super((body && (body.message_zh || body.detail)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code;
  }
}

async function rawFetch(url, init) {
  try {
    return await fetch(url, { cache: "no-store", credentials: "same-origin", ...init });
  } catch (e) {
    throw new Offline(String(e)); // no network (or the connection broke mid-request)
  }
}

async function bodyOf(resp) {
  const type = resp.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try { return await resp.json(); } catch (_) { return null; }
  }
  return null;
}

function session(path, body) {
  return rawFetch(path, {
    method: "POST",
    headers: { ...APP_HEADER, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

export function hasToken() {
  return accessToken !== null;
}

export async function login(username, password) {
  const resp = await session("/app/session", { username, password });
  const body = await bodyOf(resp);
  if (!resp.ok) throw new Problem(resp.status, body);
  accessToken = body.access_token;
}

/** A new access token from the refresh cookie; one refresh at a time (a rotated token replayed ends the session). */
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const resp = await session("/app/session/refresh");
      const body = await bodyOf(resp);
      if (resp.status === 401 || resp.status === 403) { accessToken = null; throw new AuthLost(body && body.code); }
      if (!resp.ok) throw new Problem(resp.status, body);
      accessToken = body.access_token;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** End the session on the server and drop the cookie. Returns false when the server could not be reached:
 *  the caller then remembers to finish the job before anyone can use the app again. */
export async function logout() {
  if (accessToken) {
    try { await request("/api/v1/auth/logout", { method: "POST" }); } catch (_) { /* the cookie still goes below */ }
  }
  accessToken = null;
  try {
    const resp = await session("/app/session/logout");
    return resp.ok;
  } catch (_) {
    return false;
  }
}

/** fetch() against the API with the bearer token; refreshes once on an expired token. Returns the Response. */
export async function request(path, init = {}) {
  if (!accessToken) await refresh();
  const go = () => rawFetch(path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${accessToken}` } });
  let resp = await go();
  if (resp.status === 401) {
    await refresh();
    resp = await go();
  }
  return resp;
}

/** JSON in, JSON out; non-2xx (except 304) raises Problem. Returns {status, body, etag, headers}. */
export async function json(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await request(path, init);
  const data = resp.status === 304 ? null : await bodyOf(resp);
  if (!resp.ok && resp.status !== 304) throw new Problem(resp.status, data);
  return { status: resp.status, body: data, etag: resp.headers.get("ETag"), headers: resp.headers };
}
