// The Leaflet map: the communes' and districts' outlines, a marker per camera coloured by
// status, its field-of-view cone, and a popup with the live picture. Offline by default:
// no tile layer unless the site file names a tile server, and no image is fetched for
// markers (div icons drawn in CSS, not Leaflet's default PNG icon).
import * as L from "leaflet";
import { render, type VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";

import { fovCone, metresPerPixel } from "./geometry";
import type { Camera } from "../../lib/cameras";
import { markerColour, markerState, type MapCommune, type MapConfig } from "./model";

/** A request to show something: a camera (its popup opens) or a commune. */
export interface Focus {
  camera?: string;
  commune?: string;
  /** Changes on every request, so asking twice for the same thing works. */
  seq: number;
}

interface Props {
  communes: MapCommune[];
  config: MapConfig;
  /** The cameras to draw (those of the communes shown). */
  cameras: Camera[];
  focus: Focus | null;
  /** The popup's content for a camera (re-rendered when its status changes). */
  popup: (camera: Camera) => VNode;
  /** Called with the camera whose popup opened, or null when it closed. */
  onOpen?: (camera: string | null) => void;
}

interface Drawn {
  marker: L.Marker;
  cone: L.Polygon | null;
  key: string;
  camera: Camera;
}

const FRANCE: L.LatLngTuple = [46.6, 2.4];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A larger target for a finger than for a mouse; the dot inside is the same size. */
function markerSize(): number {
  return typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches ? 36 : 24;
}

function markerIcon(camera: Camera): L.DivIcon {
  const state = markerState(camera);
  const size = markerSize();
  return L.divIcon({
    className: "map-marker-icon",
    html:
      `<span class="map-marker" data-testid="map-marker" data-camera="${escapeHtml(camera.id)}" ` +
      `data-state="${state}" style="--marker:${markerColour(camera)}"></span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
    popupAnchor: [0, -10],
  });
}

/** A cone is at least this long on screen, so the direction shows when zoomed out. */
const MIN_CONE_PX = 34;

function conePoints(camera: Camera, zoom: number) {
  const { lat, lon } = camera.location!;
  return fovCone([lat, lon], camera.field_of_view!, 16, MIN_CONE_PX * metresPerPixel(lat, zoom));
}

function coneOf(camera: Camera, zoom: number): L.Polygon | null {
  if (!camera.location || !camera.field_of_view) return null;
  const cone = conePoints(camera, zoom);
  const colour = markerColour(camera);
  return L.polygon(cone.points, {
    color: colour,
    weight: 1,
    fillColor: colour,
    fillOpacity: 0.22,
    dashArray: cone.approximate ? "4 4" : undefined,
    interactive: false,
    className: "map-cone",
  });
}

/** What decides a camera's drawing: when it changes, the marker and cone are redrawn. */
function drawKey(camera: Camera): string {
  return JSON.stringify([markerState(camera), camera.location, camera.field_of_view, camera.name]);
}

/** Marks a GeoJSON layer's SVG paths (for tests and styles) whenever they are drawn. */
function tagPaths(layer: L.GeoJSON, attributes: Record<string, string>): void {
  layer.eachLayer((l) => {
    const tag = () => {
      const el = (l as L.Path).getElement();
      if (el) for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
    };
    l.on("add", tag);
    tag();
  });
}

export function LeafletMap({ communes, config, cameras, focus, popup, onOpen }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const outlines = useRef<L.LayerGroup | null>(null);
  const cones = useRef<L.LayerGroup | null>(null);
  const markers = useRef<L.LayerGroup | null>(null);
  const drawn = useRef(new Map<string, Drawn>());
  const bounds = useRef(new Map<string, L.LatLngBounds>());
  const open = useRef<{ id: string; element: HTMLElement } | null>(null);
  const placed = useRef(false);
  const focused = useRef(-1);
  const popupRef = useRef(popup);
  popupRef.current = popup;
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;

  // The map itself, once; its tile layer only when the site file names a server.
  useEffect(() => {
    if (!container.current) return;
    const m = L.map(container.current, {
      attributionControl: Boolean(config.tiles),
      zoomControl: true,
      minZoom: 4,
      maxZoom: config.tiles?.max_zoom ?? 19,
      zoomSnap: 0.5,
    });
    if (config.tiles) {
      L.tileLayer(config.tiles.url, {
        attribution: config.tiles.attribution ? escapeHtml(config.tiles.attribution) : undefined,
        maxZoom: config.tiles.max_zoom,
      }).addTo(m);
    }
    // A view at once (Leaflet draws nothing before it has one); the right one follows
    // when the communes and cameras are known.
    if (config.center) m.setView([config.center.lat, config.center.lon], config.zoom ?? 13);
    else m.setView(FRANCE, 6);
    outlines.current = L.layerGroup().addTo(m);
    cones.current = L.layerGroup().addTo(m);
    markers.current = L.layerGroup().addTo(m);
    map.current = m;
    // The page may lay out after the map is made (side panel, phone rotation).
    // Where the map looks, for whoever waits for it to settle (the end-to-end tests).
    const element = container.current;
    m.on("movestart", () => element.setAttribute("data-moving", ""));
    m.on("moveend", () => {
      element.removeAttribute("data-moving");
      const c = m.getCenter();
      element.setAttribute("data-view", `${m.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
    });
    m.on("zoomend", () => {
      for (const entry of drawn.current.values()) {
        if (entry.cone) entry.cone.setLatLngs(conePoints(entry.camera, m.getZoom()).points);
      }
    });
    const resize = new ResizeObserver(() => m.invalidateSize());
    resize.observe(container.current);
    return () => {
      resize.disconnect();
      if (open.current) render(null, open.current.element);
      m.remove();
      map.current = null;
      drawn.current.clear();
      placed.current = false;
    };
  }, [config]);

  // Outlines: communes (named in their middle) and their districts (named on hover).
  useEffect(() => {
    const m = map.current;
    const group = outlines.current;
    if (!m || !group) return;
    group.clearLayers();
    bounds.current.clear();
    for (const commune of communes) {
      for (const district of commune.district_outlines.features) {
        const layer = L.geoJSON(district, {
          style: { color: "#9aa5b1", weight: 1, opacity: 0.7, dashArray: "3 4", fillOpacity: 0.03, className: "map-district" },
        });
        layer.bindTooltip(escapeHtml(district.properties.district ?? ""), { sticky: true, className: "map-district-label" });
        tagPaths(layer, { "data-testid": "district-outline", "data-commune": commune.id });
        layer.addTo(group);
      }
      if (commune.outline) {
        const layer = L.geoJSON(commune.outline, {
          style: { color: "#4ea1ff", weight: 2, opacity: 0.9, fillColor: "#4ea1ff", fillOpacity: 0.05, className: "map-commune" },
          interactive: true,
        });
        layer.bindTooltip(escapeHtml(commune.name), { permanent: true, direction: "center", className: "map-commune-label" });
        tagPaths(layer, { "data-testid": "commune-outline", "data-commune": commune.id });
        layer.addTo(group);
        bounds.current.set(commune.id, layer.getBounds());
      }
    }
  }, [communes, config]);

  // Markers and cones, kept in place between refreshes; redrawn only when they change.
  useEffect(() => {
    const m = map.current;
    if (!m || !markers.current || !cones.current) return;
    const seen = new Set<string>();
    for (const camera of cameras) {
      if (!camera.location) continue;
      seen.add(camera.id);
      const key = drawKey(camera);
      const previous = drawn.current.get(camera.id);
      if (previous && previous.key === key) {
        previous.camera = camera;
        continue;
      }
      if (previous) {
        previous.cone?.remove();
        previous.marker.setLatLng([camera.location.lat, camera.location.lon]);
        previous.marker.setIcon(markerIcon(camera));
        previous.marker.options.title = camera.name;
      }
      const marker =
        previous?.marker ??
        L.marker([camera.location.lat, camera.location.lon], {
          icon: markerIcon(camera),
          title: camera.name,
          alt: camera.name,
          riseOnHover: true,
        });
      const cone = coneOf(camera, m.getZoom());
      cone?.addTo(cones.current);
      if (!previous) {
        const element = document.createElement("div");
        element.className = "map-popup-body";
        // The content is rendered when Leaflet asks for it, before it sizes the popup and
        // pans it into view.
        const content = () => {
          open.current = { id: camera.id, element };
          render(popupRef.current(drawn.current.get(camera.id)?.camera ?? camera), element);
          return element;
        };
        marker.bindPopup(content, { minWidth: 240, maxWidth: 360, autoPanPadding: [24, 24], className: "map-popup" });
        marker.on("popupopen", (e: L.PopupEvent) => {
          // Opened during a zoom (a click right after another): pan it into view after.
          if ((m as unknown as { _animatingZoom?: boolean })._animatingZoom) {
            m.once("zoomend", () => e.popup.isOpen() && e.popup.update());
          }
          onOpenRef.current?.(camera.id);
        });
        marker.on("popupclose", () => {
          // Unmounting the live view closes its WebSocket (the journal records the stop).
          render(null, element);
          if (open.current?.id === camera.id) open.current = null;
          onOpenRef.current?.(null);
        });
        marker.addTo(markers.current);
      }
      drawn.current.set(camera.id, { marker, cone, key, camera });
    }
    for (const [id, entry] of drawn.current) {
      if (seen.has(id)) continue;
      entry.marker.remove();
      entry.cone?.remove();
      drawn.current.delete(id);
    }
    // The open popup follows its camera's status.
    const current = open.current && drawn.current.get(open.current.id);
    if (open.current && current) render(popupRef.current(current.camera), open.current.element);
  }, [cameras, config]);

  // Where the map opens: the site file's centre, else around the communes and cameras.
  useEffect(() => {
    // The centre is kept when it lies among the user's communes; a user who sees only
    // some of them (a patrol agent) gets the map fitted to his.
    const m = map.current;
    if (!m || placed.current) return;
    const all = L.latLngBounds([]);
    for (const b of bounds.current.values()) all.extend(b);
    for (const c of cameras) if (c.location) all.extend([c.location.lat, c.location.lon]);
    if (!all.isValid()) return;
    placed.current = true;
    const center = config.center ? L.latLng(config.center.lat, config.center.lon) : null;
    if (center && all.contains(center)) m.setView(center, config.zoom ?? 13);
    else m.fitBounds(all, { padding: [20, 20] });
  }, [communes, cameras, config]);

  // Show what was asked for: a camera (and open its popup) or a commune.
  useEffect(() => {
    // Once per request: a camera asked for before the list arrived is shown when it does.
    const m = map.current;
    if (!m || !focus || focused.current === focus.seq) return;
    if (focus.camera) {
      const entry = drawn.current.get(focus.camera);
      if (!entry) return;
      focused.current = focus.seq;
      // Without animation: a popup opened during one is not panned fully into view.
      m.setView(entry.marker.getLatLng(), Math.max(m.getZoom(), 16), { animate: false });
      container.current?.scrollIntoView({ block: "nearest", behavior: "smooth" });
      entry.marker.openPopup();
    } else if (focus.commune) {
      const b = bounds.current.get(focus.commune);
      if (!b) return;
      focused.current = focus.seq;
      m.fitBounds(b, { padding: [20, 20] });
    }
  }, [focus, cameras, communes]);

  return <div ref={container} class="map-canvas" data-testid="map" />;
}
