// The HTTP API from the pages: JSON in and out, the page's cookie (same origin) or a bearer token kept in
// sessionStorage (the embedded player, where a third-party cookie is not sent), and errors as ApiError with the
// server's stable code ("sold_out", "limit_reached", ...).

const TOKEN_KEY = "live_token";
// Where third-party storage is blocked (a framed player in a browser blocking third-party cookies), the
// token lives in this page only.
let memoryToken = null;

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// In a frame on another site the HttpOnly cookie is not sent (third-party), so the token lives in this tab.
export function framed() {
  return window.top !== window.self;
}

export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || memoryToken;
  } catch (_) {
    return memoryToken; // storage blocked (a sandboxed or third-party frame)
  }
}

export function rememberToken(token) {
  memoryToken = token || null;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage blocked */ }
}

// request("POST", url, {body, headers}) -> the Response of a 2xx answer, for bodies that are not JSON (the
// SDP of WHIP/WHEP). The bearer token is the stored one unless `token` says otherwise (null: none).
export async function request(method, path, { body, headers = {}, token = storedToken() } = {}) {
  const init = { method, body, headers: { ...headers }, credentials: "same-origin" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  if (!response.ok) {
    const data = await jsonOf(response);
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`,
      error.message || `The server answered ${response.status}.`, data);
  }
  return response;
}

async function jsonOf(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch (_) {
    return null; // not JSON
  }
}

// api("POST", "/api/shows/1/orders", {offer_id, quantity}, {headers: {"Idempotency-Key": key}})
export async function api(method, path, body, { headers = {} } = {}) {
  const json = body === undefined ? {} : { "Content-Type": "application/json" };
  const response = await request(method, path, {
    headers: { Accept: "application/json", ...json, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await jsonOf(response);
  if (data && data.token && framed()) rememberToken(data.token);
  return data;
}

// The signed-in account ({id, role, display_name, ...}) or null.
export async function currentUser() {
  try {
    return await api("GET", "/api/me");
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

// A fresh key per tap: a retry of the same tap reuses it, a new tap never does.
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export function formatPrice(cents, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
}
