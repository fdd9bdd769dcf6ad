// The console talks to the public API only (/api/v1), as a phone does. The access token lives in this
// module's memory; the refresh token is an HttpOnly cookie this script cannot read, sent by the browser to
// /api/v1/auth/browser/* only. Every cookie call carries X-Requested-With (CSRF protection, see
// app/console/session_routes.py).

const SESSION = "/api/v1/auth/browser";
const CSRF = { "X-Requested-With": "lantian-console" };

let accessToken = null;
let refreshing = null;
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.message_zh || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export function signedIn() {
  return accessToken !== null;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText };
  }
}

export async function signIn(username, password) {
  const response = await fetch(`${SESSION}/token`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...CSRF },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  accessToken = (await response.json()).access_token;
}

// One refresh at a time, across this browser's tabs too (a rotated refresh token presented twice revokes the
// session): the Web Locks API where the browser has it.
export function refreshAccess() {
  if (!refreshing) {
    const run = async () => {
      const response = await fetch(`${SESSION}/refresh`, { method: "POST", credentials: "same-origin", headers: CSRF });
      if (!response.ok) {
        accessToken = null;
        return false;
      }
      accessToken = (await response.json()).access_token;
      return true;
    };
    refreshing = (navigator.locks ? navigator.locks.request("lantian-refresh", run) : run()).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// Revokes the session even when the access token has expired meanwhile (request() refreshes and retries).
export async function signOut() {
  if (accessToken || (await refreshAccess())) {
    await request(`${SESSION}/logout`, { method: "POST", headers: CSRF });
  }
  accessToken = null;
}

async function send(path, options) {
  const headers = { Accept: "application/json, application/problem+json", ...(options.headers || {}) };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  return fetch(path, { ...options, headers, credentials: "same-origin" });
}

// fetch with the bearer token; one refresh and retry on 401 (a 401 means nothing was done).
export async function request(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && (await refreshAccess())) response = await send(path, options);
  if (response.status === 401) {
    accessToken = null;
    onSignedOut();
  }
  return response;
}

// JSON in and out; resolves { body, etag } or throws ApiError with the problem+json body.
export async function api(path, { method = "GET", body, ifMatch, headers = {} } = {}) {
  const extra = { ...headers };
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof File)) extra["Content-Type"] = "application/json";
  if (ifMatch) extra["If-Match"] = ifMatch;
  const payload = body === undefined || body instanceof Blob ? body : JSON.stringify(body);
  const response = await request(path, { method, body: payload, headers: extra });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const text = response.status === 204 ? "" : await response.text();
  return { body: text ? JSON.parse(text) : null, etag: response.headers.get("ETag") };
}

export async function get(path, query) {
  const q = query ? "?" + new URLSearchParams(query).toString() : "";
  return (await api(path + q)).body;
}

// Photo bytes need the bearer token, which an <img src> cannot send: fetched here, shown from a blob: URL.
export async function blobUrl(path) {
  const response = await request(path);
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return URL.createObjectURL(await response.blob());
}
