// Where this visitor came from: an affiliate's code (`ref`) and the UTM fields of the link they followed.
// /r/{code} sets the `live_ref` cookie and puts the same fields in the URL; any page link's utm_* count too.
// The last link wins. The fields are kept in localStorage as well (an embedded player may not get the cookie)
// and in memory (storage blocked). The tap and the room's join send them: attribution() is their body part.
const KEY = "live_ref";
const UTM = ["utm_source", "utm_medium", "utm_campaign"];
const DAYS = 30; // the server's cookie lasts LIVE_ATTRIBUTION_COOKIE_DAYS; the stored copy this long
const CODE = /^[a-z0-9]{4,32}$/;
const VALUE = /^[A-Za-z0-9._~+-]{1,100}$/;
let memory = null;

function fromParams(params) {
  const found = {};
  const ref = params.get("ref");
  if (ref && CODE.test(ref)) found.ref = ref;
  for (const name of UTM) {
    const value = params.get(name);
    if (value && VALUE.test(value)) found[name] = value;
  }
  return Object.keys(found).length ? found : null;
}

function fromCookie() {
  const entry = document.cookie.split("; ").find((c) => c.startsWith(`${KEY}=`));
  return entry ? fromParams(new URLSearchParams(decodeURIComponent(entry.slice(KEY.length + 1)))) : null;
}

function fromStorage() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    return saved && saved.expires > Date.now() ? saved.fields : null;
  } catch (_) {
    return null;
  }
}

function remember(fields) {
  memory = fields;
  const value = encodeURIComponent(new URLSearchParams(fields).toString()); // as the server writes it
  document.cookie = `${KEY}=${value}; max-age=${DAYS * 86400}; path=/; samesite=lax`;
  try {
    localStorage.setItem(KEY, JSON.stringify({ fields, expires: Date.now() + DAYS * 86400 * 1000 }));
  } catch (_) { /* storage blocked: memory only */ }
}

// Read once per page: a link just followed wins over what was stored.
const arrived = fromParams(new URLSearchParams(location.search));
if (arrived) remember(arrived);

// {ref?, utm?: {utm_source?, utm_medium?, utm_campaign?}}: spread into the tap's body or the join payload.
export function attribution() {
  const fields = memory || fromCookie() || fromStorage();
  if (!fields) return {};
  const body = {};
  if (fields.ref) body.ref = fields.ref;
  const utm = Object.fromEntries(UTM.filter((n) => fields[n]).map((n) => [n, fields[n]]));
  if (Object.keys(utm).length) body.utm = utm;
  return body;
}
