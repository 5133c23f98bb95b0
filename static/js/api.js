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

// api("POST", "/api/shows/1/orders", {offer_id, quantity}, {headers: {"Idempotency-Key": key}})
export async function api(method, path, body, { headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  const token = storedToken();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`,
      error.message || `The server answered ${response.status}.`, data);
  }
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
