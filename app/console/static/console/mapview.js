// Leaflet maps of the console. No base map by default (boundaries and zones only: works offline and in tests);
// with one (CONSOLE_BASEMAP_URL), layers are asked of the API in the tiles' datum (crs=gcj02 for Chinese tile
// services) and GPS points are shifted the same way here.
/* global L */
import { get } from "./api.js";
import { pick } from "./i18n.js";

const data = document.body.dataset;
export const BASEMAP = {
  url: data.basemapUrl || "",
  crs: data.basemapCrs || "wgs84",
  attribution: data.basemapAttribution || "",
  maxZoom: Number(data.basemapMaxZoom || 18),
};

export function layerCrs() {
  return BASEMAP.url && BASEMAP.crs === "gcj02" ? "gcj02" : "wgs84";
}

// WGS-84 → GCJ-02, the published approximation (Krasovsky 1940 ellipsoid); identity outside China.
const A = 6378245.0;
const EE = 0.00669342162296594323;
function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}
function tLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}
function tLon(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}
export function wgs84ToGcj02(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = tLat(lon - 105.0, lat - 35.0);
  let dLon = tLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

// A WGS-84 point (GPS, inspection position) as a Leaflet LatLng on this map.
export function gpsLatLng(lon, lat) {
  const [x, y] = layerCrs() === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat];
  return L.latLng(y, x);
}

export function makeMap(el) {
  const map = L.map(el, { zoomControl: true, zoomSnap: 0.25, attributionControl: Boolean(BASEMAP.url) });
  if (BASEMAP.url) {
    L.tileLayer(BASEMAP.url, { attribution: BASEMAP.attribution, maxZoom: BASEMAP.maxZoom }).addTo(map);
  }
  map.setView([35.22, 113.25], 11);
  return map;
}

const ZONE_STYLE = { color: "#c2410c", weight: 1, dashArray: "4 3", fillOpacity: 0.06, className: "zone" };
const BOUNDARY_STYLE = { color: "#1e3a8a", weight: 1.5, fillOpacity: 0.02, className: "boundary" };

// Jurisdiction boundaries and zones in the caller's scope, with their names on hover.
export async function addBoundaries(map, { zones = true } = {}) {
  const crs = layerCrs();
  const [boundaries, zoneLayer] = await Promise.all([
    get("/api/v1/geo/jurisdictions.geojson", { crs }),
    zones ? get("/api/v1/geo/zones.geojson", { crs }) : Promise.resolve(null),
  ]);
  const named = (feature, layer) => {
    const p = feature.properties || {};
    layer.bindTooltip(pick({ zh: p.name_zh || p.name || p.code, en: p.name_en || p.name_zh || p.code }), { sticky: true });
  };
  const b = L.geoJSON(boundaries, { style: () => BOUNDARY_STYLE, onEachFeature: named }).addTo(map);
  const z = zoneLayer ? L.geoJSON(zoneLayer, { style: () => ZONE_STYLE, onEachFeature: named }).addTo(map) : null;
  return { boundaries: b, zones: z, count: (boundaries.features || []).length };
}

export function fitTo(map, layers) {
  const group = L.featureGroup(layers.filter(Boolean));
  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.15), { maxZoom: 16, animate: false });
}
