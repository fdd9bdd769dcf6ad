// The app shell offline: pages and scripts from Cache Storage when the network is gone. API calls are never
// touched here (the app keeps its data in IndexedDB and its outbox decides when to send), so nothing a user
// fetched from the API sits in a cache another user could read after logout.
const CACHE = "lantian-app-shell-v2";
const SHELL = [
  "/app/",
  "/app/manifest.webmanifest",
  "/app/static/app.css",
  "/app/static/main.js",
  "/app/static/api.js",
  "/app/static/db.js",
  "/app/static/sync.js",
  "/app/static/evaluator.js",
  "/app/static/geo.js",
  "/app/static/signature.js",
  "/app/static/icons/icon-192.png",
  "/app/static/icons/icon-512.png",
  "/static/vendor/json-logic-js/logic.js",
  "/static/vendor/leaflet/dist/leaflet.js",
  "/static/vendor/leaflet/dist/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function shellKey(url) {
  if (url.pathname === "/app/" || url.pathname === "/app") return "/app/";
  return SHELL.includes(url.pathname) ? url.pathname : null;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const key = event.request.mode === "navigate" && url.pathname.startsWith("/app") ? "/app/" : shellKey(url);
  if (!key) return; // the API, the session and everything else: straight to the network
  // Stale-while-revalidate: the cached shell at once (works offline and on a slow link), refreshed behind.
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(key);
      const fresh = fetch(event.request).then((resp) => {
        if (resp.ok) cache.put(key, resp.clone());
        return resp;
      });
      if (cached) {
        event.waitUntil(fresh.catch(() => {}));
        return cached;
      }
      return fresh;
    }),
  );
});
